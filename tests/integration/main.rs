//! leakhound's integration tests: one binary, a module per area.

/// Helpers: the `leakhound()` command, temporary trees, fake token makers.
mod util;

/// Planted secrets in realistic files are found at the right place.
mod planted;
/// Look-alikes (placeholders, hashes, UUIDs, docs, bad checksums) give nothing.
mod lookalikes;
/// Walking the filesystem: ignores, hidden files, binaries, sizes, symlinks, errors.
mod walk;
/// Report formats, redaction and snapshots.
mod output;
/// Exit codes and error messages.
mod exit_codes;
/// `rules list` and `rules check`, and every built-in rule's examples.
mod rules;
/// `.leakhound.toml` and inline allow comments.
mod config;
