//! leakhound's integration tests: one binary, a module per area.

#![allow(
    clippy::unwrap_used,
    reason = "tests fail loudly on any unexpected error"
)]

/// Helpers: the `leakhound()` command, temporary trees, fake token makers.
mod util;

/// Archives and compressed files: formats, nesting, bomb limits, hostile names.
mod archives;
/// Baselines of accepted findings.
mod baseline;
/// The CI gate: SARIF, CSV, JUnit, GitHub annotations, --fail-on, PR detection.
mod ci;
/// `.leakhound.toml` and inline allow comments.
mod config;
/// The findings datastore: runs, rescans, triage, reports from the store.
mod datastore;
/// Exit codes and error messages.
mod exit_codes;
/// The fuzz targets' seeds and past crashes, replayed.
mod fuzz_replay;
/// Git history, ranges, staged changes and the pre-commit hook.
mod git;
/// gitleaks configs and `config check`.
mod gitleaks;
/// Issue 14: reports and baselines let no one test guesses of a secret cheaply.
mod guessing;
/// The git hooks as git runs them: pre-commit, pre-push, pre-receive.
mod hooks;
/// Hostile and broken input: huge files and lines, UTF-16, report injection, broken repos.
mod hostile;
/// The HTML report, in headless Chromium too.
mod html;
/// Secret hygiene: no command or format shows a raw secret unless asked.
mod hygiene;
/// Container image tarballs (`leakhound image`).
mod image;
/// Look-alikes (placeholders, hashes, UUIDs, docs, bad checksums) give nothing.
mod lookalikes;
/// Report formats, redaction and snapshots.
mod output;
/// Pack files read directly: the same findings as loose objects, deltas, damage.
mod packs;
/// Planted secrets in realistic files are found at the right place.
mod planted;
/// The pre-commit framework running this project's hook manifest.
mod precommit;
/// History provenance checked against an oracle: renames, merges, reverts, same-second commits.
mod provenance;
/// The repository itself: README links and paths exist; nothing reads outside the repository.
mod repository;
/// `rules list` and `rules check`, and every built-in rule's examples.
mod rules;
/// Live verification against loopback mock vendors.
mod verify;
/// Walking the filesystem: ignores, hidden files, binaries, sizes, symlinks, errors.
mod walk;
