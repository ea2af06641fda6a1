//! Findings: an engine [`Match`](crate::engine::Match) placed in its chunk, with a 1-based
//! [`Location`], the [`Secret`] (redacted unless explicitly exposed), a stable fingerprint (see
//! [`fingerprint`]), a redacted snippet and the chunk's provenance.

pub mod fingerprint;
pub mod redact;

use std::sync::Arc;

use crate::engine::{Match, Span};
use crate::rule::{RuleSet, Severity};
use crate::source::{Commit, Provenance};
use serde::Serialize;

pub use fingerprint::FingerprintCache;
pub use redact::Secret;

/// Where a secret is, as a user sees it. Lines and columns are 1-based; columns count
/// characters (UTF-8 lead bytes: a stray continuation byte in invalid UTF-8 counts as none). `end_line` and
/// `end_column` point at the secret's last character (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
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
    /// How the secret was encoded where it was found (`base64`, `hex`), when it was found by
    /// decoding; the location is then the encoded text's.
    pub decoded: Option<&'static str>,
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

/// Turns the matches of one chunk into findings. `matches` may be in any order; snippets have
/// every match's secret on the line redacted, not only the finding's own. Fingerprints are left
/// empty (see [`Finding::fingerprint`]).
pub fn from_matches(
    rules: &RuleSet,
    bytes: &[u8],
    provenance: &Provenance,
    matches: &mut [Match],
) -> Vec<Finding> {
    matches.sort_by_key(|m| (m.secret.start, m.rule));
    let secrets = ChunkSecrets::new(bytes, matches.iter().map(|m| m.secret).collect());
    let mut lines = LineCounter::new(bytes);
    matches
        .iter()
        .map(|m| {
            let rule = &rules.rules()[m.rule];
            let secret = Secret::new(bytes[m.secret.range()].to_vec());
            let (line, column) = lines.locate(m.secret.start);
            let last = m.secret.end.saturating_sub(1).max(m.secret.start);
            let (end_line, end_column) = lines.locate(last);
            // An expired JWT is still a leak, but a smaller one.
            let expired = m
                .validation
                .as_ref()
                .is_some_and(|(kind, result)| *kind == "jwt" && result.contains("expired"));
            Finding {
                rule: m.rule,
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                severity: if expired {
                    rule.severity.lower()
                } else {
                    rule.severity
                },
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
                snippet: snippet(bytes, m.secret, &secrets),
                secret,
                entropy: m.entropy,
                commit: provenance.commit.clone(),
                also_in: provenance.also_in,
                also_at: Vec::new(),
                validation: m.validation.as_ref().map(|(kind, result)| Validation {
                    kind: kind.to_string(),
                    result: result.to_string(),
                }),
                decoded: None,
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
        decoded: None,
    }
}

/// Moves a finding made from decoded text to the encoded span it came from in `chunk`: its
/// location and snippet become the encoded text's (redacted as a whole), its secret stays the
/// decoded secret.
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
    finding.snippet = snippet(chunk, encoded, &ChunkSecrets::new(chunk, vec![encoded]));
    finding.decoded = Some(encoding);
}

/// The secrets found in one chunk, set up once so that each finding's snippet costs time in
/// its own neighbourhood only, however many findings share the chunk.
struct ChunkSecrets {
    /// Sorted by start.
    spans: Vec<Span>,
    longest: usize,
    /// Finds repeats of any secret's bytes (secrets of 8 bytes or more).
    repeats: Option<aho_corasick::AhoCorasick>,
}

impl ChunkSecrets {
    fn new(bytes: &[u8], mut spans: Vec<Span>) -> ChunkSecrets {
        spans.sort_unstable();
        let mut contents: Vec<&[u8]> = spans
            .iter()
            .map(|s| &bytes[s.range()])
            .filter(|c| c.len() >= 8)
            .collect();
        contents.sort_unstable();
        contents.dedup();
        let repeats = (!contents.is_empty())
            .then(|| aho_corasick::AhoCorasick::new(&contents).ok())
            .flatten();
        ChunkSecrets {
            longest: spans.iter().map(Span::len).max().unwrap_or(0),
            spans,
            repeats,
        }
    }

    /// The secrets touching `near`, and every repeat of a secret's bytes inside it.
    fn near(&self, near: Span, bytes: &[u8]) -> Vec<Span> {
        let first = self
            .spans
            .partition_point(|s| s.start.saturating_add(self.longest) <= near.start);
        let mut out: Vec<Span> = self.spans[first..]
            .iter()
            .take_while(|s| s.start < near.end)
            .filter(|s| s.end > near.start)
            .copied()
            .collect();
        if let Some(repeats) = &self.repeats {
            out.extend(
                repeats
                    .find_overlapping_iter(&bytes[near.range()])
                    .map(|m| Span::new(near.start + m.start(), near.start + m.end())),
            );
        }
        out
    }
}

/// The line around `secret`, cut to [`SNIPPET_CONTEXT`] bytes on each side, with every span in
/// `secrets` that touches it replaced by its redacted form — and every other place in the cut
/// where the same bytes as one of `secrets` stand (a secret repeated on its line, or found on
/// another line of the chunk), so no snippet shows a secret the scan found.
fn snippet(bytes: &[u8], secret: Span, secrets: &ChunkSecrets) -> String {
    let longest = secrets.longest;
    // The line is looked for only as far as the cut can reach: on a 100 MB minified line, a
    // search to its real ends for every finding would take time quadratic in the line.
    let reach = SNIPPET_CONTEXT.saturating_add(longest);
    let window_start = secret.start.saturating_sub(reach);
    let window_end = secret
        .end
        .max(secret.start)
        .saturating_add(reach)
        .min(bytes.len());
    let line_start = memchr::memrchr(b'\n', &bytes[window_start..secret.start])
        .map_or(window_start, |i| window_start + i + 1);
    let line_end = memchr::memchr(b'\n', &bytes[secret.start..window_end])
        .map_or(window_end, |i| secret.start + i);
    let start = line_start.max(secret.start.saturating_sub(SNIPPET_CONTEXT));
    let end = line_end
        .min(secret.end.max(secret.start).saturating_add(SNIPPET_CONTEXT))
        .max(start);
    // Every span to redact near the cut: the secrets themselves, and repeats of their bytes.
    let near = Span::new(
        start.saturating_sub(longest).max(line_start),
        end.saturating_add(longest).min(line_end),
    );
    let mut spans = secrets.near(near, bytes);
    spans.sort_unstable();
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    // Never cut through a redacted span: widen the cut to cover it.
    let (mut start, mut end) = (start, end);
    for span in &merged {
        if span.start < start && span.end > start {
            start = span.start.max(line_start);
        }
        if span.start < end && span.end > end {
            end = span.end;
        }
    }
    let mut out = String::new();
    if start > line_start {
        out.push('…');
    }
    let mut at = start;
    for span in merged.iter().filter(|s| s.start < end && s.end > start) {
        if span.start > at {
            out.push_str(&String::from_utf8_lossy(&bytes[at..span.start]));
        }
        out.push_str(&Secret::redact_bytes(&bytes[span.start.max(at)..span.end]));
        at = span.end;
    }
    if end > at {
        out.push_str(&String::from_utf8_lossy(&bytes[at..end]));
    }
    // A secret spanning lines (a PEM block) ends the snippet; so does a CR before the newline.
    let trimmed = out
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r')
        .to_string();
    if end < line_end && trimmed.len() == out.len() {
        return trimmed + "…";
    }
    trimmed
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

    #[test]
    fn snippets_redact_every_secret_on_the_line() {
        let text = concat!(
            "first\nkey=AKIA",
            "Z7WQ3RDXK5HPNM2T other=ghp_abcdefghijklmnopqrstuvwxyz0123456789 end\nlast"
        )
        .as_bytes();
        let aws = Span::new(10, 30);
        let gh = Span::new(37, 77);
        let line = snippet(text, aws, &ChunkSecrets::new(text, vec![aws, gh]));
        assert_eq!(line, "key=AKIA****(20) other=ghp_****(40) end");
        assert!(!line.contains("Z7WQ3R"));
    }

    #[test]
    fn repeats_of_a_found_secret_are_redacted_too() {
        let text = b"a=tok_Zq8vK2mP9xLw4 # copy: tok_Zq8vK2mP9xLw4\nb=other";
        let found = Span::new(28, 45);
        let line = snippet(text, found, &ChunkSecrets::new(text, vec![found]));
        assert_eq!(line, "a=****(17) # copy: ****(17)");
        // The same bytes found on another line are redacted wherever they stand.
        let text = b"x=Zq8vK2mP9xLw4QQ\ny=Zq8vK2mP9xLw4QQ";
        let second = Span::new(20, 35);
        assert_eq!(
            snippet(
                text,
                Span::new(2, 17),
                &ChunkSecrets::new(text, vec![Span::new(2, 17), second])
            ),
            "x=****(15)"
        );
        assert_eq!(
            snippet(text, second, &ChunkSecrets::new(text, vec![second])),
            "y=****(15)"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_secret() {
        let mut text = "x".repeat(500);
        text.push_str("SECRETSECRET");
        text.push_str(&"y".repeat(500));
        let span = Span::new(500, 512);
        let line = snippet(
            text.as_bytes(),
            span,
            &ChunkSecrets::new(text.as_bytes(), vec![span]),
        );
        assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
        assert!(line.len() < 200 + 12, "{}", line.len());
        assert!(!line.contains("SECRETSECRET"));
    }
}
