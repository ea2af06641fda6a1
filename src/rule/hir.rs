//! Walks over a parsed regex (`regex_syntax::hir::Hir`) that the matcher needs: the bytes a
//! group can hold, a capture group's sub-expression, where a match can hold a newline, and
//! the rewrite that keeps long counted repetitions from blowing up the compiled size.

/// Parses a rule's regex (or a context rule's shape) as rules are read: bytes, not UTF-8, and
/// ASCII classes unless the pattern writes `(?u)`. An error is the parser's reason, on one
/// line and without the excerpt of the pattern.
pub(super) fn parse(pattern: &str) -> Result<regex_syntax::hir::Hir, String> {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .unicode(false)
        .build()
        .parse(pattern)
        .map_err(|err| super::matcher::one_line(&err.to_string()))
}

/// The bytes any match of `hir` can contain, added to `seen`.
pub(super) fn collect_bytes(hir: &regex_syntax::hir::Hir, seen: &mut [bool; 256]) {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => literal.0.iter().for_each(|&b| seen[b as usize] = true),
        HirKind::Class(Class::Unicode(class)) => {
            for range in class.ranges() {
                let (start, end) = (range.start() as u32, (range.end() as u32).min(255));
                (start..=end).for_each(|b| seen[b as usize] = true);
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            for range in class.ranges() {
                (range.start()..=range.end()).for_each(|b| seen[b as usize] = true);
            }
        }
        HirKind::Repetition(repetition) => collect_bytes(&repetition.sub, seen),
        HirKind::Capture(capture) => collect_bytes(&capture.sub, seen),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|sub| collect_bytes(sub, seen))
        }
    }
}

/// The sub-expression of capture group `index` (0: the whole regex).
pub(super) fn capture_group(
    hir: &regex_syntax::hir::Hir,
    index: usize,
) -> Option<&regex_syntax::hir::Hir> {
    use regex_syntax::hir::HirKind;
    if index == 0 {
        return Some(hir);
    }
    match hir.kind() {
        HirKind::Capture(capture) if capture.index as usize == index => Some(&capture.sub),
        HirKind::Capture(capture) => capture_group(&capture.sub, index),
        HirKind::Repetition(repetition) => capture_group(&repetition.sub, index),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().find_map(|sub| capture_group(sub, index))
        }
        _ => None,
    }
}

/// Whether every byte of every match of `hir` is in capture group `index` (0: the whole match):
/// all that lies outside the group is zero-width (`\b`, `^`, `$`). Such a rule's secret is
/// its match, so the search needs no capture engine.
pub(super) fn group_is_whole_match(hir: &regex_syntax::hir::Hir, index: usize) -> bool {
    use regex_syntax::hir::HirKind;
    if index == 0 {
        return true;
    }
    match hir.kind() {
        HirKind::Capture(capture) if capture.index as usize == index => true,
        HirKind::Capture(capture) => group_is_whole_match(&capture.sub, index),
        HirKind::Concat(subs) => {
            let zero_width =
                |sub: &regex_syntax::hir::Hir| sub.properties().maximum_len() == Some(0);
            let holding: Vec<_> = subs.iter().filter(|sub| !zero_width(sub)).collect();
            matches!(holding[..], [only] if group_is_whole_match(only, index))
        }
        _ => false,
    }
}

/// Longest counted repetition compiled as written. A regex unrolls `x{20,8000}` into 8,000
/// copies of `x`: the PEM and JWT rules alone took 40 MB that way.
pub(super) const MAX_COUNTED_REPETITION: u32 = 256;

/// `hir` with every repetition of more than [`MAX_COUNTED_REPETITION`] made open-ended
/// (`{20,8000}` becomes `{20,}`). The search is still confined to the window computed from the
/// original bounds, so matches stay as long as the rule allows, give or take the window.
pub(super) fn lift_long_repetitions(hir: regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    // Most rules have none: rebuilding their whole tree cost a tenth of compiling them.
    if has_long_repetition(&hir) {
        lift(&hir)
    } else {
        hir
    }
}

