#!/usr/bin/env bash
# Times `leakhound staged` (the pre-commit hook) on a typical commit: 3 changed files staged in a
# repository with a real-sized tree. Prints the median wall time of RUNS runs (default 30).
# Usage: bench/staged.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
cargo build --release --quiet
bin=$PWD/target/release/leakhound
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A work tree of ~2,000 real source files, committed, then a typical change staged.
git init -q "$work/repo"
mkdir -p "$work/repo/vendor"
find "$HOME/.cargo/registry/src" -mindepth 2 -maxdepth 2 -type d | sort | awk 'NR <= 30' |
  while read -r crate; do cp -r "$crate" "$work/repo/vendor/"; done
cp -r "$PWD/src" "$work/repo/src"
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=b -c user.email=b@b commit -q -m base
files=$(git -C "$work/repo" ls-files | awk '/\.(rs|py|js|md|toml)$/ && n < 3 { print; n++ }')
for f in $files; do printf '\n// a typical edit\nlet x = compute(1, 2);\n' >> "$work/repo/$f"; done
git -C "$work/repo" add -A
tracked=$(git -C "$work/repo" ls-files | wc -l)
times=()
for _ in $(seq "$runs"); do
  start=$(date +%s%N)
  (cd "$work/repo" && "$bin" staged -q --no-progress >/dev/null)
  end=$(date +%s%N)
  times+=($(( (end - start) / 1000 )))
done
printf '%s\n' "${times[@]}" | sort -n | awk -v runs="$runs" -v tracked="$tracked" '
  { t[NR]=$1 }
  END { printf "staged: 3 files changed in a repository of %d files; median wall %.1f ms (min %.1f, max %.1f) over %d runs\n",
        tracked, t[int((runs + 1) / 2)] / 1000, t[1] / 1000, t[runs] / 1000, runs }'
