//! Baselines: the findings a team has accepted (or will fix later), so that a scan fails only on
//! new ones. A baseline stores, per finding, the rule id, the path and the fingerprint — never
//! the secret, never a fast hash of it (the fingerprint of a guessable secret is a slow salted
//! hash: see [`crate::finding::fingerprint`]), never line numbers or timestamps, which churn and
//! cause merge conflicts. Entries are sorted, so regenerating an unchanged baseline gives the
//! same bytes. A finding is baselined when its fingerprint (rule, path, secret) is in the file:
//! moving a secret to another line or rebasing does not resurrect it; the same secret in a new
//! file, or a new secret, still fails.
//!
//! Version 1 files (v1 fingerprints and an unsalted `secret_sha256` per entry) still load: their
//! entries match a finding by the v1 fingerprint recomputed in memory from the found secret, and
//! [`Baseline::is_legacy`] lets the command line recommend regenerating them. Writing always
//! gives version 2, without the hashes.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::Error;
use crate::finding::{fingerprint, Finding};

/// The version written in baseline files.
pub const BASELINE_VERSION: u32 = 2;

/// The version of baselines with v1 fingerprints and unsalted SHA-256 hashes; still read.
pub const LEGACY_BASELINE_VERSION: u32 = 1;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    /// The path, relative to the project root.
    pub path: String,
    /// The rule that found it.
    pub rule_id: String,
    /// The finding's fingerprint (v1 fingerprints in a version 1 file).
    pub fingerprint: String,
}

/// A version 1 entry: the same, plus the unsalted hash, which is read and dropped.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LegacyEntry {
    path: String,
    rule_id: String,
    fingerprint: String,
    #[serde(default)]
    secret_sha256: Option<String>,
}

#[derive(Debug, Serialize)]
struct BaselineFile<'a> {
    version: u32,
    findings: &'a [BaselineEntry],
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnyBaselineFile {
    version: u32,
    findings: Vec<LegacyEntry>,
}

/// A loaded baseline, keyed by fingerprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    entries: BTreeMap<String, BaselineEntry>,
    /// Read from a version 1 file: the keys are v1 fingerprints.
    legacy: bool,
}

