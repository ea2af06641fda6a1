//! Rules: what a secret looks like. Rules are data (`patterns/*.toml`, compiled into the
//! binary, plus `[[rules]]` from a user's config); this module parses them ([`syntax`]),
//! compiles them into a [`RuleSet`] ([`builder`], with [`matcher`] for each regex) and checks every rule's own examples through
//! the full engine ([`check`]). It knows nothing of files, git or output.

pub mod allowlist;
pub mod builder;
pub mod builtin;
pub mod docs;
pub mod facts;
mod hir;
pub mod lazy_regex;
pub mod matcher;
pub mod parse_error;
pub mod secret_runs;
pub mod set;
pub mod syntax;
mod template;

pub use allowlist::AllowlistConfig;
pub use builder::RuleSetBuilder;
pub use lazy_regex::{LazyBytesRegex, LazyPathRegex};
pub use matcher::{regex_error_reason, Matcher};
pub use parse_error::{describe_toml_error, safe_parse_message};
pub use set::{Pattern, Rule, RuleSet};
pub use syntax::{Confidence, RuleFile, RuleSyntax, Severity};

/// An invalid rule file or rule. Messages name the file and the rule id.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The TOML of a rule file does not parse or has unknown keys.
    #[error("{file}: {message}")]
    Parse {
        /// The rule file (a built-in name such as `patterns/github.toml`, or a path).
        file: String,
        /// What the TOML parser said, with line and column.
        message: String,
    },
    /// A single rule is invalid: bad id, regex, validator, path filter or severity.
    #[error("{file}: rule {rule_id}: {message}")]
    Invalid {
        /// The rule file the rule came from.
        file: String,
        /// The rule's id.
        rule_id: String,
        /// What is wrong.
        message: String,
    },
    /// Two rules share an id.
    #[error("{file}: rule {rule_id}: duplicate id (first defined in {first})")]
    DuplicateId {
        /// The file holding the second definition.
        file: String,
        /// The id defined twice.
        rule_id: String,
        /// The file holding the first definition.
        first: String,
    },
}
