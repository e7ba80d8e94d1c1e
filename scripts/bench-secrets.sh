#!/usr/bin/env bash
# Throughput of the secret scan in `--secrets-scope all` mode, on one core and on all cores.
# Generates a tree of realistic text (source-like lines, config, base64 and hex blobs, a few
# real-format tokens) and reports MB/s, then the format count, recall on generated tokens and the
# findings on the negative set. A benchmark, not a test: numbers depend on the machine.
#
# Usage: scripts/bench-secrets.sh [SIZE_MB] (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
size_mb="${1:-200}"
cargo build --release --quiet
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT

python3 - "$tree" "$size_mb" <<'PY'
import os, random, string, sys
root, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
random.seed(42)
alnum = string.ascii_letters + string.digits
words = "the of and to in is that for it as with was on be by this are from or have an they which one you were all we when there can".split()
def line():
    r = random.random()
    if r < 0.55:
        return "    " + " ".join(random.choice(words) for _ in range(random.randint(4, 14))) + ";"
    if r < 0.7:
        return f"{random.choice(['API_URL','LOG_LEVEL','TIMEOUT','REGION','NAME'])}={random.choice(words)}"
    if r < 0.8:
        return "".join(random.choice(alnum + "+/") for _ in range(76))
    if r < 0.9:
        return "sha256:" + "".join(random.choice("0123456789abcdef") for _ in range(64))
    if r < 0.9995:
        return f"id = \"{random.randint(0, 10**12)}\"  # {' '.join(random.choice(words) for _ in range(5))}"
    return "token = \"ghp_" + "".join(random.choice(alnum) for _ in range(36)) + "\""
written, n = 0, 0
while written < size:
    d = os.path.join(root, f"d{n // 100}")
    os.makedirs(d, exist_ok=True)
    text = "\n".join(line() for _ in range(2000)) + "\n"
    with open(os.path.join(d, f"f{n}.txt"), "w") as f:
        f.write(text)
    written += len(text)
    n += 1
print(f"{n} files, {written / 1048576:.0f} MiB", file=sys.stderr)
PY

bytes=$(du -sb "$tree" | cut -f1)
for threads in 1 "$(nproc)"; do
  start=$(date +%s.%N)
  RAYON_NUM_THREADS=$threads ./target/release/portcullis scan "$tree" --secrets-scope all --format json --fail-on never >/dev/null
  end=$(date +%s.%N)
  python3 -c "import sys; b,s,e,t=map(float,sys.argv[1:]); d=e-s; print(f'{int(t)} thread(s): {d:.2f} s, {b/d/1048576:.0f} MB/s ({b/d/1048576/t:.0f} MB/s per core)')" "$bytes" "$start" "$end" "$threads"
done

# Format count, recall on generated tokens (200 a format, quoted and unquoted) and findings on
# the negative set, as the unit tests measure them.
cargo test --quiet --lib -- --nocapture \
  rules::secrets::hardcoded_secret::tests::recall_on_generated_tokens \
  rules::secrets::hardcoded_secret::tests::no_false_positives_on_non_secret_text 2>&1 |
  grep -oE '(secret formats|non-secret lines): .*'
