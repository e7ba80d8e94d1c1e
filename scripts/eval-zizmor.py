#!/usr/bin/env python3
"""Compare Portcullis with zizmor's own labelled fixtures.

zizmor's test suite records, for each fixture and command line, the findings it expects. This
script takes every offline run with default arguments, scans the same fixture with Portcullis,
maps zizmor audits to Portcullis rules and prints, per audit, the findings both report (same
YAML entry), those only zizmor reports and those only Portcullis reports, with each
disagreement listed.

Usage: scripts/eval-zizmor.py [ZIZMOR_CORPUS_DIR] [--binary PATH] [--quiet]
The corpus defaults to ../shared/corpus/zizmor next to the repository; without it the script
prints a note and exits 0.
"""
import argparse
import collections
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile

# zizmor audit -> Portcullis rules that report the same concern.
MAPPING = {
    "template-injection": ["template-injection"],
    "unpinned-uses": ["unpinned-action"],
    "cache-poisoning": ["cache-poisoning"],
    "excessive-permissions": ["excessive-permissions", "missing-permissions"],
    "bot-conditions": ["spoofable-bot-condition"],
    "unsound-condition": ["unsound-condition"],
    "artipacked": ["persisted-credentials"],
    "github-env": ["github-env-injection"],
    "dangerous-triggers": ["dangerous-trigger"],
    "unpinned-images": ["latest-tag", "unpinned-image"],
    "overprovisioned-secrets": ["overprovisioned-secrets"],
    "unredacted-secrets": ["unredacted-secrets"],
    "insecure-commands": ["insecure-commands"],
    "secrets-inherit": ["secrets-inherit"],
    "self-hosted-runner": ["self-hosted-runner"],
    "use-trusted-publishing": ["long-lived-publish-token"],
    "typosquat-uses": ["typosquatted-action"],
    "dependabot-execution": ["dependency-bot-code-execution"],
    "dependabot-cooldown": ["missing-dependency-cooldown"],
}


def load_kics_helpers(here):
    spec = importlib.util.spec_from_file_location("eval_kics", os.path.join(here, "eval-kics.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def list_items(path):
    """Line -> first line of the list item (a step) holding it. zizmor points at a step's
    `uses:`; Portcullis at the input that turns caching on, for example."""
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    owner, stack = {}, []
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        indent = len(text) - len(text.lstrip())
        while stack and stack[-1][0] >= indent and not (stack[-1][0] < indent):
            stack.pop()
        if text.lstrip().startswith("- "):
            stack.append((indent, number))
        owner[number] = stack[-1][1] if stack else None
    return owner


def same_item(items, a, b):
    return items.get(a) is not None and items.get(a) == items.get(b)


def scan(binary, fixture):
    """Scan one fixture placed where Portcullis looks for it; findings by (rule, line)."""
    with tempfile.TemporaryDirectory() as tmp:
        name = os.path.basename(fixture)
        if name in ("action.yml", "action.yaml"):
            target = os.path.join(tmp, "action.yml")
        else:
            target = os.path.join(tmp, ".github", "workflows", "fixture.yml")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(fixture, target)
        out = subprocess.run([binary, "scan", ".", "--format", "json", "--fail-on", "never"],
                             cwd=tmp, capture_output=True, text=True, check=True)
        return json.loads(out.stdout)["findings"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default=os.path.join(here, "..", "..", "shared", "corpus", "zizmor"))
    parser.add_argument("--binary", default=os.path.join(here, "..", "target", "release", "portcullis"))
    parser.add_argument("--quiet", action="store_true", help="totals only")
    args = parser.parse_args()
    expected_path = os.path.join(args.corpus, "expected_findings.jsonl")
    if not os.path.exists(expected_path):
        print(f"note: no zizmor corpus at {args.corpus}; nothing to evaluate")
        return 0
    if not os.path.exists(args.binary):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=os.path.join(here, ".."), check=True)
    helpers = load_kics_helpers(here)

    # One record per fixture: the default-argument, offline run.
    runs = {}
    for line in open(expected_path):
        record = json.loads(line)
        if record["args"] or not record.get("offline", True) or len(record["inputs"]) != 1:
            continue
        fixture = os.path.join(args.corpus, record["inputs"][0])
        if not os.path.isfile(fixture) or not fixture.endswith((".yml", ".yaml")):
            continue
        runs.setdefault(fixture, record)

    totals = collections.defaultdict(lambda: [0, 0, 0])
    notes = collections.defaultdict(list)
    for fixture, record in sorted(runs.items()):
        theirs = collections.defaultdict(list)
        for f in record["findings"]:
            if f["audit"] in MAPPING and f["locations"]:
                theirs[f["audit"]].append(f["locations"][0]["line"])
        ours_all = scan(args.binary, fixture)
        blocks = helpers.yaml_blocks(fixture)
        items = list_items(fixture)
        short = os.path.relpath(fixture, args.corpus)
        for audit, rules in MAPPING.items():
            ours = [f["start"]["line"] for f in ours_all if f["rule"] in rules]
            # zizmor repeats a finding for each use of a YAML anchor; Portcullis reports the
            # place the value is written once. Compare places.
            expected = sorted(set(theirs.get(audit, [])))
            ours = sorted(set(ours))
            if not expected and not ours:
                continue
            remaining = list(ours)
            for line in expected:
                match = next(
                    (l for l in remaining
                     if l in blocks.get(line, {line}) or line in blocks.get(l, {l}) or same_item(items, l, line)),
                    None,
                )
                if match is not None:
                    remaining.remove(match)
                    totals[audit][0] += 1
                else:
                    totals[audit][1] += 1
                    notes[audit].append(f"zizmor only  {short}:{line}")
            # Findings of ours that zizmor does not report, for audits that zizmor checked here.
            for line in remaining:
                totals[audit][2] += 1
                notes[audit].append(f"ours only    {short}:{line}")

    print(f"{len(runs)} fixtures (zizmor's default persona, offline)")
    print(f"{'zizmor audit':26} {'both':>6} {'zizmor only':>12} {'ours only':>10}")
    for audit in MAPPING:
        both, theirs_only, ours_only = totals[audit]
        print(f"{audit:26} {both:>6} {theirs_only:>12} {ours_only:>10}")
        if not args.quiet:
            for note in notes[audit]:
                print(f"    {note}")
    both = sum(t[0] for t in totals.values())
    zizmor = sum(t[0] + t[1] for t in totals.values())
    print(f"\nzizmor findings also reported by Portcullis: {both}/{zizmor} ({100.0 * both / max(zizmor, 1):.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
