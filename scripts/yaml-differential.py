#!/usr/bin/env python3
"""Differential check of Portcullis's YAML reading against a reference parser (PyYAML).

Each `tests/data/yaml-shapes/*.yaml` is loaded with PyYAML's BaseLoader (every scalar kept
as its text, no type guessing) and written beside it as `<name>.json`. `cargo test` compares
Portcullis's tree with those files (tests/yaml_shapes.rs), so a shape that the reference
accepts and Portcullis refuses, or reads differently, fails the suite.

    python3 -m pip install pyyaml
    python3 scripts/yaml-differential.py          # write the expectations
    python3 scripts/yaml-differential.py --check  # fail if an expectation is stale
"""
import json
import pathlib
import sys

import yaml

SHAPES = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "yaml-shapes"


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for path in sorted(SHAPES.glob("*.yaml")):
        with open(path, encoding="utf-8") as f:
            value = yaml.load(f, Loader=yaml.BaseLoader)
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        expected = path.with_suffix(".json")
        if check:
            if not expected.is_file() or expected.read_text(encoding="utf-8") != text:
                stale.append(expected.name)
        else:
            expected.write_text(text, encoding="utf-8")
    if stale:
        print("stale expectations:", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
