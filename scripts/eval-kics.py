#!/usr/bin/env python3
"""Compare Portcullis with KICS' labelled query fixtures.

For each KICS query mapped to a Portcullis rule, every positive fixture is scanned and each
expected (file, line) must carry a finding of the mapped rule on that line (recall); every
negative fixture must produce no finding of that rule (false positives).

Usage: scripts/eval-kics.py [KICS_CORPUS_DIR] [--binary PATH]
The corpus defaults to ../shared/corpus/kics next to the repository; without it the script
prints a note and exits 0.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

# KICS query folder -> Portcullis rule id, or (rule id, text the message must contain) where
# several queries share a rule (one per package manager).
MAPPING = {
    "dockerfile/image_version_using_latest": "latest-tag",
    "dockerfile/image_version_not_explicit": "latest-tag",
    "dockerfile/apt_get_install_pin_version_not_defined": ("unpinned-package", "apt-get install"),
    "dockerfile/unpinned_package_version_in_apk_add": ("unpinned-package", "apk add"),
    "dockerfile/unpinned_package_version_in_pip_install": ("unpinned-package", "pip"),
    "dockerfile/npm_install_without_pinned_version": ("unpinned-package", "npm "),
    "dockerfile/gem_install_without_version": ("unpinned-package", "gem install"),
    "dockerfile/yum_install_without_version": ("unpinned-package", "yum install"),
    "dockerfile/missing_version_specification_in_dnf_install": ("unpinned-package", "dnf install"),
    "dockerfile/zypper_install_without_version": ("unpinned-package", "zypper "),
    "dockerfile/curl_or_wget_instead_of_add": "add-remote-url",
    "dockerfile/last_user_is_root": "root-user",
    "dockerfile/missing_user_instruction": "root-user",
    "dockerfile/run_using_sudo": "sudo-in-run",
    "dockerfile/exposing_port_22": "ssh-port-exposed",
    "dockerfile/healthcheck_instruction_missing": "missing-healthcheck",
    "dockerCompose/privileged_containers_enabled": "privileged",
    "dockerCompose/container_capabilities_unrestricted": ("dangerous-capability|capabilities-not-dropped", ""),
    "dockerCompose/container_traffic_not_bound_to_host_interface": "port-exposed-all-interfaces",
    "dockerCompose/cpus_not_limited": ("missing-resource-limits", "CPU"),
    "dockerCompose/memory_not_limited": ("missing-resource-limits", "memory"),
    "dockerCompose/pids_limit_not_set": ("missing-resource-limits", "pids"),
    "dockerCompose/default_seccomp_profile_disabled": "security-profile-disabled",
    "dockerCompose/docker_socket_mounted_in_container": "docker-socket-mount",
    "dockerCompose/healthcheck_not_set": "missing-healthcheck",
    "dockerCompose/host_namespace_is_shared": ("host-namespace", "process"),
    "dockerCompose/no_new_privileges_not_set": "no-new-privileges-missing",
    "dockerCompose/security_opt_not_set": "no-new-privileges-missing",
    "dockerCompose/shared_host_ipc_namespace": ("host-namespace", "IPC"),
    "dockerCompose/shared_host_network_namespace": ("host-namespace", "network"),
    "dockerCompose/shared_host_user_namespace": ("host-namespace", "user"),
    "dockerCompose/volume_has_sensitive_host_directory": "sensitive-host-mount",
    "dockerCompose/volume_mounted_in_multiple_containers": "mount-propagation-shared",
    "cicd/github/unpinned_actions_full_length_commit_sha": "unpinned-action",
}

# Where a fixture must live for Portcullis to classify it.
TARGET = {
    "dockerfile": "Dockerfile",
    "dockerCompose": "compose.yaml",
    "cicd/github": ".github/workflows/fixture.yml",
}


def scan(binary, fixture, platform):
    with tempfile.TemporaryDirectory() as tmp:
        target = os.path.join(tmp, TARGET[platform])
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(fixture, target)
        out = subprocess.run(
            [binary, "scan", ".", "--format", "json", "--fail-on", "never"],
            cwd=tmp, capture_output=True, text=True, check=True,
        )
        return json.loads(out.stdout)["findings"]


def instruction_blocks(path):
    """First line of each Dockerfile instruction -> the set of lines it spans (continuations)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    blocks, start = {}, None
    for number, text in enumerate(lines, 1):
        if start is None:
            start = number
        blocks.setdefault(start, set()).add(number)
        if not text.rstrip().endswith("\\"):
            start = None
    return blocks


