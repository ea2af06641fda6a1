//! Baselines: the findings a team has accepted (or will fix later), so that a scan fails only on
//! new ones. A baseline stores, per finding, the rule id, the path, the fingerprint and the
//! secret's SHA-256 — never the secret, never line numbers or timestamps, which churn and cause
//! merge conflicts. Entries are sorted, so regenerating an unchanged baseline gives the same
//! bytes. A finding is baselined when its fingerprint (rule, path, secret) is in the file:
//! moving a secret to another line or rebasing does not resurrect it; the same secret in a new
//! file, or a new secret, still fails.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Error;
use crate::finding::Finding;

/// The version written in, and accepted from, baseline files.
pub const BASELINE_VERSION: u32 = 1;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// The path, relative to the project root.
    pub path: String,
    /// The rule that found it.
    pub rule_id: String,
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<BaselineEntry>,
}

/// A loaded baseline, keyed by fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: BTreeMap<String, BaselineEntry>,
}

impl Baseline {
    /// The baseline of `findings`.
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Baseline {
        let entries = findings
            .into_iter()
            .map(|f| {
                let entry = BaselineEntry {
                    path: f.rel_path.clone(),
                    rule_id: f.rule_id.clone(),
                    fingerprint: f.fingerprint.clone(),
                    secret_sha256: f.secret_sha256.clone(),
                };
                (entry.fingerprint.clone(), entry)
            })
            .collect();
        Baseline { entries }
    }

    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadBaseline {
            path: path.to_path_buf(),
            source,
        })?;
        Baseline::parse(path, &text)
    }

    /// Parses baseline text; `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Baseline, Error> {
        let invalid = |message: String| Error::Invalid {
            path: PathBuf::from(path),
            message,
        };
        let file: BaselineFile = serde_json::from_str(text)
            .map_err(|err| invalid(format!("not a leakhound baseline: {err}")))?;
        if file.version != BASELINE_VERSION {
            return Err(invalid(format!(
                "baseline version {} is not supported (expected {BASELINE_VERSION})",
                file.version
            )));
        }
        let entries = file
            .findings
            .into_iter()
            .map(|entry| (entry.fingerprint.clone(), entry))
            .collect();
        Ok(Baseline { entries })
    }

    /// The file's text: sorted by path, rule and fingerprint; stable byte for byte.
    pub fn to_text(&self) -> String {
        let mut findings: Vec<BaselineEntry> = self.entries.values().cloned().collect();
        findings.sort();
        let file = BaselineFile {
            version: BASELINE_VERSION,
            findings,
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Whether the finding with this fingerprint is baselined.
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.entries.contains_key(fingerprint)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the baseline is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries whose fingerprint is not among `matched`: they no longer match anything.
    pub fn stale<'a>(
        &'a self,
        matched: &'a std::collections::HashSet<&str>,
    ) -> impl Iterator<Item = &'a BaselineEntry> + 'a {
        self.entries
            .values()
            .filter(move |entry| !matched.contains(entry.fingerprint.as_str()))
    }

    /// This baseline without the entries not among `matched`.
    pub fn pruned(&self, matched: &std::collections::HashSet<&str>) -> Baseline {
        Baseline {
            entries: self
                .entries
                .iter()
                .filter(|(fingerprint, _)| matched.contains(fingerprint.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, fingerprint: &str) -> BaselineEntry {
        BaselineEntry {
            path: path.into(),
            rule_id: "r.x".into(),
            fingerprint: fingerprint.into(),
            secret_sha256: "00".into(),
        }
    }

    #[test]
    fn text_is_sorted_and_round_trips() {
        let baseline = Baseline {
            entries: [entry("b", "f2"), entry("a", "f1")]
                .into_iter()
                .map(|e| (e.fingerprint.clone(), e))
                .collect(),
        };
        let text = baseline.to_text();
        assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
        let parsed = Baseline::parse(Path::new("b.json"), &text).unwrap();
        assert_eq!(parsed, baseline);
        assert_eq!(parsed.to_text(), text);
    }

    #[test]
    fn bad_files_are_errors_naming_the_file() {
        let err = Baseline::parse(Path::new("b.json"), "{}")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("b.json: not a leakhound baseline"), "{err}");
        let err = Baseline::parse(Path::new("b.json"), r#"{"version":9,"findings":[]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("version 9"), "{err}");
    }
}
