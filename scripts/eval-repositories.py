#!/usr/bin/env python3
"""Scan a folder of real repositories and print what Portcullis reports, for review.

Each subfolder of ROOT is one repository. The script scans each with the release binary (JSON
output, every level), then prints:

- files scanned and findings per file (mean, median, max) and the share of each level;
- per rule: count, level, and the number of repositories it fires in;
- every error-level finding (path:line, rule, message) — the ones that must be right — and a
  sample of each warning and note rule (--sample N per rule, default 3), for a reader to judge
  finding by finding;
- the files that could not be checked (parse-error) and the run's notifications.

Usage: scripts/eval-repositories.py ROOT [--binary PATH] [--sample N] [--markdown]
With --markdown the report is written as Markdown (as recorded in docs/evaluation.md).
The binary defaults to target/release/portcullis (built with `cargo build --release`).
"""
import argparse
import collections
import json
import os
import random
import statistics
import subprocess
import sys


def scan(binary, repo):
    out = subprocess.run(
        [binary, "scan", ".", "--format", "json", "--fail-on", "never"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    if out.returncode not in (0, 1):
        sys.stderr.write(f"{repo}: exit {out.returncode}: {out.stderr.strip()}\n")
        return None
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root")
    parser.add_argument("--binary", default=os.path.join("target", "release", "portcullis"))
    parser.add_argument("--sample", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    if not os.path.exists(binary):
        sys.exit(f"{binary} not found: run `cargo build --release` first")

    repos = sorted(
        d for d in os.listdir(args.root) if os.path.isdir(os.path.join(args.root, d))
    )
    findings = []
    notes = []
    per_file = collections.Counter()
    files = 0
    for repo in repos:
        doc = scan(binary, os.path.join(args.root, repo))
        if doc is None:
            continue
        files += doc["summary"]["files_scanned"]
        for f in doc["findings"]:
            f["repo"] = repo
            findings.append(f)
            per_file[(repo, f["path"])] += 1
        for n in doc.get("notifications", []):
            notes.append((repo, n["message"]))

    md = args.markdown
    h = (lambda t: f"\n## {t}\n") if md else (lambda t: f"\n== {t}")
    print("# Portcullis on real repositories\n" if md else "Portcullis on real repositories")
    counts = [per_file.get(k, 0) for k in per_file] or [0]
    levels = collections.Counter(f["level"] for f in findings)
    print(
        f"{len(repos)} repositories, {files} files scanned, {len(findings)} findings "
        f"(errors {levels['error']}, warnings {levels['warning']}, notes {levels['note']}); "
        f"per file with findings: mean {statistics.mean(counts):.1f}, "
        f"median {statistics.median(counts):.0f}, max {max(counts)}"
    )

    print(h("Per rule"))
    by_rule = collections.defaultdict(list)
    for f in findings:
        by_rule[f["rule"]].append(f)
    if md:
        print("| rule | level | findings | repositories |\n|---|---|---:|---:|")
    for rule, items in sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        level = collections.Counter(f["level"] for f in items).most_common(1)[0][0]
        repos_hit = len({f["repo"] for f in items})
        if md:
            print(f"| `{rule}` | {level} | {len(items)} | {repos_hit} |")
        else:
            print(f"{len(items):6}  {level:8} {rule} ({repos_hit} repositories)")

    def line(f):
        text = f"{f['repo']}/{f['path']}:{f['start']['line']} [{f['rule']}] {f['message']}"
        return f"- {text}" if md else f"  {text}"

    print(h("Every error"))
    for f in sorted(
        (f for f in findings if f["level"] == "error"),
        key=lambda f: (f["rule"], f["repo"], f["path"], f["start"]["line"]),
    ):
        print(line(f))

    print(h(f"A sample of each warning and note rule ({args.sample} each)"))
    rng = random.Random(0)
    for rule, items in sorted(by_rule.items()):
        rest = [f for f in items if f["level"] != "error"]
        if not rest:
            continue
        print(f"\n{'### ' if md else ''}{rule}")
        for f in rng.sample(rest, min(args.sample, len(rest))):
            print(line(f))

    print(h("Notifications"))
    for repo, message in notes:
        print(f"- {repo}: {message}" if md else f"  {repo}: {message}")


if __name__ == "__main__":
    main()
