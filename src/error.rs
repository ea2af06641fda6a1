//! The crate's error type. Each module boundary has its own `thiserror` enum carrying the
//! context a user needs (file, rule id, line); [`Error`] wraps them. No message ever holds a
//! raw secret: findings reach errors only through [`crate::finding::Secret`], which redacts.

use std::path::PathBuf;

/// Everything that can stop leakhound (as opposed to a per-file problem, which is a warning).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule file or a rule in it is invalid.
    #[error(transparent)]
    Rule(#[from] crate::rule::Error),
    /// A source (a git repository, a range) cannot be read.
    #[error(transparent)]
    Source(#[from] crate::source::Error),
    /// The keyword matcher cannot be built.
    #[error(transparent)]
    Keywords(#[from] crate::engine::BuildError),
    /// A configuration file is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::Error),
    /// Reading an input or writing the report failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file that could not be read or written.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
