//! What the engine must know of a rule's regex before it compiles it (and, for most keyword
//! hits, instead of compiling it): the secret group, the search window, where a match can hold
//! a newline, and what the secret can be made of. Read from the parsed regex; `build.rs` reads
//! the built-in rules' facts at build time with this very module, so a scan parses only the
//! regexes it compiles.

use regex_syntax::hir::Hir;

use super::hir::{
    capture_group, capture_index, group_is_whole_match, literal_prefix_len, match_starts, newlines,
    opening, opens_with, Newlines,
};
use super::secret_runs::{required_marks, RunFacts, MARKS};

/// Bytes searched on each side of a keyword hit when a rule's regex has no maximum length.
pub const UNBOUNDED_WINDOW: usize = 4096;
/// The largest window a bounded regex gets on each side of a keyword hit.
pub const MAX_WINDOW: usize = 64 * 1024;

/// The facts of one rule's regex.
#[derive(Debug, Clone, PartialEq)]
pub struct RegexFacts {
    /// The capture group holding the secret (0 = the whole match).
    pub secret_group: usize,
    /// The secret group is the whole match: the search needs no capture engine.
    pub secret_is_match: bool,
    /// Bytes to search on each side of a keyword hit: the regex's longest match, bounded.
    pub window: usize,
    /// The regex cannot match a newline, so a match never leaves the line of its keyword.
    pub single_line: bool,
    /// The regex can match a newline only as a match's last byte (an assignment's value ends
    /// at `\r?\n` or the end): a match stays on its keyword's line and may take its newline.
    pub ends_at_newline: bool,
    /// The regex has no maximum match length.
    pub unbounded: bool,
    /// How many distinct bytes the secret group can hold.
    pub secret_alphabet: usize,
    /// Literal bytes every secret starts with (a vendor prefix such as `pscale_tkn_`).
    pub secret_prefix: usize,
    /// What a window must hold for the rule to report a secret in it.
    pub runs: RunFacts,
    /// Punctuation every match holds ([`required_marks`]): classes of 1 to 3 bytes, 0-padded.
    pub marks: [[u8; 3]; MARKS],
    /// Every match starts with one of the rule's keywords (`\bghp_...` with keyword `ghp_`, a
    /// context rule's provider word): the search runs anchored at each keyword hit instead of
    /// over the text around it.
    pub starts_at_keyword: bool,
    /// For a rule that starts at its keywords: the bytes each of a match's first bytes can be
    /// ([`opening`]), so that a hit the text around it rules out (`pat` in `path/to`, for a
    /// token that is `pat`, 14 letters and a dot) is dropped before any window is made for it.
    pub opening: Vec<[u64; 4]>,
}

impl RegexFacts {
    /// The facts of a rule's parsed regex `hir`, whose secret is group `explicit_group` (else
    /// the group named `secret`, else group 1, else the whole match) and must have `entropy`
    /// bits per byte, found by the prefilter's `keywords`.
    pub fn new(
        hir: &Hir,
        explicit_group: Option<usize>,
        entropy: Option<f64>,
        keywords: &[String],
    ) -> Result<RegexFacts, String> {
        let groups = hir.properties().explicit_captures_len() + 1;
        let secret_group = if let Some(group) = explicit_group {
            if group >= groups {
                return Err(format!(
                    "secret group {group} does not exist (the regex has {} groups)",
                    groups - 1
                ));
            }
            group
        } else if let Some(index) = capture_index(hir, "secret") {
            index
        } else if groups > 1 {
            1
        } else {
            0
        };
        let secret = capture_group(hir, secret_group).unwrap_or(hir);
        let runs = RunFacts::new(secret, entropy);
        let newlines = newlines(hir);
        let starts_at_keyword = starts_at_keyword(hir, keywords);
        Ok(RegexFacts {
            secret_group,
            secret_is_match: group_is_whole_match(hir, secret_group),
            window: (hir.properties().maximum_len())
                .map_or(UNBOUNDED_WINDOW, |len| len.clamp(1, MAX_WINDOW)),
            single_line: newlines == Newlines::Never,
            ends_at_newline: newlines == Newlines::OnlyLast,
            unbounded: hir.properties().maximum_len().is_none(),
            secret_alphabet: (runs.alphabet.iter())
                .map(|word| word.count_ones() as usize)
                .sum(),
            secret_prefix: literal_prefix_len(secret),
            runs,
            marks: required_marks(hir),
            starts_at_keyword,
            opening: if starts_at_keyword {
                opening(hir)
            } else {
                Vec::new()
            },
        })
    }

    /// Whether a match may start at `bytes[start..]` by its [`RegexFacts::opening`] (not
    /// where the text ends before the shortest match could).
    pub fn may_open_at(&self, bytes: &[u8], start: usize) -> bool {
        bytes
            .get(start..)
            .is_some_and(|text| opens_with(&self.opening, text))
    }
}

/// Whether every match of `hir` starts with one of `keywords` (ASCII case-insensitively): each
/// literal a match can start with begins with a keyword.
fn starts_at_keyword(hir: &Hir, keywords: &[String]) -> bool {
    let keywords: Vec<Vec<u8>> = (keywords.iter())
        .map(|keyword| keyword.as_bytes().to_ascii_lowercase())
        .filter(|keyword| !keyword.is_empty())
        .collect();
    // A rule without keywords runs over whole chunks: there is no hit to anchor at.
    !keywords.is_empty()
        && match_starts(hir).is_some_and(|starts| {
            starts
                .iter()
                .all(|start| keywords.iter().any(|keyword| start.starts_with(keyword)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts_at(pattern: &str, keywords: &[&str]) -> bool {
        let hir = super::super::hir::parse(pattern).unwrap();
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        RegexFacts::new(&hir, None, None, &keywords)
            .unwrap()
            .starts_at_keyword
    }

    #[test]
    fn a_rule_starts_at_a_keyword_when_each_match_opens_with_one() {
        assert!(starts_at(r"\bghp_[A-Za-z0-9]{36}", &["ghp_"]));
        assert!(starts_at(r"\bghp_[A-Za-z0-9]{36}", &["GH"]));
        assert!(starts_at(r"(?:ghp|gho)_[a-z]{4}", &["ghp_", "gho_"]));
        // The keyword is longer than what every match is known to open with.
        assert!(!starts_at(r"\bghp_[A-Za-z0-9]{36}", &["ghp_x"]));
        // One opening has no keyword (the hit for `gho_` would not start a `ghu_` match).
        assert!(!starts_at(r"(?:ghp|ghu)_[a-z]{4}", &["ghp_", "gho_"]));
        // The keyword is in the middle.
        assert!(!starts_at(r"[a-z]{4}_secret", &["secret"]));
        assert!(!starts_at(r"\bghp_[A-Za-z0-9]{36}", &[]));
    }
}
