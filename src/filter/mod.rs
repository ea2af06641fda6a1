//! Filters decide which findings are not reported: the config allowlists, global and per rule
//! ([`Allowlist`]), inline `leakhound:allow` comments ([`inline`]) and a baseline of accepted
//! findings ([`baseline`]). Dropped findings are counted, never lost silently.

pub mod baseline;
pub mod inline;

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::config::{AllowlistConfig, Error};
use crate::finding::Finding;

/// Every filter a scan applies after the engine.
#[derive(Debug, Default)]
pub struct Filters {
    /// The config's global `[allowlist]`.
    pub allowlist: Allowlist,
    /// Each rule's own `allowlist`, by rule index.
    pub rule_allowlists: Vec<Option<Allowlist>>,
    /// Accepted findings (`--baseline`).
    pub baseline: Option<baseline::Baseline>,
}

impl Filters {
    /// Whether an allowlist (global or the rule's own) covers `finding` of rule `rule`.
    pub fn allows(&self, rule: usize, finding: &Finding) -> bool {
        self.allowlist.allows(finding)
            || self
                .rule_allowlists
                .get(rule)
                .and_then(Option::as_ref)
                .is_some_and(|list| list.allows(finding))
    }
}

/// A compiled `[allowlist]`.
#[derive(Debug)]
pub struct Allowlist {
    paths: Gitignore,
    regexes: Vec<regex::bytes::Regex>,
    stopwords: Vec<String>,
    commits: Vec<String>,
}

impl Default for Allowlist {
    fn default() -> Self {
        Allowlist {
            paths: Gitignore::empty(),
            regexes: Vec::new(),
            stopwords: Vec::new(),
            commits: Vec::new(),
        }
    }
}

impl Allowlist {
    /// Compiles `config`; path globs are relative to `root`. `file` names the config in errors.
    pub fn new(config: &AllowlistConfig, root: &Path, file: &Path) -> Result<Allowlist, Error> {
        let invalid = |message: String| Error::Invalid {
            path: PathBuf::from(file),
            message,
        };
        let mut paths = GitignoreBuilder::new(root);
        for glob in &config.paths {
            paths
                .add_line(None, glob)
                .map_err(|err| invalid(format!("allowlist path {glob:?}: {err}")))?;
        }
        let paths = paths
            .build()
            .map_err(|err| invalid(format!("allowlist paths: {err}")))?;
        let regexes = config
            .regexes
            .iter()
            .map(|pattern| {
                regex::bytes::Regex::new(pattern).map_err(|err| {
                    invalid(format!("allowlist regex {pattern:?}: {err}").replace('\n', " "))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Allowlist {
            paths,
            regexes,
            stopwords: config
                .stopwords
                .iter()
                .map(|word| word.to_lowercase())
                .collect(),
            commits: config.commits.iter().map(|id| id.to_lowercase()).collect(),
        })
    }

    /// Whether the path (relative to the project root) is allowlisted, file or any parent.
    pub fn allows_path(&self, rel_path: &str) -> bool {
        !rel_path.is_empty()
            && self
                .paths
                .matched_path_or_any_parents(rel_path, false)
                .is_ignore()
    }

    /// Whether `finding` is allowlisted by path, secret regex, stopword or commit.
    pub fn allows(&self, finding: &Finding) -> bool {
        let secret = finding.secret.expose();
        self.allows_path(&finding.rel_path)
            || self.regexes.iter().any(|re| re.is_match(secret))
            || (!self.stopwords.is_empty() && {
                let lower = String::from_utf8_lossy(secret).to_lowercase();
                self.stopwords
                    .iter()
                    .any(|word| lower.contains(word.as_str()))
            })
            || finding.commit.as_ref().is_some_and(|commit| {
                self.commits
                    .iter()
                    .any(|id| id.len() >= 7 && commit.id.starts_with(id.as_str()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_globs_follow_gitignore_rules() {
        let config = AllowlistConfig {
            paths: vec![
                "tests/fixtures/".into(),
                "*.snap".into(),
                "/patterns/".into(),
            ],
            ..AllowlistConfig::default()
        };
        let allowlist = Allowlist::new(&config, Path::new("/repo"), Path::new("c.toml")).unwrap();
        let cases = [
            ("tests/fixtures/a/b.env", true),
            ("tests/fixtures", false), // a file named like the directory glob is not matched
            ("src/x.snap", true),
            ("patterns/aws.toml", true),
            ("src/patterns/aws.toml", false),
            ("src/main.rs", false),
        ];
        for (path, allowed) in cases {
            assert_eq!(allowlist.allows_path(path), allowed, "{path}");
        }
    }

    #[test]
    fn bad_regex_is_an_error_naming_the_file() {
        let config = AllowlistConfig {
            regexes: vec!["(".into()],
            ..AllowlistConfig::default()
        };
        let err = Allowlist::new(&config, Path::new("/"), Path::new("c.toml")).unwrap_err();
        assert!(
            err.to_string().starts_with("c.toml: allowlist regex"),
            "{err}"
        );
    }
}
