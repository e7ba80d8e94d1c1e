#!/usr/bin/env python3
"""Per-file scaling of Portcullis: one large or dense file at two sizes, in every output format.

A benchmark, not a test: it prints wall time, peak memory and output size for each case, so
that a reader can check that time and memory grow linearly (the larger size is 2× the smaller).

Cases:
- compose: a YAML file of N services, each with an image, a secret and a port (~8 findings each,
  one every 14 bytes: memory is the findings');
- workflow: a YAML workflow of N jobs whose steps are pinned and hardened (few findings: memory
  is the parsed model's);
- dockerfile: a Dockerfile of N stages with installs, copies and downloads;
- env: a `.env` of N tokens in a provider format (one finding each);
- line: one line of N tokens (a minified file full of secrets).

Usage: scripts/bench-files.py [--binary PATH] [--scale 1.0]
The binary defaults to target/release/portcullis (build it with `cargo build --release`).
"""
import argparse
import os
import random
import string
import subprocess
import tempfile
import time
import zlib

FORMATS = ["json", "sarif", "github", "human"]


def token(rng):
    body = "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(30))
    n = zlib.crc32(body.encode())
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    check = ""
    for _ in range(6):
        check = alphabet[n % 62] + check
        n //= 62
    return "ghp_" + body + check


def compose(n, rng):
    return "services:\n" + "".join(
        f"  s{i}:\n    image: nginx:1.{i}\n    environment:\n"
        f"      A_PASSWORD: Zx9fKq2LmP{i}\n    ports: [\"{i % 60000 + 1}:80\"]\n"
        for i in range(n)
    )


def workflow(n, rng):
    return "name: big\non: push\npermissions: {}\njobs:\n" + "".join(
        f"  job{i}:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 10\n    permissions:\n"
        f"      contents: read\n    steps:\n"
        f"      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n"
        f"        with:\n          persist-credentials: false\n"
        f"      - name: Build part {i}\n        run: |\n          make -C part{i} test\n"
        f"          echo \"done {i}\"\n"
        for i in range(n)
    )


def dockerfile(n, rng):
    return "".join(
        f"FROM debian:12 AS s{i}\nRUN apt-get update && apt-get install -y curl git make\n"
        f"RUN curl -fsSL https://example.com/{i}.sh | sh\nCOPY . /src/{i}\n"
        for i in range(n)
    )


def env(n, rng):
    return "".join(f"TOKEN_{i}={token(rng)}\n" for i in range(n))


def line(n, rng):
    return "X=" + " ".join(token(rng) for _ in range(n)) + "\n"


# Each case at two sizes, the second twice the first; the larger files are about 10 MB.
CASES = [
    ("compose", "compose.yaml", compose, 45000),
    ("workflow", ".github/workflows/big.yml", workflow, 14000),
    ("dockerfile", "Dockerfile", dockerfile, 35000),
    ("env", ".env", env, 5000),
    ("line", ".env", line, 500),
]


def run(binary, folder, fmt):
    out = tempfile.NamedTemporaryFile(delete=False)
    out.close()
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", binary, "scan", folder, "--format", fmt,
         "--fail-on", "never", "--output", out.name],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    size = os.path.getsize(out.name)
    os.unlink(out.name)
    return wall, peak_kb / 1024, size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--binary", default=os.path.join("target", "release", "portcullis"))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every size")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    rng = random.Random(7)
    print("| case | size | file | format | wall | peak memory | × file | output |")
    print("|---|---:|---:|---|---:|---:|---:|---:|")
    for name, filename, make, base in CASES:
        for factor in (1, 2):
            n = int(base * factor * args.scale)
            with tempfile.TemporaryDirectory() as folder:
                path = os.path.join(folder, filename)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as f:
                    f.write(make(n, rng))
                mb = os.path.getsize(path) / 1e6
                for fmt in FORMATS:
                    wall, peak, size = run(binary, folder, fmt)
                    print(
                        f"| {name} | {n:,} | {mb:.1f} MB | {fmt} | {wall:.2f} s "
                        f"| {peak:.0f} MB | {peak * 1.048576 / mb:.0f} | {size / 1e6:.1f} MB |"
                    )


if __name__ == "__main__":
    main()