/// serde_json's message without the ` at line L column C` it appends.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
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
                };
                (entry.fingerprint.clone(), entry)
            })
            .collect();
        Baseline {
            entries,
            legacy: false,
        }
    }

    /// Reads a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        // A regular file of bounded size: a baseline committed to the repository may have
        // been replaced by a link to `/dev/zero` (issue 15).
        let text =
            crate::source::limited::read_bounded(path, crate::source::limited::MAX_BASELINE_FILE)
                .map_err(|source| Error::ReadBaseline {
                path: path.to_path_buf(),
                source,
            })?;
        Baseline::parse(path, &text)
    }

    /// Parses baseline text (version 2, or version 1); `path` names it in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Baseline, Error> {
        let invalid = |message: String| Error::Invalid {
            path: PathBuf::from(path),
            message,
        };
        let file: AnyBaselineFile = serde_json::from_str(text).map_err(|err| {
            // serde's message may quote a value from the file: its wording is checked.
            invalid(format!(
                "not a leakhound baseline: line {}, column {}: {}",
                err.line(),
                err.column(),
                crate::rule::safe_parse_message(&strip_position(&err.to_string()))
            ))
        })?;
        let legacy = match file.version {
            BASELINE_VERSION => false,
            LEGACY_BASELINE_VERSION => true,
            _ => {
                return Err(invalid(format!(
                    "this baseline version is not supported (expected {BASELINE_VERSION}, or {LEGACY_BASELINE_VERSION})"
                )))
            }
        };
        let mut entries = BTreeMap::new();
        for entry in file.findings {
            // The unsalted hash belongs to version 1 only: a version 2 file holding one was
            // not written by leakhound.
            if !legacy && entry.secret_sha256.is_some() {
                return Err(invalid(
                    "`secret_sha256` is not allowed in a version 2 baseline".to_string(),
                ));
            }
            let entry = BaselineEntry {
                path: entry.path,
                rule_id: entry.rule_id,
                fingerprint: entry.fingerprint,
            };
            entries.insert(entry.fingerprint.clone(), entry);
        }
        Ok(Baseline { entries, legacy })
    }

    /// Whether the file was a version 1 baseline, which holds unsalted SHA-256 hashes of the
    /// secrets and should be regenerated.
    pub fn is_legacy(&self) -> bool {
        self.legacy
    }

    /// The file's text: sorted by path, rule and fingerprint; stable byte for byte. Never holds
    /// a hash of a secret; a version 1 baseline keeps its version (its keys are v1
    /// fingerprints), and loses its `secret_sha256` values.
    pub fn to_text(&self) -> String {
        let mut findings: Vec<BaselineEntry> = self.entries.values().cloned().collect();
        findings.sort();
        let file = BaselineFile {
            version: if self.legacy {
                LEGACY_BASELINE_VERSION
            } else {
                BASELINE_VERSION
            },
            findings: &findings,
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The key this baseline knows `finding` by: its fingerprint, or for a version 1 baseline
    /// its v1 fingerprint, recomputed in memory.
    pub fn key<'a>(&self, finding: &'a Finding) -> Cow<'a, str> {
        if self.legacy {
            Cow::Owned(fingerprint::legacy(
                &finding.rule_id,
                &finding.rel_path,
                finding.secret.expose(),
            ))
        } else {
            Cow::Borrowed(&finding.fingerprint)
        }
    }

    /// Whether `finding` is baselined.
    pub fn contains(&self, finding: &Finding) -> bool {
        self.entries.contains_key(self.key(finding).as_ref())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the baseline is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries that none of `findings` matches.
    pub fn stale<'a>(
        &'a self,
        findings: impl IntoIterator<Item = &'a Finding>,
    ) -> impl Iterator<Item = &'a BaselineEntry> + 'a {
        let matched: HashSet<String> = findings
            .into_iter()
            .map(|f| self.key(f).into_owned())
            .collect();
        self.entries
            .values()
            .filter(move |entry| !matched.contains(entry.fingerprint.as_str()))
    }

    /// The baseline of those of `findings` this baseline holds, in the current format: a
    /// version 1 baseline comes out as version 2, without its unsalted hashes.
    pub fn pruned<'a>(&self, findings: impl IntoIterator<Item = &'a Finding>) -> Baseline {
        Baseline::from_findings(findings.into_iter().filter(|f| self.contains(f)))
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
        }
    }

    #[test]
    fn text_is_sorted_and_round_trips() {
        let baseline = Baseline {
            entries: [entry("b", "f2"), entry("a", "f1")]
                .into_iter()
                .map(|e| (e.fingerprint.clone(), e))
                .collect(),
            legacy: false,
        };
        let text = baseline.to_text();
        assert!(text.find("\"a\"").unwrap() < text.find("\"b\"").unwrap());
        assert!(text.contains("\"version\": 2"));
        let parsed = Baseline::parse(Path::new("b.json"), &text).unwrap();
        assert_eq!(parsed, baseline);
        assert_eq!(parsed.to_text(), text);
    }

    #[test]
    fn version_1_files_load_and_lose_their_hashes_when_written() {
        let text = r#"{"version":1,"findings":[{"path":"a","rule_id":"r.x","fingerprint":"f1","secret_sha256":"00ff"}]}"#;
        let parsed = Baseline::parse(Path::new("b.json"), text).unwrap();
        assert!(parsed.is_legacy());
        assert_eq!(parsed.len(), 1);
        let written = parsed.to_text();
        assert!(!written.contains("00ff") && !written.contains("secret_sha256"));
        assert_eq!(
            Baseline::parse(Path::new("b.json"), &written).unwrap(),
            parsed
        );
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
        assert!(err.contains("version is not supported"), "{err}");
        let err = Baseline::parse(
            Path::new("b.json"),
            r#"{"version":2,"findings":[{"path":"a","rule_id":"r","fingerprint":"f","secret_sha256":"00"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("not allowed"), "{err}");
        // issue 15: serde's message quotes values; the error shows where, never what.
        let err = Baseline::parse(
            Path::new("b.json"),
            r#"{"version":"SECRET\", expected zz","findings":[]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(!err.contains("SECRET") && !err.contains("zz"), "{err}");
        assert!(err.contains("line 1, column "), "{err}");
    }
}
