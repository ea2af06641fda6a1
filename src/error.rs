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

impl Error {
    /// The id of the rule the error is about, when it is about one (an invalid or duplicate
    /// rule): data, so that callers point at the rule without reading the message.
    pub fn rule_id(&self) -> Option<&str> {
        match self {
            Error::Rule(
                crate::rule::Error::Invalid { rule_id, .. }
                | crate::rule::Error::DuplicateId { rule_id, .. },
            ) => Some(rule_id),
            _ => None,
        }
    }

    /// The file the error is about, when it names one.
    pub fn file(&self) -> Option<String> {
        match self {
            Error::Rule(
                crate::rule::Error::Invalid { file, .. }
                | crate::rule::Error::DuplicateId { file, .. }
                | crate::rule::Error::Parse { file, .. },
            ) => Some(file.clone()),
            Error::Config(
                crate::config::Error::Read { path, .. }
                | crate::config::Error::Parse { path, .. }
                | crate::config::Error::Invalid { path, .. },
            ) => Some(path.display().to_string()),
            _ => None,
        }
    }
}

/// `Result` with the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
