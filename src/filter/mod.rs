//! Filters decide which findings are not reported: the config allowlists, global and per rule
//! ([`Allowlist`]), inline `leakhound:allow` comments ([`inline`]) and a baseline of accepted
//! findings ([`baseline`], which [`import`] can start from another tool's report). Dropped
//! findings are counted, never lost silently.

pub mod baseline;
pub mod gitleaksignore;
pub mod import;
pub mod inline;

use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::config::Error;
use crate::finding::Finding;
use crate::rule::lazy_regex::LazyRegex;
use crate::rule::{AllowlistConfig, LazyBytesRegex, LazyPathRegex};

/// Every filter a scan applies after the engine.
#[derive(Debug, Default)]
pub struct Filters {
    /// The config's global allowlists (`[allowlist]`, `[[allowlists]]`).
    pub allowlists: Vec<Allowlist>,
    /// Each rule's own allowlists, by rule index.
    pub rule_allowlists: Vec<Vec<Allowlist>>,
    /// Accepted findings (`--baseline`).
    pub baseline: Option<baseline::Baseline>,
    /// gitleaks fingerprints of accepted findings (`.gitleaksignore` at the project root).
    pub gitleaks_ignore: Option<gitleaksignore::GitleaksIgnore>,
    /// How many layers of base64/hex encoding to decode and scan (0: none; default 2).
    pub decode_depth: usize,
    /// Findings less sure than this are not reported (`--min-confidence`; default: all).
    pub min_confidence: crate::rule::Confidence,
}

impl Filters {
    /// Whether an allowlist (global or the rule's own) or `.gitleaksignore` covers `finding`,
    /// found in `chunk`.
    pub fn allows(&self, finding: &Finding, chunk: &[u8]) -> bool {
        self.gitleaks_ignore
            .as_ref()
            .is_some_and(|ignore| ignore.allows(finding))
            || self
                .allowlists
                .iter()
                .any(|list| list.allows(finding, chunk))
            || self
                .rule_allowlists
                .get(finding.rule)
                .is_some_and(|lists| lists.iter().any(|list| list.allows(finding, chunk)))
    }
}

/// A regex whose syntax checked, compiled now if `now` (saying why it does not compile).
fn compiled_if<R>(regex: Result<LazyRegex<R>, String>, now: bool) -> Result<LazyRegex<R>, String> {
    let regex = regex?;
    if now {
        regex.compile_now()?;
    }
    Ok(regex)
}

/// What allowlist regexes are matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum RegexTarget {
    #[default]
    Secret,
    Match,
    Line,
}

/// A compiled allowlist table.
#[derive(Debug)]
pub struct Allowlist {
    paths: Gitignore,
    path_regexes: Vec<LazyPathRegex>,
    regexes: Vec<LazyBytesRegex>,
    stopwords: Vec<String>,
    commits: Vec<String>,
    target: RegexTarget,
    /// Every kind of entry given must match (`condition = "and"`).
    all: bool,
}

impl Default for Allowlist {
    fn default() -> Self {
        Allowlist {
            paths: Gitignore::empty(),
            path_regexes: Vec::new(),
            regexes: Vec::new(),
            stopwords: Vec::new(),
            commits: Vec::new(),
            target: RegexTarget::Secret,
            all: false,
        }
    }
}

impl Allowlist {
    /// Compiles `config`; path globs are relative to `root`. `file` names the config in errors.
    pub fn new(config: &AllowlistConfig, root: &Path, file: &Path) -> Result<Allowlist, Error> {
        Allowlist::build(config, root, file, true)
    }

    /// [`Allowlist::new`] with the regexes compiled when first used (their syntax is checked
    /// now): for the built-in rules' allowlists, which a short scan mostly never asks.
    pub fn deferred(
        config: &AllowlistConfig,
        root: &Path,
        file: &Path,
    ) -> Result<Allowlist, Error> {
        Allowlist::build(config, root, file, false)
    }

