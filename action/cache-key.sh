#!/usr/bin/env bash
# The cache key of the leakhound binary the GitHub Action installs (action.yml): what identifies
# the build. With a crates.io version, that version; otherwise a hash of the action's own
# source, so an upgraded action (a new tag, or a branch that moved) builds afresh instead of
# running the cached old binary. Both with the runner's OS, image and architecture, since a
# binary built on one image may not run on another.
#
# Environment:
#   ACTION_PATH     the action's checkout (default: this script's parent directory)
#   INPUT_VERSION   the requested crates.io version (empty: build the action's source)
#   RUNNER_OS, RUNNER_ARCH, ImageOS   set by GitHub's runners
# Prints `key=...` (append it to GITHUB_OUTPUT).
set -euo pipefail
action_path=${ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}
platform="${RUNNER_OS:-unknown}-${RUNNER_ARCH:-unknown}-${ImageOS:-unknown}"
if [ -n "${INPUT_VERSION:-}" ]; then
  # Only version characters: the key goes into GITHUB_OUTPUT, one line.
  build="crates-$(printf '%s' "$INPUT_VERSION" | tr -c 'A-Za-z0-9.+-' '_')"
else
  # macOS runners have shasum rather than sha256sum (same output).
  if command -v sha256sum >/dev/null; then hash=(sha256sum); else hash=(shasum -a 256); fi
  # Everything `cargo install --path` compiles: sources, rules, the hook script, manifests.
  cd "$action_path"
  source_hash=$(
    find src patterns hooks build.rs Cargo.toml Cargo.lock -type f -print0 2>/dev/null \
      | LC_ALL=C sort -z \
      | xargs -0 "${hash[@]}" \
      | "${hash[@]}" \
      | cut -c1-32
  )
  build="source-${source_hash}"
fi
echo "key=leakhound-${platform}-${build}"
