//! leakhound finds leaked secrets (cloud keys, API tokens, JWTs, private keys, passwords in
//! connection strings) in files, git history and staged changes, and reports them redacted.
//!
//! # Glossary
//! - **rule**: what one kind of secret looks like (keywords, a regex, checks); data in
//!   `patterns/*.toml`.
//! - **keyword**: a literal that occurs in every match of a rule; the engine only runs a rule's
//!   regex near its keywords.
//! - **chunk**: bytes to scan plus their **provenance** (path, and for git the commit).
//! - **match**: an engine hit that passed its rule's checks ([`engine::Match`]).
//! - **finding**: a match with its location and provenance ([`finding::Finding`]).
//! - **fingerprint**: a stable id of (rule, path, secret) that never contains the secret nor a
//!   fast hash of it (a slow salted hash for a guessable secret: `finding::fingerprint`).
//! - **allowlist**: config entries (paths, regexes, stopwords, commits) whose findings are
//!   not reported.
//!
//! Data flows: sources → chunks → engine → findings → filters → report; [`scan::run`] wires it.

pub mod check;
pub mod cli;
pub mod config;
pub mod engine;
pub mod error;
pub mod filter;
pub mod finding;
#[cfg(test)]
mod layering;
pub mod report;
pub mod rule;
pub mod scan;
pub mod source;
pub mod store;
pub mod validate;
pub mod verify;

pub use error::{Error, Result};

/// A deterministic pseudo-random generator for tests (xorshift64): no dependency, the same
/// cases every run.
#[cfg(test)]
pub(crate) fn test_rng(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