fn has_long_repetition(hir: &regex_syntax::hir::Hir) -> bool {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Repetition(repetition) => {
            repetition
                .max
                .is_some_and(|max| max > MAX_COUNTED_REPETITION.max(repetition.min))
                || has_long_repetition(&repetition.sub)
        }
        HirKind::Capture(capture) => has_long_repetition(&capture.sub),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => subs.iter().any(has_long_repetition),
        _ => false,
    }
}

fn lift(hir: &regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Capture, Hir, HirKind, Repetition};
    match hir.kind() {
        HirKind::Repetition(repetition) => Hir::repetition(Repetition {
            min: repetition.min,
            max: repetition
                .max
                .filter(|&max| max <= MAX_COUNTED_REPETITION.max(repetition.min)),
            greedy: repetition.greedy,
            sub: Box::new(lift(&repetition.sub)),
        }),
        HirKind::Capture(capture) => Hir::capture(Capture {
            index: capture.index,
            name: capture.name.clone(),
            sub: Box::new(lift(&capture.sub)),
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(lift).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(lift).collect()),
        _ => hir.clone(),
    }
}

/// Where a match of a regex can hold a `\n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Newlines {
    /// Nowhere: a match stays on one line.
    Never,
    /// Only as its last byte: `key=value(?:\r?\n|$)`.
    OnlyLast,
    /// Anywhere.
    Anywhere,
}

/// Where a match of `hir` can hold a `\n`.
pub(super) fn newlines(hir: &regex_syntax::hir::Hir) -> Newlines {
    use regex_syntax::hir::{Class, HirKind};
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Newlines::Never,
        HirKind::Literal(literal) => match literal.0.iter().position(|&b| b == b'\n') {
            None => Newlines::Never,
            Some(at) if at + 1 == literal.0.len() => Newlines::OnlyLast,
            Some(_) => Newlines::Anywhere,
        },
        HirKind::Class(class) => {
            let holds_newline = match class {
                Class::Unicode(class) => {
                    (class.ranges().iter()).any(|r| r.start() <= '\n' && '\n' <= r.end())
                }
                Class::Bytes(class) => {
                    (class.ranges().iter()).any(|r| r.start() <= b'\n' && b'\n' <= r.end())
                }
            };
            if holds_newline {
                Newlines::OnlyLast
            } else {
                Newlines::Never
            }
        }
        HirKind::Repetition(repetition) => match newlines(&repetition.sub) {
            Newlines::OnlyLast if repetition.max != Some(1) => Newlines::Anywhere,
            inner => inner,
        },
        HirKind::Capture(capture) => newlines(&capture.sub),
        HirKind::Concat(subs) => match subs.split_last() {
            None => Newlines::Never,
            Some((last, init)) => {
                if init.iter().any(|sub| newlines(sub) != Newlines::Never) {
                    Newlines::Anywhere
                } else {
                    newlines(last)
                }
            }
        },
        HirKind::Alternation(subs) => (subs.iter().map(newlines).max()).unwrap_or(Newlines::Never),
    }
}

/// The index of the capture group called `name`.
pub(super) fn capture_index(hir: &regex_syntax::hir::Hir, name: &str) -> Option<usize> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Capture(capture) if capture.name.as_deref() == Some(name) => {
            Some(capture.index as usize)
        }
        HirKind::Capture(capture) => capture_index(&capture.sub, name),
        HirKind::Repetition(repetition) => capture_index(&repetition.sub, name),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().find_map(|sub| capture_index(sub, name))
        }
        _ => None,
    }
}

/// How many literal bytes every match of `hir` starts with (`pscale_tkn_[a-z0-9]{43}`: 11;
/// `[A-Za-z0-9]{32}`: 0). A value that opens with a vendor's literal prefix names its vendor.
pub(super) fn literal_prefix_len(hir: &regex_syntax::hir::Hir) -> usize {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Literal(literal) => literal.0.len(),
        HirKind::Capture(capture) => literal_prefix_len(&capture.sub),
        HirKind::Concat(subs) => {
            let mut total = 0;
            for sub in subs {
                match sub.kind() {
                    HirKind::Look(_) => continue,
                    HirKind::Literal(literal) => total += literal.0.len(),
                    _ => return total + literal_prefix_len(sub),
                }
            }
            total
        }
        _ => 0,
    }
}

