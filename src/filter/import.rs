//! Reports of other tools read as a starting baseline (`leakhound baseline --import FILE`): a
//! gitleaks JSON report (`gitleaks detect --report-format json`) or a detect-secrets
//! `.secrets.baseline`, told apart by their content. An imported file only says which current
//! findings to accept; nothing from it is ever written or printed. A gitleaks report may hold
//! plaintext secrets: they stay in memory, wrapped in [`Secret`], to be compared.
//!
//! A finding is covered by an imported entry at the same path and line that names the same
//! secret: for gitleaks the same secret text (one containing the other, since the tools cut
//! secrets differently), or, when the report was written with `--redact`, a rule of the same
//! vendor; for detect-secrets the SHA-1 of the secret (its `hashed_secret`), computed in memory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::config::Error;
use crate::finding::{hex, Finding, Secret};

/// The kind of file imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    /// A gitleaks JSON report.
    Gitleaks,
    /// A detect-secrets baseline.
    DetectSecrets,
}

impl ImportFormat {
    /// The tool's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            ImportFormat::Gitleaks => "gitleaks report",
            ImportFormat::DetectSecrets => "detect-secrets baseline",
        }
    }
}

/// What names an entry's secret.
#[derive(Debug)]
enum Identity {
    /// gitleaks' `Secret`, unredacted.
    Secret(Secret),
    /// gitleaks' rule id, when the secret was redacted: its vendor (`github` of `github-pat`).
    Vendor(String),
    /// detect-secrets' `hashed_secret`: lowercase hex SHA-1.
    Sha1(String),
}

/// The entries of an imported file, by (path, line).
#[derive(Debug)]
pub struct Imported {
    format: ImportFormat,
    entries: usize,
    at: HashMap<(String, usize), Vec<(usize, Identity)>>,
}

/// A path as the other tools write it, made comparable with a finding's relative path.
fn normalize(path: &str) -> String {
    let path = path.replace('\\', "/");
    path.trim_start_matches("./").to_string()
}

impl Imported {
    /// Reads an imported file.
    pub fn load(path: &Path) -> Result<Imported, Error> {
        let text =
            crate::source::limited::read_bounded(path, crate::source::limited::MAX_BASELINE_FILE)
                .map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })?;
        Imported::parse(path, &text)
    }

    /// Parses a gitleaks JSON report or a detect-secrets baseline; `path` names it in errors.
    /// Errors never quote the file, which may hold secrets.
    pub fn parse(path: &Path, text: &str) -> Result<Imported, Error> {
        let invalid = |message: String| Error::Invalid {
            path: PathBuf::from(path),
            message,
        };
        let value: Value = serde_json::from_str(text).map_err(|err| {
            invalid(format!(
                "not JSON (line {}, column {})",
                err.line(),
                err.column()
            ))
        })?;
        let mut imported = Imported {
            format: ImportFormat::Gitleaks,
            entries: 0,
            at: HashMap::new(),
        };
        match &value {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let field = |name: &str| item.get(name).and_then(Value::as_str);
                    let (Some(file), Some(line)) =
                        (field("File"), item.get("StartLine").and_then(Value::as_u64))
                    else {
                        return Err(invalid(format!(
                            "gitleaks report: finding #{} has no `File` and `StartLine`",
                            index + 1
                        )));
                    };
                    let secret = field("Secret").unwrap_or("");
                    // `--redact` writes `REDACTED`; `--redact=N` keeps a prefix and adds `...`.
                    let identity = if secret.len() < 8
                        || secret.contains("REDACTED")
                        || secret.ends_with("...")
                    {
                        let rule = field("RuleID").unwrap_or("");
                        Identity::Vendor(rule.split('-').next().unwrap_or("").to_lowercase())
                    } else {
                        Identity::Secret(Secret::new(secret.as_bytes().to_vec()))
                    };
                    imported.add(file, line, identity);
                }
            }
            Value::Object(object) if object.get("results").is_some_and(Value::is_object) => {
                imported.format = ImportFormat::DetectSecrets;
                let results = object
                    .get("results")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten();
                for (file, items) in results {
                    for item in items.as_array().into_iter().flatten() {
                        let hash = item.get("hashed_secret").and_then(Value::as_str);
                        let line = item.get("line_number").and_then(Value::as_u64);
                        let (Some(hash), Some(line)) = (hash, line) else {
                            return Err(invalid(
                                "detect-secrets baseline: a result has no `hashed_secret` and `line_number`"
                                    .to_string(),
                            ));
                        };
                        imported.add(file, line, Identity::Sha1(hash.to_ascii_lowercase()));
                    }
                }
            }
            _ => {
                return Err(invalid(
                    "neither a gitleaks JSON report (an array of findings) nor a detect-secrets baseline (an object with `results`)"
                        .to_string(),
                ))
            }
        }
        Ok(imported)
    }

    fn add(&mut self, file: &str, line: u64, identity: Identity) {
        let line = usize::try_from(line).unwrap_or(usize::MAX);
        let index = self.entries;
        self.entries += 1;
        self.at
            .entry((normalize(file), line))
            .or_default()
            .push((index, identity));
    }

    /// The kind of file.
    pub fn format(&self) -> ImportFormat {
        self.format
    }

    /// Number of entries in the file.
    pub fn len(&self) -> usize {
        self.entries
    }

    /// Whether the file has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The index of the entry that covers `finding`, if one does.
    pub fn covering(&self, finding: &Finding) -> Option<usize> {
        let line = finding.location.line;
        let candidates = [&finding.rel_path, &finding.path]
            .into_iter()
            .filter_map(|path| self.at.get(&(normalize(path), line)))
            .flatten();
        let secret = finding.secret.expose();
        let vendor = finding.rule_id.split('.').next().unwrap_or("");
        let mut sha1 = None;
        for (index, identity) in candidates {
            let covers = match identity {
                Identity::Secret(theirs) => {
                    let theirs = theirs.expose();
                    theirs == secret
                        || (secret.len() >= 8 && contains(theirs, secret))
                        || contains(secret, theirs)
                }
                Identity::Vendor(theirs) => !theirs.is_empty() && theirs == vendor,
                Identity::Sha1(theirs) => {
                    *theirs == *sha1.get_or_insert_with(|| hex(&Sha1::digest(secret)))
                }
            };
            if covers {
                return Some(*index);
            }
        }
        None
    }
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && memchr::memmem::find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_told_from_the_content_and_errors_quote_nothing() {
        let gitleaks = Imported::parse(
            Path::new("g.json"),
            r#"[{"RuleID":"github-pat","File":"./a.txt","StartLine":3,"Secret":"REDACTED"}]"#,
        )
        .unwrap();
        assert_eq!(
            (gitleaks.format(), gitleaks.len()),
            (ImportFormat::Gitleaks, 1)
        );
        let detect = Imported::parse(
            Path::new(".secrets.baseline"),
            r#"{"version":"1.5.0","results":{"a.txt":[{"type":"Secret Keyword","hashed_secret":"AB","line_number":1}]}}"#,
        )
        .unwrap();
        assert_eq!(
            (detect.format(), detect.len()),
            (ImportFormat::DetectSecrets, 1)
        );
        for bad in [
            r#"{"secret": "hunter2hunter2"#,
            r#"{"findings": "hunter2hunter2"}"#,
            r#"[{"File": "hunter2hunter2"}]"#,
        ] {
            let err = Imported::parse(Path::new("x.json"), bad)
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("x.json: "), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
