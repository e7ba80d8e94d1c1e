#!/usr/bin/env bash
# The organization report in a real browser: `org report --html` on a small set of results
# must render, and its filters (rule, level, repository, taken from the page's #hash as a
# user's link would) must show exactly the matching rows. Saves a screenshot for the docs.
#
#   scripts/check-org-report.sh [PORTCULLIS_BINARY] [SCREENSHOT.png]
#
# Needs Chromium (Debian: `apt-get install chromium`); without it the check says it is skipped
# and exits 0, so CI machines without a browser still pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/portcullis}
screenshot=${2:-}

browser=""
for candidate in chromium chromium-browser google-chrome; do
  if command -v "$candidate" >/dev/null 2>&1; then browser=$candidate; break; fi
done
if [[ -z "$browser" ]]; then
  echo "org report browser check: SKIPPED (no Chromium found; apt-get install chromium to run it)"
  exit 0
fi
[[ -x "$bin" ]] || { echo "error: $bin is not an executable Portcullis binary" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/results/acme" "$work/results/acme-labs"
commit=4b825dc642cb6eb9a060e54bf8d69288fbee4904
result() { # repository, findings JSON
  local repo=$1 findings=$2
  cat > "$work/results/$repo.json" <<EOF
{"version":1,"repository":"$repo","status":"checked","branch":"main","commit":"$commit","files":7,
 "not_fetched":[],"notifications":[],"timing":{"fetch_ms":210,"scan_ms":4,"requests":10,"bytes":9000},
 "findings":$findings}
EOF
}
finding() { # rule level path line message fingerprint
  printf '{"rule":"%s","level":"%s","path":"%s","line":%s,"column":1,"message":"%s","fingerprint":"%s"}' "$@"
}
result acme/payments "[$(finding privileged error deploy/compose.yaml 12 'Service `api` runs privileged: every capability and host device, no confinement' p1),
 $(finding hardcoded-secret error .env 3 'AWS access key ID AKIA…[redacted] committed in .env' p2),
 $(finding unpinned-action warning .github/workflows/ci.yml 18 'actions/setup-node@v4 is not pinned to a commit: the tag can be moved to other code' p3),
 $(finding latest-tag warning Dockerfile 1 'Base image node:latest changes under you: pin a version and digest' p4)]"
result acme/storefront "[$(finding template-injection error .github/workflows/pr.yml 22 '${{ github.event.pull_request.title }} expands into a shell script: an attacker-chosen title runs as code' s1),
 $(finding excessive-permissions warning .github/workflows/release.yml 9 'Job release asks for write-all: grant only what it needs' s2),
 $(finding missing-healthcheck note Dockerfile 30 'The image declares no HEALTHCHECK' s3)]"
result acme/search "[$(finding docker-socket-mount error compose.yaml 15 'Service indexer mounts the Docker socket: root on the host' q1),
 $(finding unpinned-action warning .github/workflows/ci.yml 11 'actions/checkout@v4 is not pinned to a commit: the tag can be moved to other code' q2),
 $(finding root-user note Dockerfile 1 'The image runs as root (no USER)' q3)]"
result acme-labs/demo "[$(finding unpinned-action warning .github/workflows/ci.yml 7 'actions/checkout@main is not pinned to a commit: the branch moves' d1)]"
result acme/docs "[]"
cat > "$work/results/acme/legacy.json" <<EOF
{"version":1,"repository":"acme/legacy","status":"not-checked","reason":"tree: GitHub answered 500: Server Error: unexpected answer","findings":[]}
EOF
# Last week's report knew acme/payments' findings: the other seven are new.
{ printf '{"version":1,"compared":false,"repositories":['; cat "$work/results/acme/payments.json"; printf ']}'; } > "$work/previous.json"

"$bin" org report "$work/results" --previous "$work/previous.json" --html "$work/report.html" >/dev/null

dom() { # hash → the page's DOM after its script ran
  "$browser" --headless --no-sandbox --disable-gpu --virtual-time-budget=2000 \
    --dump-dom "file://$work/report.html#$1" 2>/dev/null
}
failures=0
check() { # name hash expected-rows [pattern every row must match]
  local name=$1 hash=$2 expected=$3 pattern=${4:-}
  local page rows
  page=$(dom "$hash")
  rows=$(grep -o '<tr class="\(error\|warning\|note\)"[^>]*>' <<<"$page" | wc -l)
  if [[ "$rows" != "$expected" ]]; then
    echo "FAIL $name: $rows rows shown, expected $expected"; failures=$((failures + 1)); return
  fi
  if [[ -n "$pattern" ]] && grep -o '<tr class="\(error\|warning\|note\)"[^>]*>' <<<"$page" | grep -vq -- "$pattern"; then
    echo "FAIL $name: a row does not match $pattern"; failures=$((failures + 1)); return
  fi
  echo "ok   $name: $rows rows"
}
check "renders every finding" "" 11
check "level filter" "level=error" 4 'class="error"'
check "rule filter" "rule=unpinned-action" 3 'data-rule="unpinned-action"'
check "repository filter" "repo=acme%2Fsearch" 3 'data-repository="acme/search"'
check "filters combine" "rule=unpinned-action&level=warning&repo=acme-labs" 1 'data-repository="acme-labs/demo"'
check "new only" "new=1" 7
page=$(dom "")
grep -q 'acme/legacy' <<<"$page" || { echo "FAIL not-checked repository missing"; failures=$((failures + 1)); }
grep -q "https://github.com/acme/payments/blob/$commit/deploy/compose.yaml#L12" <<<"$page" \
  || { echo "FAIL links to files at the scanned commit"; failures=$((failures + 1)); }
grep -q '11 of 11 findings' <<<"$page" || { echo "FAIL the count of shown findings"; failures=$((failures + 1)); }

if [[ -n "$screenshot" ]]; then
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --virtual-time-budget=2000 \
    --window-size=1280,1100 --screenshot="$screenshot" "file://$work/report.html" >/dev/null 2>&1
  echo "screenshot: $screenshot"
fi
if (( failures > 0 )); then
  echo "org report browser check: $failures FAILED"
  exit 1
fi
echo "org report browser check: passed in $("$browser" --version 2>/dev/null || echo "$browser")"