/// Most literals [`match_starts`] keeps track of, and their longest length: enough for a
/// context rule's provider words in each spelling (`polygon[_.-]?api`).
const MAX_STARTS: usize = 256;
const MAX_START_LEN: usize = 64;

/// A literal every match of part of a regex starts with, lowercased, and whether it is the
/// whole of that part's match (so what follows the part extends it).
type Start = (Vec<u8>, bool);

/// The lowercased literals that every match of `hir` starts with: each match starts with one
/// of them, ASCII case-insensitively (`(?i)segment` gives `segment`; `\bghp_|\bgho_` gives both).
/// `None` when some match may start with a byte no literal pins down. Not
/// `regex_syntax::hir::literal::Extractor`: it spells out every case of a case-insensitive word
/// (`(?i)credentials` is 2,048 literals) and gives up past its limits, where folding as it goes
/// keeps one.
pub(super) fn match_starts(hir: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    let starts = starts_of(hir)?;
    // A literal that no byte of the match pins down says nothing.
    if starts.iter().any(|(literal, _)| literal.is_empty()) {
        return None;
    }
    Some(starts.into_iter().map(|(literal, _)| literal).collect())
}

fn starts_of(hir: &regex_syntax::hir::Hir) -> Option<Vec<Start>> {
    use regex_syntax::hir::{Class, HirKind};
    let whole_empty = || Some(vec![(Vec::new(), true)]);
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => whole_empty(),
        HirKind::Literal(literal) => Some(vec![(literal.0.to_ascii_lowercase(), true)]),
        HirKind::Class(class) => {
            let ranges: Vec<(u32, u32)> = match class {
                Class::Unicode(class) => (class.ranges().iter())
                    .map(|range| (range.start().into(), range.end().into()))
                    .collect(),
                Class::Bytes(class) => (class.ranges().iter())
                    .map(|range| (range.start().into(), range.end().into()))
                    .collect(),
            };
            let mut folded: Vec<u8> = Vec::new();
            for (start, end) in ranges {
                // A wide class pins nothing down: the match starts with any of many bytes.
                if end > 127 || end - start > 26 {
                    return Some(vec![(Vec::new(), false)]);
                }
                folded.extend((start..=end).map(|byte| (byte as u8).to_ascii_lowercase()));
            }
            folded.sort_unstable();
            folded.dedup();
            if folded.len() > 4 {
                return Some(vec![(Vec::new(), false)]);
            }
            Some(folded.into_iter().map(|byte| (vec![byte], true)).collect())
        }
        HirKind::Capture(capture) => starts_of(&capture.sub),
        HirKind::Repetition(repetition) => {
            let once = repetition.min == 1 && repetition.max == Some(1);
            let mut starts = starts_of(&repetition.sub)?;
            // After more than one pass, or a pass that may be followed by another, a literal
            // is only the start of the repetition's match.
            if !once && repetition.max != Some(1) {
                starts.iter_mut().for_each(|start| start.1 = false);
            }
            if repetition.min == 0 {
                starts.push((Vec::new(), true));
            }
            Some(starts)
        }
        HirKind::Alternation(subs) => {
            let mut starts = Vec::new();
            for sub in subs {
                starts.extend(starts_of(sub)?);
                if starts.len() > MAX_STARTS {
                    return None;
                }
            }
            Some(starts)
        }
        HirKind::Concat(subs) => {
            let mut starts: Vec<Start> = vec![(Vec::new(), true)];
            for sub in subs {
                if starts.iter().all(|(_, whole)| !whole) {
                    break;
                }
                let next = starts_of(sub)?;
                let extended = starts.iter().filter(|(_, whole)| *whole).count() * next.len();
                if starts.len() + extended > MAX_STARTS {
                    // Too many to follow: what is known so far still starts every match.
                    starts.iter_mut().for_each(|start| start.1 = false);
                    break;
                }
                let mut joined = Vec::with_capacity(starts.len() + extended);
                for (literal, whole) in starts {
                    if !whole {
                        joined.push((literal, false));
                        continue;
                    }
                    for (more, more_whole) in &next {
                        let mut longer = literal.clone();
                        longer.extend_from_slice(more);
                        let fits = longer.len() <= MAX_START_LEN;
                        longer.truncate(MAX_START_LEN);
                        joined.push((longer, *more_whole && fits));
                    }
                }
                joined.sort_unstable();
                joined.dedup();
                // A start that only opens its match already covers every longer start with it.
                let mut kept: Vec<Start> = Vec::with_capacity(joined.len());
                for start in joined {
                    let covered = (kept.iter())
                        .any(|(opening, whole)| !whole && start.0.starts_with(opening));
                    if !covered {
                        kept.push(start);
                    }
                }
                starts = kept;
            }
            Some(starts)
        }
    }
}

