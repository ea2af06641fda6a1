#!/usr/bin/env bash
# Issue 15: wall time and peak RSS of `leakhound history` on hostile repositories that git
# accepts (`git index-pack`, `git fsck`), built once into bench/corpus/hostile/ by
# bench/make-hostile.py:
#   family-10, family-40, family-150  a 24 MiB blob of zeros and a chain of deltas on it, each
#                                     level with a leaf delta after it (a ~33 KB pack)
#   tree-family-6                     a balanced tree of deltas on a 24 MiB blob, 6 levels
#                                     (127 objects): a shape where the byte budget must act
#   trees-1000                        trees nested 1,000 deep with 2,000-byte names
# Usage: bench/hostile.sh [OLD_BINARY ...]
# Runs this tree's release binary, then each OLD_BINARY (e.g. one built from commit 50a35e3 in
# its own target directory), once per repository; /usr/bin/time -f '%e %M' gives the figures.
# Every run is capped at 12 GiB of address space, so that an unbounded one fails, not the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=bench/corpus/hostile
mkdir -p "$dir"
build() {
  local name=$1
  shift
  [ -d "$dir/$name.git" ] || python3 bench/make-hostile.py "$@" "$dir/$name.git"
}
build family-10 family --depth 10
build family-40 family --depth 40
build family-150 family --depth 150
build tree-family-6 family --depth 6 --shape tree
build trees-1000 trees --depth 1000 --name-len 2000
cargo build --release --quiet
binaries=("${CARGO_TARGET_DIR:-target}/release/leakhound" "$@")
printf '%-16s %-40s %8s %12s %6s\n' repository binary "wall s" "peak RSS MB" exit
for repo in family-10 family-40 family-150 tree-family-6 trees-1000; do
  pack=$(du -k "$dir/$repo.git/objects/pack/"*.pack | awk '{s += $1} END {print s}')
  for bin in "${binaries[@]}"; do
    # -v: blobs of interest include skipped binary ones, so the walk goes down to them.
    set +e
    (ulimit -v $((12 << 20)) && exec /usr/bin/time -o "$dir/time.txt" -f '%e %M' "$bin" history \
      -v -q --no-progress --format json -o /dev/null "$dir/$repo.git" >/dev/null 2>&1)
    code=$?
    set -e
    line=$(tail -n 1 "$dir/time.txt")
    read -r wall rss <<<"$line"
    printf '%-16s %-40s %8s %12.0f %6s  (pack %s KB)\n' "$repo" "$bin" "$wall" \
      "$((rss / 1024))" "$code" "$pack"
  done
done
