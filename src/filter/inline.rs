//! Inline allow comments, for false positives that belong in the code rather than in a config:
//!
//! - `leakhound:allow` on a line: nothing on that line is reported;
//! - `leakhound:allow-next-line`: nothing on the following line is reported;
//! - `leakhound:allow-start` ... `leakhound:allow-end`: nothing between them (inclusive) is
//!   reported; a start without an end runs to the end of the file.
//!
//! For teams moving from other tools, `gitleaks:allow` and detect-secrets' `pragma: allowlist
//! secret` (same line) and `pragma: allowlist nextline secret` count too. Allowed findings are
//! counted and listed with `-v`, never silently lost.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};

/// The markers, and what each allows.
const MARKERS: [(&str, Scope); 7] = [
    ("leakhound:allow-next-line", Scope::NextLine),
    ("leakhound:allow-start", Scope::BlockStart),
    ("leakhound:allow-end", Scope::BlockEnd),
    ("leakhound:allow", Scope::Line),
    ("gitleaks:allow", Scope::Line),
    ("pragma: allowlist nextline secret", Scope::NextLine),
    ("pragma: allowlist secret", Scope::Line),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Line,
    NextLine,
    BlockStart,
    BlockEnd,
}

fn markers() -> &'static AhoCorasick {
    static AUTOMATON: OnceLock<AhoCorasick> = OnceLock::new();
    AUTOMATON.get_or_init(|| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(MARKERS.iter().map(|(marker, _)| marker))
            .expect("a few short literal patterns build")
    })
}

/// The lines of one chunk that inline comments allow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InlineAllows {
    /// Allowed line ranges (1-based, inclusive), in order.
    ranges: Vec<(usize, usize)>,
}

impl InlineAllows {
    /// Finds the allow comments of `bytes`.
    pub fn parse(bytes: &[u8]) -> InlineAllows {
        let mut ranges = Vec::new();
        let mut line = 1;
        let mut counted_to = 0;
        let mut open_block: Option<usize> = None;
        for hit in markers().find_iter(bytes) {
            line += memchr::memchr_iter(b'\n', &bytes[counted_to..hit.start()]).count();
            counted_to = hit.start();
            match MARKERS[hit.pattern().as_usize()].1 {
                Scope::Line => ranges.push((line, line)),
                Scope::NextLine => ranges.push((line, line + 1)),
                Scope::BlockStart => {
                    open_block.get_or_insert(line);
                }
                Scope::BlockEnd => match open_block.take() {
                    Some(start) => ranges.push((start, line)),
                    None => ranges.push((line, line)),
                },
            }
        }
        if let Some(start) = open_block {
            ranges.push((start, usize::MAX));
        }
        InlineAllows { ranges }
    }

    /// Whether a finding starting on `line` is allowed.
    pub fn allows(&self, line: usize) -> bool {
        self.ranges
            .iter()
            .any(|&(first, last)| first <= line && line <= last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_marker_allows_its_scope() {
        let text = "\
a = 1
token = 'x' # leakhound:allow
b = 'y'
c = 'z' // gitleaks:allow
# leakhound:allow-next-line
d = 'w'
e = 'v'
# leakhound:allow-start
f = 1
g = 2
# leakhound:allow-end
h = 3
i = 4 # pragma: allowlist secret
# pragma: allowlist nextline secret
j = 5
k = 6
/* leakhound:allow-start */
l = 7
";
        let allows = InlineAllows::parse(text.as_bytes());
        let allowed: Vec<usize> = (1..=19).filter(|&line| allows.allows(line)).collect();
        assert_eq!(allowed, [2, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 17, 18, 19]);
    }

    #[test]
    fn nothing_is_allowed_without_markers() {
        let allows = InlineAllows::parse(b"a\nb\nleakhound allow\n");
        assert!((1..=3).all(|line| !allows.allows(line)));
    }
}
