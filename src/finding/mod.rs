//! Findings: an engine [`Match`](crate::engine::Match) placed in its chunk, with a 1-based
//! [`Location`], the [`Secret`] (redacted unless explicitly exposed), a stable fingerprint (see
//! [`fingerprint`]), a redacted snippet and the chunk's provenance.

pub mod dedup;
pub mod fingerprint;
pub mod redact;

use std::sync::Arc;

use crate::engine::{Match, Span};
use crate::rule::{Confidence, RuleSet, Severity};
use crate::source::{Commit, Provenance};
use serde::Serialize;

pub use fingerprint::FingerprintCache;
pub use redact::{Redactor, Secret};

/// Where a secret is, as a user sees it. Lines and columns are 1-based; columns count
/// characters (UTF-8 lead bytes: a stray continuation byte in invalid UTF-8 counts as none). `end_line` and
/// `end_column` point at the secret's last character (inclusive).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub struct Location {
    /// Line of the secret's first character.
    pub line: usize,
    /// Column of the secret's first character.
    pub column: usize,
    /// Line of the secret's last character.
    pub end_line: usize,
    /// Column of the secret's last character.
    pub end_column: usize,
}

/// What a validator established about the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Validation {
    /// The validator (`github-crc32`, `jwt`, ...).
    pub kind: String,
    /// Its result (`checksum-ok`, `decoded`, `alg-none`, ...).
    pub result: String,
}

/// A triage decision on a finding, kept in a datastore (see [`crate::store`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Triage {
    /// `open`, `confirmed`, `false-positive`, `accepted` or `revoked`.
    pub status: String,
    /// Why, as the person who decided wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Who decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
}

/// What a vendor said about a credential (`--verify`, see [`crate::verify`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Verification {
    /// `live`, `revoked` (the vendor rejects it), `unknown` (no check for this provider) or
    /// `error` (no answer that tells: network, timeout, rate limit, an unexpected reply).
    pub status: String,
    /// Who or what the credential is, as the vendor's read-only answer names it (account,
    /// user, team, scopes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Why the status is `unknown` or `error`, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the vendor was asked, RFC 3339 UTC.
    pub checked_at: String,
}

impl Verification {
    /// One line for text reports: `live (login=octocat)`, `error (timed out)`.
    pub fn summary(&self) -> String {
        match (&self.identity, &self.reason) {
            (Some(identity), _) => format!("{} ({identity})", self.status),
            (None, Some(reason)) => format!("{} ({reason})", self.status),
            (None, None) => self.status.clone(),
        }
    }
}

/// Another place a history finding's secret was introduced (see [`Finding::also_at`]).
#[derive(Debug, Clone)]
pub struct OtherPlace {
    /// The path there.
    pub path: String,
    /// The commit that introduced it there.
    pub commit: Arc<Commit>,
    /// No parent of `commit` held the secret anywhere: it came back after it was removed, or
    /// arrived again on another branch. Otherwise it was moved, copied or edited from where it
    /// already was.
    pub reintroduced: bool,
}

