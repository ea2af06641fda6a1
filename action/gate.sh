#!/usr/bin/env bash
# The CI gate the GitHub Action runs (action.yml), kept in a script so it can be run and tested
# anywhere: scans what the pull request adds (or the pushed commits, or the whole history),
# writes SARIF, prints annotations, and exits with the gate's code.
#
# Environment (all optional):
#   LEAKHOUND           the leakhound binary (default: leakhound on PATH)
#   INPUT_BASE          base commit or ref; default: the pull request's base SHA, else
#                       GITHUB_EVENT_BEFORE for a push, else the whole history
#   INPUT_CONFIG        config file          INPUT_BASELINE   baseline file
#   INPUT_FAIL_ON       severity threshold   INPUT_SARIF      SARIF output (default leakhound.sarif)
#   INPUT_ARGS          extra arguments, split as a shell would: quotes and backslashes are
#                       respected ("my config.toml"), nothing is expanded or run
#   GITHUB_OUTPUT       if set, `sarif=...` and `exit-code=...` are appended to it
set -uo pipefail
leakhound=${LEAKHOUND:-leakhound}
sarif=${INPUT_SARIF:-leakhound.sarif}
base=${INPUT_BASE:-}
if [ -z "$base" ] && [ -n "${GITHUB_EVENT_BEFORE:-}" ] && [ "${GITHUB_EVENT_BEFORE}" != "0000000000000000000000000000000000000000" ]; then
  base=$GITHUB_EVENT_BEFORE
fi
args=(history --no-progress)
if [ -n "$base" ]; then
  args+=(--base "$base")
else
  args+=(--full-history)
fi
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
[ -n "${INPUT_FAIL_ON:-}" ] && args+=(--fail-on "$INPUT_FAIL_ON")
if [ -n "${INPUT_ARGS:-}" ]; then
  # xargs splits words the way a shell does (quotes, backslashes) without expanding `$(...)`,
  # `*` or variables; printf hands each word over NUL-terminated. Run once to catch bad quoting.
  if ! printf '%s' "$INPUT_ARGS" | xargs -r printf '%s\0' >/dev/null; then
    echo "leakhound: error: cannot split the args input (an unmatched quote?)" >&2
    exit 2
  fi
  while IFS= read -r -d '' word; do
    args+=("$word")
  done < <(printf '%s' "$INPUT_ARGS" | xargs -r printf '%s\0')
fi

# SARIF for code scanning, then the same scan as annotations on the pull request's lines.
"$leakhound" "${args[@]}" --format sarif --output "$sarif"
code=$?
if [ "$code" -ne 2 ]; then
  "$leakhound" "${args[@]}" --format github -q || true
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  { echo "sarif=$sarif"; echo "exit-code=$code"; } >> "$GITHUB_OUTPUT"
fi
exit "$code"
