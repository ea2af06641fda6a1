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