/// A match with its location, provenance and everything a report needs.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Index of the rule in the engine's rule set.
    pub rule: usize,
    /// The rule's id.
    pub rule_id: String,
    /// The rule's name.
    pub rule_name: String,
    /// The rule's severity.
    pub severity: Severity,
    /// How sure the finding is (see [`Confidence`]).
    pub confidence: Confidence,
    /// Path as shown to the user.
    pub path: String,
    /// Path relative to the project root, with `/` separators: what fingerprints and
    /// allowlists use.
    pub rel_path: String,
    /// Where the secret is.
    pub location: Location,
    /// The secret's bytes in the chunk.
    pub span: Span,
    /// The whole regex match in the chunk (allowlists with `regex_target = "match"`).
    pub match_span: Span,
    /// The secret itself; prints redacted.
    pub secret: Secret,
    /// Stable id of this secret at this path for this rule (see [`fingerprint`]); a slow salted
    /// hash for a guessable secret, never a fast unsalted one. Empty until
    /// [`FingerprintCache::fill`] runs, which the scan does only for findings no allowlist or
    /// inline allow dropped: those are never reported, so they need no key derivation.
    pub fingerprint: String,
    /// The line holding the secret, with every secret on it redacted.
    pub snippet: String,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// The commit that introduced the secret (git sources).
    pub commit: Option<Arc<Commit>>,
    /// History: how many other tree snapshots (other commits or paths) hold the same secret.
    pub also_in: Option<u32>,
    /// History: the other places the secret was introduced (other paths; commits where it
    /// came back after removal), in topological order.
    pub also_at: Vec<OtherPlace>,
    /// What the rule's validator said.
    pub validation: Option<Validation>,
    /// Other rules whose vendor format the secret fits as well (a prefix several vendors
    /// share), by id.
    pub candidates: Vec<String>,
    /// How the secret was encoded where it was found (`base64`, `hex`), when it was found by
    /// decoding; the location is then the encoded text's.
    pub decoded: Option<&'static str>,
    /// The triage decision a datastore holds for this finding (`--datastore`, `report`).
    /// Boxed, like `verification`: both are rare, and a finding-dense history holds a hundred
    /// thousand findings at once (600 bytes each unboxed, 424 boxed).
    pub triage: Option<Box<Triage>>,
    /// What the vendor said when asked whether the credential is live (`--verify`).
    pub verification: Option<Box<Verification>>,
}

