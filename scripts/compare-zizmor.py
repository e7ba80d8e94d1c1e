#!/usr/bin/env python3
"""Run zizmor (offline) and Portcullis on the same workflows and compare mapped findings.

Every `*.yml`/`*.yaml` workflow found under the given folders is copied into one temporary
repository (`.github/workflows/<n>.yml`), both tools scan it, zizmor audits are mapped to
Portcullis rules, and findings are matched by YAML entry (or step). Prints, per audit, the
findings both report, those only one reports, and samples of each disagreement.

Usage: scripts/compare-zizmor.py FOLDER... [--zizmor PATH] [--binary PATH] [--persona P]
zizmor comes from the Python package `zizmor`; without it the script says so and exits 0.
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


def load(here, name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(here, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--zizmor", default=shutil.which("zizmor") or "zizmor")
    parser.add_argument("--binary", default=os.path.join(here, "..", "target", "release", "portcullis"))
    parser.add_argument("--persona", default="regular")
    parser.add_argument("--samples", type=int, default=4)
    args = parser.parse_args()
    if shutil.which(args.zizmor) is None and not os.path.exists(args.zizmor):
        print("note: zizmor not found (pip install zizmor); nothing to compare")
        return 0
    zz = load(here, "eval-zizmor")
    kics = load(here, "eval-kics")

    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, ".github", "workflows")
        os.makedirs(target)
        names = {}
        for folder in args.folders:
            for root, _, files in os.walk(folder):
                for f in sorted(files):
                    if f.endswith((".yml", ".yaml")) and f not in ("action.yml", "action.yaml"):
                        source = os.path.join(root, f)
                        text = open(source, encoding="utf-8", errors="replace").read()
                        if "jobs:" not in text:
                            continue
                        name = f"w{len(names):04}.yml"
                        shutil.copyfile(source, os.path.join(target, name))
                        names[name] = source
        # One zizmor run per file: zizmor stops a whole run at the first workflow it cannot load.
        theirs = collections.defaultdict(list)
        unreadable = []
        for name in sorted(names):
            run = subprocess.run([args.zizmor, "--offline", "--format", "json", f"--persona={args.persona}",
                                  os.path.join(".github", "workflows", name)], cwd=tmp, capture_output=True, text=True)
            if not run.stdout.strip():
                unreadable.append(names[name])
                continue
            for f in json.loads(run.stdout):
                if f["ident"] not in zz.MAPPING:
                    continue
                primary = [l for l in f["locations"] if l["symbolic"].get("kind") == "Primary"] or f["locations"]
                row = primary[0]["concrete"]["location"]["start_point"]["row"] + 1
                theirs[(name, f["ident"])].append(row)
        ours_raw = subprocess.run([args.binary, "scan", ".", "--format", "json", "--fail-on", "never"],
                                  cwd=tmp, capture_output=True, text=True, check=True)
        ours = collections.defaultdict(list)
        for f in json.loads(ours_raw.stdout)["findings"]:
            for audit, rules in zz.MAPPING.items():
                if f["rule"] in rules:
                    ours[(os.path.basename(f["path"]), audit)].append(f["start"]["line"])

        totals = collections.defaultdict(lambda: [0, 0, 0])
        samples = collections.defaultdict(list)
        for name in sorted(names):
            path = os.path.join(target, name)
            blocks, items = kics.yaml_blocks(path), zz.list_items(path)
            lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
            for audit in zz.MAPPING:
                expected = sorted(set(theirs.get((name, audit), [])))
                remaining = sorted(set(ours.get((name, audit), [])))
                for line in expected:
                    match = next((l for l in remaining if l in blocks.get(line, {line})
                                  or line in blocks.get(l, {l}) or zz.same_item(items, l, line)), None)
                    if match is not None:
                        remaining.remove(match)
                        totals[audit][0] += 1
                    else:
                        totals[audit][1] += 1
                        samples[audit].append(f"zizmor only  {names[name]}:{line}  {lines[line - 1].strip()[:70]}")
                for line in remaining:
                    totals[audit][2] += 1
                    samples[audit].append(f"ours only    {names[name]}:{line}  {lines[line - 1].strip()[:70]}")

    print(f"{len(names)} workflows; zizmor persona {args.persona}; zizmor could not load {len(unreadable)}")
    for u in unreadable:
        print(f"    zizmor failed on {u}")
    print(f"{'zizmor audit':26} {'both':>6} {'zizmor only':>12} {'ours only':>10}")
    for audit in zz.MAPPING:
        both, z_only, o_only = totals[audit]
        if both or z_only or o_only:
            print(f"{audit:26} {both:>6} {z_only:>12} {o_only:>10}")
            for s in samples[audit][: args.samples]:
                print(f"    {s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