    fn build(
        config: &AllowlistConfig,
        root: &Path,
        file: &Path,
        compile_now: bool,
    ) -> Result<Allowlist, Error> {
        let invalid = |message: String| Error::Invalid {
            path: PathBuf::from(file),
            message: message.replace('\n', " "),
        };
        // Errors say which entry, never what it holds: an allowlist entry may be a literal
        // secret (issue 15).
        let glob_reason = |err: ignore::Error| match err {
            ignore::Error::Glob { err, .. } => err,
            other => crate::rule::regex_error_reason(&other.to_string()),
        };
        let mut paths = GitignoreBuilder::new(root);
        for (n, glob) in config.paths.iter().enumerate() {
            paths.add_line(None, glob).map_err(|err| {
                invalid(format!("allowlist path #{}: {}", n + 1, glob_reason(err)))
            })?;
        }
        let paths = paths
            .build()
            .map_err(|err| invalid(format!("allowlist paths: {}", glob_reason(err))))?;
        let path_regexes = (config.path_regexes.iter().enumerate())
            .map(|(n, pattern)| {
                compiled_if(LazyPathRegex::new(pattern), compile_now)
                    .map_err(|reason| invalid(format!("allowlist path regex #{}: {reason}", n + 1)))
            })
            .collect::<Result<_, _>>()?;
        let regexes = (config.regexes.iter().enumerate())
            .map(|(n, pattern)| {
                compiled_if(LazyBytesRegex::new(pattern), compile_now)
                    .map_err(|reason| invalid(format!("allowlist regex #{}: {reason}", n + 1)))
            })
            .collect::<Result<_, _>>()?;
        let target = match config
            .regex_target
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("secret") => RegexTarget::Secret,
            Some("match") => RegexTarget::Match,
            Some("line") => RegexTarget::Line,
            Some(_) => {
                return Err(invalid(
                    "regex_target: expected secret, match or line".to_string(),
                ))
            }
        };
        let all = match config
            .condition
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("or") => false,
            Some("and") => true,
            Some(_) => return Err(invalid("condition: expected or or and".to_string())),
        };
        Ok(Allowlist {
            paths,
            path_regexes,
            regexes,
            stopwords: config
                .stopwords
                .iter()
                .map(|word| word.to_lowercase())
                .collect(),
            commits: config.commits.iter().map(|id| id.to_lowercase()).collect(),
            target,
            all,
        })
    }

    /// Whether the path (relative to the project root) is allowlisted, file or any parent.
    pub fn allows_path(&self, rel_path: &str) -> bool {
        !rel_path.is_empty()
            && (self
                .paths
                .matched_path_or_any_parents(crate::source::fs::matchable_path(rel_path), false)
                .is_ignore()
                || self.path_regexes.iter().any(|re| re.is_match(rel_path)))
    }

    /// Whether `finding` (found in `chunk`) is allowlisted: by any kind of entry, or with
    /// `condition = "and"` by every kind of entry the table gives.
    pub fn allows(&self, finding: &Finding, chunk: &[u8]) -> bool {
        let secret = finding.secret.expose();
        let target = match self.target {
            RegexTarget::Secret => secret,
            RegexTarget::Match => chunk.get(finding.match_span.range()).unwrap_or(secret),
            RegexTarget::Line => {
                let start = memchr::memrchr(b'\n', &chunk[..finding.span.start.min(chunk.len())])
                    .map_or(0, |i| i + 1);
                let end = memchr::memchr(b'\n', &chunk[finding.span.end.min(chunk.len())..])
                    .map_or(chunk.len(), |i| finding.span.end + i);
                chunk.get(start..end).unwrap_or(secret)
            }
        };
        let checks: [Option<bool>; 4] = [
            (!self.paths.is_empty() || !self.path_regexes.is_empty())
                .then(|| self.allows_path(&finding.rel_path)),
            (!self.regexes.is_empty()).then(|| self.regexes.iter().any(|re| re.is_match(target))),
            (!self.stopwords.is_empty()).then(|| {
                let lower = String::from_utf8_lossy(secret).to_lowercase();
                self.stopwords
                    .iter()
                    .any(|word| lower.contains(word.as_str()))
            }),
            (!self.commits.is_empty()).then(|| {
                finding.commit.as_ref().is_some_and(|commit| {
                    self.commits
                        .iter()
                        .any(|id| id.len() >= 7 && commit.id.starts_with(id.as_str()))
                })
            }),
        ];
        let mut given = checks.iter().flatten().peekable();
        if given.peek().is_none() {
            return false;
        }
        if self.all {
            given.all(|&matched| matched)
        } else {
            given.any(|&matched| matched)
        }
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