impl Finding {
    /// A file rule's finding: the whole file is the leak (see [`for_file`]).
    pub fn is_whole_file(&self) -> bool {
        self.span.is_empty()
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Longest snippet kept around a secret, in bytes of context on each side.
const SNIPPET_CONTEXT: usize = 80;

/// Turns the matches of one chunk into findings. `matches` may be in any order. Snippets are
/// left empty, since a snippet must redact every secret of the chunk, those found in decoded
/// layers too: [`Redactions::snippet`] makes them once all are known. Fingerprints are left
/// empty too (see [`Finding::fingerprint`]).
pub fn from_matches(
    rules: &RuleSet,
    bytes: &[u8],
    provenance: &Provenance,
    matches: &mut [Match],
) -> Vec<Finding> {
    matches.sort_by_key(|m| (m.secret.start, m.rule));
    let mut lines = LineCounter::new(bytes);
    matches
        .iter()
        .map(|m| {
            let rule = &rules.rules()[m.rule];
            let secret = Secret::new(bytes[m.secret.range()].to_vec());
            let (line, column) = lines.locate(m.secret.start);
            let last = m.secret.end.saturating_sub(1).max(m.secret.start);
            let (end_line, end_column) = lines.locate(last);
            Finding {
                rule: m.rule,
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                severity: if m.published_example.is_some() {
                    Severity::Info
                } else if m.lower_severity {
                    rule.severity.lower()
                } else {
                    rule.severity
                },
                confidence: m.confidence,
                path: provenance.path.clone(),
                rel_path: provenance.rel_path.clone(),
                location: Location {
                    line,
                    column,
                    end_line,
                    end_column,
                },
                span: m.secret,
                match_span: m.span,
                fingerprint: String::new(),
                snippet: String::new(),
                secret,
                entropy: m.entropy,
                commit: provenance.commit.clone(),
                also_in: provenance.also_in,
                also_at: Vec::new(),
                validation: match (m.published_example, &m.validation) {
                    (Some(vendor), _) => Some(Validation {
                        kind: "published-example".to_string(),
                        result: format!("published in {vendor}'s documentation"),
                    }),
                    (None, validation) => validation.as_ref().map(|(kind, result)| Validation {
                        kind: kind.to_string(),
                        result: result.to_string(),
                    }),
                },
                candidates: m
                    .candidates
                    .iter()
                    .map(|&other| rules.rules()[other].id.clone())
                    .collect(),
                decoded: None,
                triage: None,
                verification: None,
            }
        })
        .collect()
}

/// The finding of a file rule for the file at `provenance`: the file itself is the leak (a
/// PKCS#12 keystore), so its name stands for the secret and the location is its first line.
pub fn for_file(rules: &RuleSet, rule_index: usize, provenance: &Provenance) -> Finding {
    let rule = &rules.rules()[rule_index];
    let name = provenance
        .rel_path
        .rsplit('/')
        .next()
        .unwrap_or(&provenance.rel_path);
    let secret = Secret::new(name.as_bytes().to_vec());
    let start = Location {
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 1,
    };
    Finding {
        rule: rule_index,
        rule_id: rule.id.clone(),
        rule_name: rule.name.clone(),
        severity: rule.severity,
        // The file's name and kind are the evidence: a vendor's shape, not a checked structure.
        confidence: Confidence::Medium,
        path: provenance.path.clone(),
        rel_path: provenance.rel_path.clone(),
        location: start,
        span: Span::new(0, 0),
        match_span: Span::new(0, 0),
        fingerprint: fingerprint::public(&rule.id, &provenance.rel_path, name.as_bytes()),
        snippet: String::new(),
        entropy: 0.0,
        secret,
        commit: provenance.commit.clone(),
        also_in: provenance.also_in,
        also_at: Vec::new(),
        validation: None,
        candidates: Vec::new(),
        decoded: None,
        triage: None,
        verification: None,
    }
}

/// Moves a finding made from decoded text to the encoded span it came from in `chunk`: its
/// location becomes the encoded text's, its secret stays the decoded secret. (Its snippet, with
/// the encoded text redacted as a whole, is made with the others: [`Redactions::snippet`].)
pub fn relocate(finding: &mut Finding, chunk: &[u8], encoded: Span, encoding: &'static str) {
    let mut lines = LineCounter::new(chunk);
    let (line, column) = lines.locate(encoded.start);
    let (end_line, end_column) = lines.locate(encoded.end.saturating_sub(1).max(encoded.start));
    finding.location = Location {
        line,
        column,
        end_line,
        end_column,
    };
    finding.span = encoded;
    finding.match_span = encoded;
    finding.decoded = Some(encoding);
}

/// Everything to redact in one chunk, found once so that each snippet costs time in its own
/// neighbourhood only, however many findings share the chunk (issue 15): every secret any rule
/// matched, every encoded run a secret was decoded from, and every other place where the bytes
/// of one of those (or of a secret found in a decoded layer) stand.
#[derive(Debug)]
pub struct Redactions {
    /// Sorted and disjoint; `true` for a run holding encoded text, which shows nothing but its
    /// length (its first characters encode the secret's).
    spans: Vec<(Span, bool)>,
}

impl Redactions {
    /// The redactions of `bytes`: `secrets` (spans in `bytes`), `encoded` runs, and every place
    /// where a string of `strings` stands.
    pub fn new(bytes: &[u8], secrets: &[Span], encoded: &[Span], strings: &Redactor) -> Redactions {
        let mut all: Vec<(Span, bool)> = secrets
            .iter()
            .map(|&s| (s, false))
            .chain(encoded.iter().map(|&s| (s, true)))
            .chain(
                strings
                    .find(bytes)
                    .into_iter()
                    .map(|r| (Span::new(r.start, r.end), false)),
            )
            .filter(|(s, _)| !s.is_empty())
            .collect();
        all.sort_unstable_by_key(|(s, _)| (s.start, s.end));
        let mut spans: Vec<(Span, bool)> = Vec::with_capacity(all.len());
        for (span, bare) in all {
            match spans.last_mut() {
                Some((last, last_bare)) if span.start < last.end => {
                    last.end = last.end.max(span.end);
                    *last_bare |= bare;
                }
                _ => spans.push((span, bare)),
            }
        }
        Redactions { spans }
    }

    /// The line around `secret`, cut to [`SNIPPET_CONTEXT`] bytes on each side, with every
    /// redaction that touches the cut replaced by its redacted form, whole: a cut never shows
    /// part of a secret.
    pub fn snippet(&self, bytes: &[u8], secret: Span) -> String {
        let secret_end = secret.end.max(secret.start).min(bytes.len());
        let secret_start = secret.start.min(secret_end);
        let low = secret_start.saturating_sub(SNIPPET_CONTEXT);
        let high = secret_end.saturating_add(SNIPPET_CONTEXT).min(bytes.len());
        let line_start = memchr::memrchr(b'\n', &bytes[low..secret_start]).map(|i| low + i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[secret_start..high]).map(|i| secret_start + i);
        let (mut start, mut end) = (line_start.unwrap_or(low), line_end.unwrap_or(high));
        let first = self.spans.partition_point(|(s, _)| s.end <= start);
        let touching: Vec<(Span, bool)> = self.spans[first..]
            .iter()
            .take_while(|(s, _)| s.start < end.max(secret_end))
            .copied()
            .collect();
        // Never cut through a redaction: widen the cut to hold it whole.
        if let Some((span, _)) = touching.first() {
            start = start.min(span.start);
        }
        if let Some((span, _)) = touching.last() {
            end = end.max(span.end);
        }
        // Whether the line goes on past the cut, once widened.
        let cut_before = start > 0 && bytes[start - 1] != b'\n';
        let cut_after = end < bytes.len() && !matches!(bytes[end], b'\n' | b'\r');
        let mut out = String::new();
        if cut_before {
            out.push('…');
        }
        let mut at = start;
        for (span, bare) in &touching {
            out.push_str(&String::from_utf8_lossy(&bytes[at..span.start]));
            let text = &bytes[span.range()];
            out.push_str(&if *bare {
                Secret::redact_bare(text)
            } else {
                Secret::redact_bytes(text)
            });
            at = span.end;
        }
        out.push_str(&String::from_utf8_lossy(&bytes[at..end]));
        // Text after a redaction that spans lines (a PEM block) belongs to another line.
        let trimmed = out
            .lines()
            .next()
            .unwrap_or("")
            .trim_end_matches('\r')
            .to_string();
        if cut_after && trimmed.len() == out.len() {
            return trimmed + "…";
        }
        trimmed
    }
}

/// Computes 1-based line and column for offsets. Work is incremental between calls, so many
/// findings on one multi-megabyte line cost one pass over it, not one pass each.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
    column: usize,
}

/// Characters in `bytes`: every byte but UTF-8 continuation bytes.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

impl<'a> LineCounter<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        LineCounter {
            bytes,
            offset: 0,
            line: 1,
            column: 1,
        }
    }

    fn locate(&mut self, target: usize) -> (usize, usize) {
        let target = target.min(self.bytes.len());
        if target >= self.offset {
            let segment = &self.bytes[self.offset..target];
            match memchr::memrchr(b'\n', segment) {
                Some(last) => {
                    self.line += memchr::memchr_iter(b'\n', segment).count();
                    self.column = count_chars(&segment[last + 1..]) + 1;
                }
                None => self.column += count_chars(segment),
            }
        } else {
            self.line -= memchr::memchr_iter(b'\n', &self.bytes[target..self.offset]).count();
            let line_start = memchr::memrchr(b'\n', &self.bytes[..target]).map_or(0, |i| i + 1);
            self.column = count_chars(&self.bytes[line_start..target]) + 1;
        }
        self.offset = target;
        (self.line, self.column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based_and_count_characters() {
        let text = "ab\nc\u{e9}d\n\nxyz".as_bytes();
        let mut lines = LineCounter::new(text);
        let cases = [
            (0, (1, 1)),
            (1, (1, 2)),
            (3, (2, 1)),
            (6, (2, 3)),
            (9, (4, 1)),
            (11, (4, 3)),
        ];
        for (offset, expected) in cases {
            assert_eq!(lines.locate(offset), expected, "offset {offset}");
        }
        assert_eq!(lines.locate(3), (2, 1), "going back works too");
        assert_eq!(lines.locate(11), (4, 3));
        assert_eq!(lines.locate(0), (1, 1));
    }

    /// The snippet of `secret` with `secrets` found in `text`.
    fn snippet(text: &[u8], secret: Span, secrets: &[Span]) -> String {
        let mut strings = Redactor::new();
        for span in secrets {
            strings.insert(&text[span.range()]);
        }
        Redactions::new(text, secrets, &[], &strings).snippet(text, secret)
    }

    #[test]
    fn snippets_redact_every_secret_on_the_line() {
        let text = concat!(
            "first\nkey=AKIA",
            "Z7WQ3RDXK5HPNM2T other=ghp_abcdefghijklmnopqrstuvwxyz0123456789 end\nlast"
        )
        .as_bytes();
        let aws = Span::new(10, 30);
        let gh = Span::new(37, 77);
        let line = snippet(text, aws, &[aws, gh]);
        assert_eq!(line, "key=AKIA****(20) other=ghp_****(40) end");
        assert!(!line.contains("Z7WQ3R"));
    }

    #[test]
    fn repeats_of_a_found_secret_are_redacted_too() {
        let text = b"a=tok_Zq8vK2mP9xLw4 # copy: tok_Zq8vK2mP9xLw4\nb=other";
        let found = Span::new(28, 45);
        assert_eq!(
            snippet(text, found, &[found]),
            "a=****(17) # copy: ****(17)"
        );
        // The same bytes found on another line are redacted wherever they stand.
        let text = b"x=Zq8vK2mP9xLw4QQ\ny=Zq8vK2mP9xLw4QQ";
        let second = Span::new(20, 35);
        assert_eq!(
            snippet(text, Span::new(2, 17), &[Span::new(2, 17), second]),
            "x=****(15)"
        );
        assert_eq!(snippet(text, second, &[second]), "y=****(15)");
    }

    /// Issue 15: a secret under 8 bytes repeated on its line was printed in clear.
    #[test]
    fn issue_15_short_secrets_are_redacted_where_repeated() {
        let text = b"pass=x9!Qz7 # was x9!Qz7, see x9!Qz7";
        let found = Span::new(5, 11);
        assert_eq!(
            snippet(text, found, &[found]),
            "pass=****(6) # was ****(6), see ****(6)"
        );
    }

    /// Issue 15: an encoded run that a secret was decoded from shows nothing, and a secret found
    /// only in a decoded layer is redacted where its bytes stand raw.
    #[test]
    fn issue_15_encoded_runs_and_decoded_secrets_are_redacted() {
        // Split, so this file is not itself a finding.
        let text = concat!(
            "A=sk_",
            "live_0123456789abcdefghijklmn B=a2V5PXJrX2xpdmVfMDEyMzQ1Njc4OWFi C=rk_live_0123456789ab"
        )
        .as_bytes();
        let stripe = Span::new(2, 34);
        let encoded = Span::new(37, 69);
        let mut strings = Redactor::new();
        strings.insert(&text[stripe.range()]);
        strings.insert(b"rk_live_0123456789ab"); // found in the decoded layer
        strings.insert(&text[encoded.range()]);
        let redactions = Redactions::new(text, &[stripe], &[encoded], &strings);
        let expected = "A=sk_live_****(32) B=****(32) C=rk_l****(20)";
        assert_eq!(redactions.snippet(text, stripe), expected);
        assert_eq!(redactions.snippet(text, encoded), expected);
    }

    #[test]
    fn long_lines_are_cut_around_the_secret() {
        let mut text = "x".repeat(500);
        text.push_str("SECRETSECRET");
        text.push_str(&"y".repeat(500));
        let span = Span::new(500, 512);
        let line = snippet(text.as_bytes(), span, &[span]);
        assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
        assert!(line.len() < 200 + 12, "{}", line.len());
        assert!(!line.contains("SECRETSECRET"));
    }

    #[test]
    fn a_redaction_across_the_cut_is_shown_whole() {
        let mut text = "k=".to_string();
        text.push_str(&"Q".repeat(300)); // one long secret
        text.push_str(" t=tok_abcdefgh");
        let long = Span::new(2, 302);
        let short = Span::new(305, 317);
        let line = snippet(text.as_bytes(), short, &[long, short]);
        assert_eq!(line, "…QQQQ****(300) t=****(12)");
    }
}
