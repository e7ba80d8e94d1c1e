#!/bin/sh
# Builds the release binary of the Action's image: statically linked, size-optimised at link
# time, symbols stripped. The Dockerfile runs this script, and CI runs it on its own host, so a
# build that cannot work fails there first.
#
#   scripts/build-static.sh [OUTPUT]     # default OUTPUT: target/portcullis-static
#
# The target is named explicitly (the host's: x86_64-unknown-linux-musl in the image): with
# `--target`, cargo applies RUSTFLAGS to the target's crates only, so the proc-macro crates
# (clap_derive, serde_derive), which cannot be static, are built for the host as usual.
set -eu
cd "$(dirname "$0")/.."
output="${1:-target/portcullis-static}"
target="${PORTCULLIS_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
[ -n "$target" ] || { echo "build-static: cannot tell the host target from rustc -vV" >&2; exit 1; }

RUSTFLAGS="-C target-feature=+crt-static" \
CARGO_PROFILE_RELEASE_LTO=true \
CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
CARGO_PROFILE_RELEASE_STRIP=true \
  cargo build --release --locked --target "$target"

mkdir -p "$(dirname "$output")"
cp "target/$target/release/portcullis" "$output"
# The binary runs, and on an empty base: no dynamic loader or shared library may be needed.
"$output" --version >/dev/null
if command -v file >/dev/null 2>&1; then
  case "$(file -L "$output")" in
    *"dynamically linked"*) echo "build-static: $output is dynamically linked" >&2; exit 1 ;;
  esac
fi
echo "build-static: $output ($target)"