def yaml_blocks(path):
    """Line -> the lines of the YAML entry that starts there (more indented lines, or the list
    items of a key). KICS points at a key; Portcullis at the item or key that is wrong."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    indent = [len(t) - len(t.lstrip()) if t.strip() else None for t in lines]
    blocks = {}
    for i, text in enumerate(lines):
        if indent[i] is None:
            continue
        block = {i + 1}
        for j in range(i + 1, len(lines)):
            if indent[j] is None:
                continue
            if indent[j] > indent[i] or (indent[j] == indent[i] and lines[j].lstrip().startswith("- ")
                                          and text.rstrip().endswith(":")):
                block.add(j + 1)
            else:
                break
        blocks[i + 1] = block
    return blocks


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", nargs="?", default=os.path.join(here, "..", "..", "shared", "corpus", "kics"))
    parser.add_argument("--binary", default=os.path.join(here, "..", "target", "release", "portcullis"))
    args = parser.parse_args()
    if not os.path.isdir(args.corpus):
        print(f"note: no KICS corpus at {args.corpus}; nothing to evaluate")
        return 0
    if not os.path.exists(args.binary):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=os.path.join(here, ".."), check=True)

    total_expected = total_hit = total_fp = 0
    print(f"{'query':62} {'rule':20} {'recall':>9} {'FP on negatives':>16}")
    for query, target in sorted(MAPPING.items()):
        rule, needle = target if isinstance(target, tuple) else (target, "")
        platform = query.rsplit("/", 1)[0]

        def relevant(f):
            return f["rule"] in rule.split("|") and needle in f["message"]

        test_dir = os.path.join(args.corpus, query, "test")
        expected_path = os.path.join(test_dir, "positive_expected_result.json")
        with open(expected_path) as f:
            expected = json.load(f)
        by_file = {}
        for item in expected:
            by_file.setdefault(item.get("fileName") or item.get("filename"), []).append(item["line"])
        hit = missed = fp = 0
        misses = []
        for name in sorted(os.listdir(test_dir)):
            path = os.path.join(test_dir, name)
            if name.startswith("positive") and not name.endswith(".json"):
                found = [f["start"]["line"] for f in scan(args.binary, path, platform) if relevant(f)]
                blocks = instruction_blocks(path) if platform == "dockerfile" else yaml_blocks(path)
                # An expectation without a file name belongs to the only positive file.
                for line in sorted(by_file.get(name, []) + by_file.get(None, [])):
                    # KICS reports a continued RUN at its first line; Portcullis at the line of
                    # the offending word. Any line of the instruction counts, once.
                    match = next(
                        (l for l in found if l in blocks.get(line, {line}) or line in blocks.get(l, {l})),
                        None,
                    )
                    if match is not None:
                        found.remove(match)
                        hit += 1
                    else:
                        missed += 1
                        misses.append(f"{name}:{line}")
            elif name.startswith("negative"):
                found = [f for f in scan(args.binary, path, platform) if relevant(f)]
                fp += len(found)
                misses.extend(f"FP {name}:{f['start']['line']}" for f in found)
        n = hit + missed
        total_expected += n
        total_hit += hit
        total_fp += fp
        recall = f"{hit}/{n}" if n else "-"
        print(f"{query:62} {rule:20} {recall:>9} {fp:>16}")
        for m in misses:
            print(f"    {m}")
    pct = 100.0 * total_hit / total_expected if total_expected else 100.0
    print(f"\nrecall {total_hit}/{total_expected} ({pct:.1f}%), {total_fp} findings on negative fixtures")
    return 0


if __name__ == "__main__":
    sys.exit(main())