/// Bytes, as a 256-bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct ByteSet(pub(super) [u64; 4]);

impl ByteSet {
    pub(super) const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    pub(super) fn insert(&mut self, byte: u8) {
        self.0[usize::from(byte >> 6)] |= 1 << (byte & 63);
    }

    pub(super) fn insert_range(&mut self, start: u8, end: u8) {
        (start..=end).for_each(|byte| self.insert(byte));
    }

    pub(super) fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte >> 6)] & (1 << (byte & 63)) != 0
    }

    pub(super) fn union(self, other: ByteSet) -> ByteSet {
        ByteSet(std::array::from_fn(|i| self.0[i] | other.0[i]))
    }

    pub(super) fn is_subset(&self, other: &ByteSet) -> bool {
        (0..4).all(|i| self.0[i] & !other.0[i] == 0)
    }

    pub(super) fn len(&self) -> u32 {
        self.0.iter().map(|word| word.count_ones()).sum()
    }
}

/// The bytes of a class; for a Unicode class beyond ASCII, its ASCII and every byte from 0x80.
pub(super) fn class_bytes(class: &regex_syntax::hir::Class) -> ByteSet {
    use regex_syntax::hir::Class;
    let mut set = ByteSet::default();
    match class {
        Class::Bytes(class) => {
            for range in class.ranges() {
                set.insert_range(range.start(), range.end());
            }
        }
        Class::Unicode(class) => {
            for range in class.ranges() {
                let (start, end) = (range.start() as u32, range.end() as u32);
                if start < 0x80 {
                    set.insert_range(start as u8, end.min(0x7f) as u8);
                }
                if end >= 0x80 {
                    set.insert_range(0x80, 0xff);
                }
            }
        }
    }
    set
}

/// Whether `text` opens with bytes each in its set of `opening` (and is at least as long).
pub(super) fn opens_with(opening: &[[u64; 4]], text: &[u8]) -> bool {
    text.len() >= opening.len()
        && (opening.iter().zip(text)).all(|(set, &byte)| ByteSet(*set).contains(byte))
}

/// Most leading bytes [`opening`] describes.
pub const OPENING: usize = 24;

/// The bytes each of the first bytes of a match of `hir` can be: entry `k` holds every byte
/// some match has at offset `k`, for the offsets every match reaches (up to [`OPENING`]), and
/// without the last entries that allow every byte. A superset: a text whose byte at offset `k`
/// from some position is outside entry `k` holds no match starting there.
pub(super) fn opening(hir: &regex_syntax::hir::Hir) -> Vec<[u64; 4]> {
    let len = hir.properties().minimum_len().unwrap_or(0).min(OPENING);
    let mut sets = vec![ByteSet::default(); len];
    mark_opening(hir, 1, &mut sets);
    while sets.last() == Some(&ByteSet::ALL) {
        sets.pop();
    }
    sets.into_iter().map(|set| set.0).collect()
}

