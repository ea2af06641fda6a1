//! Allowlist tables as they are written: `[allowlist]` and `[[allowlists]]` in a config and a
//! rule's own `[[rules.allowlists]]`. Plain serde data, defined here, at the lowest layer that
//! reads them (a rule's syntax holds them); `config` reads the global ones and `filter`
//! compiles all of them into [`crate::filter::Allowlist`]s.

use serde::Deserialize;

/// An `[allowlist]` table.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistConfig {
    /// Gitignore-style globs, relative to the project root (`tests/fixtures/`, `*.snap`).
    #[serde(default)]
    pub paths: Vec<String>,
    /// Regexes matched against the path relative to the project root (gitleaks' `paths`).
    #[serde(default)]
    pub path_regexes: Vec<String>,
    /// Regexes matched against the secret.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Substrings of the secret (case-insensitive) that mark it as not a secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Commit ids whose findings are not reported (git sources).
    #[serde(default)]
    pub commits: Vec<String>,
    /// What `regexes` are matched against: `secret` (default), `match` (the whole regex match)
    /// or `line` (the line holding the secret).
    #[serde(default)]
    pub regex_target: Option<String>,
    /// `or` (default): any entry allows a finding; `and`: every kind of entry given must match.
    #[serde(default)]
    pub condition: Option<String>,
}

impl AllowlistConfig {
    /// Whether the table lists nothing.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
            && self.path_regexes.is_empty()
            && self.regexes.is_empty()
            && self.stopwords.is_empty()
            && self.commits.is_empty()
    }
}
