#!/usr/bin/env bash
# Times `leakhound history` over a whole repository and prints commits, unique blobs, bytes,
# seconds, MB/s and peak RSS (median of RUNS runs after a warm-up).
# Usage: bench/history.sh [REPO] [RUNS]
# Default REPO: bench/corpus/history.git, built on first use by bench/make-history.py (20,000
# commits of real source files from the cargo registry; no network). Point REPO at any clone,
# e.g. a local mirror of git or django, for a real project's history.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=${1:-bench/corpus/history.git}
runs=${2:-3}
if [ ! -d "$repo" ] && [ "$repo" = bench/corpus/history.git ]; then
  python3 bench/make-history.py "$repo" --commits 20000
fi
cargo build --release --quiet
bin=target/release/leakhound
commits=$(git -C "$repo" rev-list --all --count)
"$bin" history -q --no-progress --format json -o /tmp/leakhound-history.json "$repo" || true  # warm-up
results=()
for _ in $(seq "$runs"); do
  # Exit code 1 (findings) is expected: keep the timing line regardless.
  line=$( { /usr/bin/time -f '%e %M' "$bin" history -q --no-progress --format json -o /tmp/leakhound-history.json "$repo" >/dev/null; } 2>&1 | tail -n 1) || true
  results+=("$line")
done
stats=$(python3 -c 'import json;s=json.load(open("/tmp/leakhound-history.json"))["stats"];print(s["files"]+s["skipped_binary"]+s["skipped_too_large"], s["files"], s["bytes"], s["findings"])')
printf '%s\n' "${results[@]}" | sort -n | awk -v stats="$stats" -v runs="$runs" -v commits="$commits" '
  { t[NR]=$1; m[NR]=$2 }
  END {
    split(stats, s, " "); mid = int((runs + 1) / 2);
    printf "repo commits: %d  unique blobs: %d (%d text scanned)  bytes: %.1f MB  median wall: %.2fs  %.0f MB/s  peak RSS: %.0f MB  findings: %d\n",
      commits, s[1], s[2], s[3] / 1e6, t[mid], s[3] / 1e6 / t[mid], m[mid] / 1024, s[4]
  }'