/// Adds to `sets` the bytes `hir` can hold when it starts at the offsets in `starts` (bit `k`:
/// offset `k`), and returns the offsets where it can end; offsets past `sets` are dropped, as
/// nothing is asked of them.
fn mark_opening(hir: &regex_syntax::hir::Hir, starts: u64, sets: &mut [ByteSet]) -> u64 {
    use regex_syntax::hir::{Class, HirKind};
    let within = if sets.len() >= 64 {
        u64::MAX
    } else {
        (1u64 << sets.len()) - 1
    };
    let starts = starts & within;
    if starts == 0 {
        return 0;
    }
    let offsets = |mask: u64| (0..sets.len()).filter(move |&k| mask >> k & 1 == 1);
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => starts,
        HirKind::Literal(literal) => {
            for start in offsets(starts) {
                for (at, &byte) in (start..sets.len()).zip(literal.0.iter()) {
                    sets[at].insert(byte);
                }
            }
            shifted(starts, literal.0.len()) & within
        }
        HirKind::Class(class) => {
            let ascii_only = match class {
                Class::Bytes(_) => true,
                Class::Unicode(class) => class.ranges().iter().all(|range| range.end().is_ascii()),
            };
            let bytes = class_bytes(class);
            for start in offsets(starts) {
                if ascii_only {
                    sets[start] = sets[start].union(bytes);
                } else {
                    // A character of one to four UTF-8 bytes, any of them.
                    for set in sets.iter_mut().skip(start).take(4) {
                        *set = ByteSet::ALL;
                    }
                }
            }
            let widths = if ascii_only { 1..=1 } else { 1..=4 };
            widths.fold(0, |ends, width| ends | shifted(starts, width)) & within
        }
        HirKind::Capture(capture) => mark_opening(&capture.sub, starts, sets),
        HirKind::Concat(items) => {
            (items.iter()).fold(starts, |starts, item| mark_opening(item, starts, sets))
        }
        HirKind::Alternation(branches) => {
            (branches.iter()).fold(0, |ends, branch| ends | mark_opening(branch, starts, sets))
        }
        HirKind::Repetition(repetition) => {
            let mut current = starts;
            for _ in 0..repetition.min {
                if current == 0 {
                    return 0;
                }
                current = mark_opening(&repetition.sub, current, sets);
            }
            // The optional rounds: each offset is started from once (what it adds does not
            // depend on the round), so this ends within `sets.len()` rounds.
            let (mut reached, mut frontier, mut round) = (current, current, 0u32);
            while frontier != 0
                && repetition
                    .max
                    .is_none_or(|max| round < max - repetition.min)
            {
                let ends = mark_opening(&repetition.sub, frontier, sets);
                frontier = ends & !reached;
                reached |= ends;
                round += 1;
            }
            reached
        }
    }
}

