#!/usr/bin/env bash
# Issue 15 item 6: time and peak memory of `leakhound scan` on one file holding nothing but
# distinct Stripe-shaped tokens (one per line), at 1, 4 and 16 MB. The work per match must stay
# constant: the 16 MB row should take about 16 times the 1 MB row, and memory should grow with
# the file, not with the square of the matches.
# Usage: bench/many-matches.sh [BINARY]   (default: builds and uses the release binary)
# Prints one line per size: wall seconds, peak RSS, findings. Needs python3 and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --release --locked --quiet
  bin=${CARGO_TARGET_DIR:-target}/release/leakhound
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for mb in 1 4 16; do
  # A fixed seed: the same corpus on every run. The tokens are made here, never stored.
  python3 - "$dir/tokens-$mb.txt" "$mb" <<'PY'
import random, string, sys
path, mb = sys.argv[1], int(sys.argv[2])
rng = random.Random(15)
alphabet = string.ascii_letters + string.digits
with open(path, "w") as out:
    size = 0
    while size < mb << 20:
        line = "sk_live_" + "".join(rng.choice(alphabet) for _ in range(99)) + "\n"
        out.write(line)
        size += len(line)
PY
  out=$( { /usr/bin/time -f '%e %M' "$bin" scan --no-progress -q --format json \
      --max-file-size 100000000 "$dir/tokens-$mb.txt" >"$dir/report.json"; } 2>&1 | tail -n 1) || true
  findings=$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["stats"]["findings"])' "$dir/report.json")
  echo "$out" | awk -v mb="$mb" -v findings="$findings" \
    '{ printf "%2d MB: %7.2f s  peak RSS %6.0f MB  %d findings\n", mb, $1, $2 / 1024, findings }'
done
