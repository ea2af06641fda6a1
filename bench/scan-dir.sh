#!/usr/bin/env bash
# Times a whole-process `leakhound scan` of a large directory and prints MB/s and peak RSS.
# Usage: bench/scan-dir.sh [DIR] [RUNS]   (default DIR: the cargo registry sources, RUNS: 3)
# Builds the release binary first. Prints the median of RUNS runs after one warm-up run.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-$HOME/.cargo/registry/src}
runs=${2:-3}
[ -d "$dir" ] || { echo "no such directory: $dir" >&2; exit 2; }
cargo build --release --quiet
bin=target/release/leakhound
bytes=$(find "$dir" -type f -size -25M -print0 | du -cb --files0-from=- | tail -n 1 | cut -f1)
files=$(find "$dir" -type f | wc -l)
echo "corpus: $dir ($files files, $((bytes / 1000000)) MB on disk, all counted)"
"$bin" scan --no-ignore -q --format jsonl --no-progress "$dir" >/dev/null || true  # warm-up: page cache
times=()
for _ in $(seq "$runs"); do
  out=$( { /usr/bin/time -f '%e %M' "$bin" scan --no-ignore -q --format json --no-progress "$dir" >/tmp/leakhound-bench.json; } 2>&1 | tail -n 1) || true
  times+=("$out")
done
scanned=$(python3 -c 'import json;s=json.load(open("/tmp/leakhound-bench.json"))["stats"];print(s["bytes"], s["files"], s["findings"])')
printf '%s\n' "${times[@]}" | sort -n | awk -v scanned="$scanned" -v runs="$runs" '
  { t[NR]=$1; m[NR]=$2 }
  END {
    split(scanned, s, " ");
    med = t[int((runs + 1) / 2)];
    printf "runs: %d  median wall: %.2fs  scanned: %d files, %.1f MB  throughput: %.0f MB/s  peak RSS: %.0f MB  findings: %d\n",
      runs, med, s[2], s[1] / 1e6, (s[1] / 1e6) / med, m[int((runs + 1) / 2)] / 1024, s[3]
  }'