/// `mask` moved up by `by` bits (0 when that is 64 or more).
fn shifted(mask: u64, by: usize) -> u64 {
    u32::try_from(by)
        .ok()
        .and_then(|by| mask.checked_shl(by))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(pattern: &str) -> Option<Vec<String>> {
        let mut starts: Vec<String> = match_starts(&parse(pattern).unwrap())?
            .iter()
            .map(|start| String::from_utf8_lossy(start).into_owned())
            .collect();
        starts.sort();
        Some(starts)
    }

    #[test]
    fn match_starts_are_the_literals_every_match_opens_with() {
        let some = |list: &[&str]| Some(list.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(starts(r"\bghp_[A-Za-z0-9]{36}"), some(&["ghp_"]));
        assert_eq!(starts(r"(?i)SEGMENT[\w.]{0,10}?key"), some(&["segment"]));
        assert_eq!(starts(r"\b(?:gho|ghu)_x"), some(&["gho_x", "ghu_x"]));
        assert_eq!(starts(r"(xox[bp]-)\d+"), some(&["xoxb-", "xoxp-"]));
        assert_eq!(
            starts(r"(?i)polygon[_.-]?api"),
            some(&["polygon-api", "polygon.api", "polygon_api", "polygonapi"])
        );
        // A repetition ends the literal: more of it, or anything, may follow.
        assert_eq!(starts(r"ab+c"), some(&["ab"]));
        assert_eq!(starts(r"(?:ab)?cd"), some(&["abcd", "cd"]));
        assert_eq!(starts(r"x*token"), some(&["token", "x"]));
        // Nothing pins down the first byte.
        assert_eq!(starts(r"[A-Za-z0-9]{32}"), None);
        assert_eq!(starts(r"(?:\A|[^A-Za-z])(?i:box)"), None);
        assert_eq!(starts(r"(?s).*token"), None);
        assert_eq!(starts(r"(?u)(?i)key"), None);
    }

    /// A start that an unlucky regex would multiply past the limit is cut short, never wrong:
    /// what is kept still opens every match.
    #[test]
    fn too_many_starts_are_cut_to_what_is_known() {
        let pattern = "(?i)[ab][cd][ef][gh][ij][kl][mn][op][qr]x";
        let cut = starts(pattern).unwrap();
        assert!(cut.len() <= MAX_STARTS, "{}", cut.len());
        let regex = regex::bytes::Regex::new(pattern).unwrap();
        for text in ["acegikmoqx", "BDFHJLNPRX", "adfgjknpqx"] {
            let found = regex.find(text.as_bytes()).unwrap();
            let opening = text[found.start()..].to_ascii_lowercase();
            assert!(
                cut.iter().any(|start| opening.starts_with(start.as_str())),
                "{text}"
            );
        }
    }

    /// Every match's first bytes are in the opening, on random text with matches planted in
    /// it, for regexes with literals, classes, alternations, optional and counted parts; and
    /// the opening rules out the words a keyword is often part of.
    #[test]
    fn the_opening_holds_every_match_and_rules_out_the_rest() {
        let patterns = [
            (
                r"pat[A-Za-z0-9]{14}\.[A-Za-z0-9]{6,8}",
                "patZ7Uw9xfogoEmvn.EN5N1a",
            ),
            (r"(?i)ghp_[a-z0-9]{4}", "GhP_a0Z9"),
            (r"\bsk-(?:proj-)?[A-Za-z0-9]{3,}x", "sk-proj-abc9x"),
            (r"ab(?:cd|e)?[0-9]*f", "abe0129f"),
            (r"(?:AKIA|ASIA)[A-Z2-7]{4}", "ASIAZ7ZA"),
            (r"x(?:y{2,3}|z)+q", "xyyyzq"),
            (r"x[a-c]{0,4}y[0-9]{5}", "xabcy01234"),
            (r"(?u)k\w{2}!", "ké1!"),
            (r"tok(?:en)?[:=]\s*[a-f0-9]{3}", "token: a0f"),
        ];
        let mut next = crate::test_rng(0x0BE7_1A6E);
        let alphabet = b"patghpGHPsk-roj_xyzqabcdef01294AKISAZ7.!:= \n\xc3\xa9tokenK";
        for (pattern, sample) in patterns {
            let sets = opening(&parse(pattern).unwrap());
            let anchored = regex::bytes::Regex::new(&format!("^(?:{pattern})")).unwrap();
            let (mut opened, mut matched, mut positions) = (0, 0, 0);
            for _ in 0..3000 {
                let mut text: Vec<u8> = (0..(next() % 30))
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect();
                if next().is_multiple_of(2) {
                    let at = (next() % (text.len() as u64 + 1)) as usize;
                    text.splice(at..at, sample.bytes());
                }
                for start in 0..text.len() {
                    let may_open = opens_with(&sets, &text[start..]);
                    let matches = anchored.is_match(&text[start..]);
                    assert!(may_open || !matches, "{pattern}: {:?}", &text[start..]);
                    opened += usize::from(may_open);
                    matched += usize::from(matches);
                    positions += 1;
                }
            }
            assert!(matched > 1000, "{pattern}: {matched} matches");
            assert!(opened < positions / 2, "{pattern}: {opened} of {positions}");
        }
        let pat = opening(&parse(patterns[0].0).unwrap());
        assert_eq!(pat.len(), 24, "pat, 14 characters, the dot and 6 more");
        let opens = |text: &[u8]| opens_with(&pat, text);
        assert!(opens(patterns[0].1.as_bytes()));
        assert!(!opens(b"path/to/the/file.txt and more"));
        assert!(!opens(b"patternMatchingEngine.run()"));
        // Optional and unbounded parts: the opening stops where matches stop agreeing.
        let sk = opening(&parse(patterns[2].0).unwrap());
        assert_eq!(sk.len(), 7, "sk-, three characters, x");
    }
}
