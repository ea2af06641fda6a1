//! `json` and `jsonl` reports. This is a contract: fields are added, never renamed.
//!
//! `json` writes one object `{"version": 1, "findings": [...], "stats": {...}}`; `jsonl` writes
//! one finding object per line and no stats. A finding object has:
//!
//! | field | meaning |
//! |---|---|
//! | `rule_id`, `rule_name`, `severity` | the rule that matched |
//! | `confidence` | `high` (checksum or structure verified), `medium` (a vendor's shape, with its context where the shape is not distinctive) or `low` (generic evidence only, a key block whose structure check failed, or a value published in a vendor's documentation) |
//! | `path` | the file (as given on the command line), `<stdin>`, or the path in a commit |
//! | `line`, `column`, `end_line`, `end_column` | 1-based; columns count characters; the end is the secret's last character |
//! | `secret` | redacted (`ghp_****(40)`) unless `--show-secrets` |
//! | `fingerprint` | stable id of (rule, path relative to the project root, secret): 32 hex digits, the same on every machine; for a guessable secret a slow salted hash (scheme `leakhound/v2`, see [`crate::finding::fingerprint`]) |
//! | `snippet` | the line holding the secret, every secret on it redacted |
//! | `entropy` | Shannon entropy of the secret, bits per byte |
//! | `commit` | `{id, author, email, date, message}` for git sources, else absent |
//! | `also_in` | history: how many other tree snapshots (other commits or paths) hold the same secret |
//! | `also_at` | history: the other places the secret was introduced, `[{path, commit, date, reintroduced}]` in topological order: another path (moved, copied, or edited there), or `reintroduced: true` where no parent held it in a later commit than the first (it came back after removal, or arrived again on another branch); absent when there is none |
//! | `decoded` | `base64`, `hex` or `percent` when the secret was found by decoding the text at the location, `concatenated` when it was split across joined string literals |
//! | `validation` | `{kind, result}` when the rule has a validator, else absent |
//! | `candidates` | ids of other vendors' rules whose format the secret fits as well (a prefix several vendors share); absent when there is none |
//! | `verification` | `{status, identity, reason, checked_at}` with `--verify` (or from a datastore that recorded one): `status` is `live`, `revoked` (the vendor rejects it), `unknown` (no check for this rule, or the secret not held) or `error` (network, timeout, rate limit, an unexpected answer; `reason` says which); `identity` is who the vendor says the credential is (account, user, team, scopes) |
//! | `triage` | `{status, comment, by, at}` when a datastore holds a decision (`--datastore`, `leakhound report`); `status` is `open`, `confirmed`, `false-positive`, `accepted` or `revoked` |
//!
//! **Removed:** `secret_sha256`, the unsalted SHA-256 of the secret, is no longer written (issue
//! 14): anyone holding a report could confirm guesses of a short secret with it at millions of
//! guesses per second. `fingerprint` replaces it for telling findings apart and following one
//! across runs; nothing stable identifies a secret across paths, since that would let guessing
//! work done once serve every report.
//!
//! `stats` has `files`, `bytes`, `skipped_binary`, `skipped_too_large`, `skipped_symlinks`, `skipped_ignored`,
//! `errors`, `findings`, `allowed`, `baselined`, `below_min_confidence` and `elapsed_ms`.

use std::io::{self, Write};

use serde::Serialize;

use super::Summary;
use super::{shown_secret, shown_snippet, ReportOptions, Reporter};
use crate::finding::{Finding, Triage, Validation, Verification};
use crate::source::Commit;

/// The JSON shape of a finding.
#[derive(Debug, Serialize)]
pub struct FindingRecord<'a> {
    rule_id: &'a str,
    rule_name: &'a str,
    severity: &'a str,
    confidence: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    secret: String,
    fingerprint: &'a str,
    snippet: String,
    entropy: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a Commit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    also_in: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    also_at: Vec<PlaceRecord<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    decoded: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validation: Option<&'a Validation>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    candidates: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'a Verification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    triage: Option<&'a Triage>,
}

/// The JSON shape of another place a history finding's secret was introduced.
#[derive(Debug, Serialize)]
pub struct PlaceRecord<'a> {
    path: &'a str,
    commit: &'a str,
    date: &'a str,
    reintroduced: bool,
}

impl<'a> FindingRecord<'a> {
    /// The record for `finding`.
    pub fn new(finding: &'a Finding, options: ReportOptions) -> Self {
        FindingRecord {
            rule_id: &finding.rule_id,
            rule_name: &finding.rule_name,
            severity: finding.severity.as_str(),
            confidence: finding.confidence.as_str(),
            path: &finding.path,
            line: finding.location.line,
            column: finding.location.column,
            end_line: finding.location.end_line,
            end_column: finding.location.end_column,
            secret: shown_secret(finding, options),
            fingerprint: &finding.fingerprint,
            snippet: shown_snippet(finding, options),
            entropy: (finding.entropy * 1000.0).round() / 1000.0,
            commit: finding.commit.as_deref(),
            also_in: finding.also_in,
            also_at: finding
                .also_at
                .iter()
                .map(|place| PlaceRecord {
                    path: &place.path,
                    commit: &place.commit.id,
                    date: &place.commit.date,
                    reintroduced: place.reintroduced,
                })
                .collect(),
            decoded: finding.decoded,
            validation: finding.validation.as_ref(),
            candidates: &finding.candidates,
            verification: finding.verification.as_deref(),
            triage: finding.triage.as_deref(),
        }
    }
}

/// Writes `json` (one document) or `jsonl` (a line per finding).
#[derive(Debug)]
pub struct JsonReporter {
    options: ReportOptions,
    lines: bool,
    count: usize,
}

impl JsonReporter {
    /// `lines`: `jsonl` instead of `json`.
    pub fn new(options: ReportOptions, lines: bool) -> Self {
        JsonReporter {
            options,
            lines,
            count: 0,
        }
    }
}

impl Reporter for JsonReporter {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.lines {
            out.write_all(b"{\"version\":1,\"findings\":[")?;
        }
        Ok(())
    }

    fn finding(&mut self, out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        if !self.lines && self.count > 0 {
            out.write_all(b",")?;
        }
        self.count += 1;
        serde_json::to_writer(&mut *out, &FindingRecord::new(finding, self.options))?;
        if self.lines {
            out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, stats: &Summary) -> io::Result<()> {
        if !self.lines {
            out.write_all(b"],\"stats\":")?;
            serde_json::to_writer(&mut *out, stats)?;
            out.write_all(b"}\n")?;
        }
        Ok(())
    }
}
