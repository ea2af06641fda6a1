//! A test a window must pass before a rule's regex runs on it (or is even compiled): every
//! secret the rule reports is a run of bytes its secret group can hold, at least as long as the
//! group's shortest match and the rule's entropy floor allow, holding a byte of each class the
//! group cannot match without (`[0-9]` and `[A-Za-z]` for a generic password). Code near the word
//! `password` (`let password = args.password.clone();`) has no such run, and most keyword hits in
//! source code and API models are like that. Derived from the parsed regex, so it can only rule
//! out windows the regex could not report a secret in.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::hir::{class_bytes, ByteSet};

/// Most classes one test checks: one bit each beside the alphabet's bit.
const MAX_REQUIRED: usize = 15;
/// The bit of a byte the secret can hold.
const IN_ALPHABET: u16 = 1 << 15;

/// The test: a run of alphabet bytes, `min_len` long or more, holding a byte of every required
/// class.
#[derive(Clone)]
pub struct SecretRuns {
    /// Per byte: [`IN_ALPHABET`], and bit `i` when it is in required class `i`.
    table: [u16; 256],
    /// The bits of all required classes.
    required: u16,
    min_len: usize,
    /// Every window passes: nothing to test.
    trivial: bool,
}

impl std::fmt::Debug for SecretRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRuns")
            .field(
                "alphabet",
                &self.table.iter().filter(|&&b| b & IN_ALPHABET != 0).count(),
            )
            .field("required", &self.required.count_ones())
            .field("min_len", &self.min_len)
            .finish()
    }
}

/// What the test needs, read from a secret group's regex: small and plain, so that `build.rs`
/// can write the built-in rules' facts into the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunFacts {
    /// The bytes a secret can hold, as a 256-bit set.
    pub alphabet: [u64; 4],
    /// Classes a secret holds a byte of each of, as 256-bit sets (at most 15).
    pub classes: Vec<[u64; 4]>,
    /// The shortest secret the rule reports.
    pub min_len: usize,
}

impl RunFacts {
    /// The facts of a secret group's regex `secret`, reported only with Shannon entropy of at
    /// least `entropy` bits per byte.
    pub fn new(secret: &Hir, entropy: Option<f64>) -> RunFacts {
        let alphabet = alphabet(secret);
        // n bytes hold at most log2(n) bits of entropy per byte.
        let entropy_len = entropy
            .filter(|bits| *bits > 0.0)
            .map_or(0, |bits| (2f64.powf(bits) - 1e-6).ceil() as usize);
        let min_len = secret
            .properties()
            .minimum_len()
            .unwrap_or(0)
            .max(entropy_len);
        let mut classes: Vec<[u64; 4]> = required_classes(secret)
            .into_iter()
            .filter(|class| !alphabet.is_subset(class))
            .map(|class| class.0)
            .collect();
        classes.truncate(MAX_REQUIRED);
        RunFacts {
            alphabet: alphabet.0,
            classes,
            min_len,
        }
    }
}

impl SecretRuns {
    /// The test these facts call for.
    pub fn new(facts: &RunFacts) -> SecretRuns {
        let alphabet = ByteSet(facts.alphabet);
        let classes = &facts.classes[..facts.classes.len().min(MAX_REQUIRED)];
        let mut table = [0u16; 256];
        for byte in 0..=255u8 {
            let mut bits = if alphabet.contains(byte) {
                IN_ALPHABET
            } else {
                0
            };
            for (i, class) in classes.iter().enumerate() {
                if ByteSet(*class).contains(byte) {
                    bits |= 1 << i;
                }
            }
            table[usize::from(byte)] = bits;
        }
        let required = ((1u32 << classes.len()) - 1) as u16;
        let min_len = facts.min_len;
        SecretRuns {
            table,
            required,
            min_len,
            trivial: alphabet == ByteSet::ALL && required == 0 && min_len <= 1,
        }
    }

    /// Whether `bytes` hold a run the secret could be: a maximal run of alphabet bytes at least
    /// `min_len` long that holds a byte of every required class. Most windows hold only short
    /// runs (words of code), which [`next_long_run`] skips reading a few bytes per `min_len`.
    pub fn may_hold_secret(&self, bytes: &[u8]) -> bool {
        if self.trivial {
            return true;
        }
        let in_alphabet = |byte: u8| self.table[usize::from(byte)] & IN_ALPHABET != 0;
        let min_len = self.min_len.max(1);
        let mut start = 0;
        while let Some((run_start, run_end)) = next_long_run(bytes, start, min_len, in_alphabet) {
            if self.holds_required(&bytes[run_start..run_end]) {
                return true;
            }
            start = run_end + 1;
        }
        false
    }

    /// Whether `run` holds a byte of every required class.
    fn holds_required(&self, run: &[u8]) -> bool {
        let mut seen = 0u16;
        for &byte in run {
            seen |= self.table[usize::from(byte)];
            if seen & self.required == self.required {
                return true;
            }
        }
        false
    }

    /// The obvious byte-by-byte form of [`SecretRuns::may_hold_secret`], for the tests.
    #[cfg(test)]
    fn may_hold_secret_bytewise(&self, bytes: &[u8]) -> bool {
        if self.trivial {
            return true;
        }
        let (mut len, mut seen) = (0usize, 0u16);
        for &byte in bytes {
            let bits = self.table[usize::from(byte)];
            if bits & IN_ALPHABET == 0 {
                len = 0;
                seen = 0;
                continue;
            }
            len += 1;
            seen |= bits;
            if len >= self.min_len && seen & self.required == self.required {
                return true;
            }
        }
        false
    }
}

/// The first maximal run of bytes `in_alphabet` at or after `start`, at least `min_len` (1 or
/// more) long, as `(start, end)`; `bytes[start - 1]` must be outside the alphabet (or `start`
/// 0). Most text has no such run, so the search looks at the last byte a run starting at
/// `start` would need: outside the alphabet, no such run can start before it; inside, only the
/// run around it is read. Text is read a few bytes per `min_len`.
pub fn next_long_run(
    bytes: &[u8],
    mut start: usize,
    min_len: usize,
    in_alphabet: impl Fn(u8) -> bool,
) -> Option<(usize, usize)> {
    while start + min_len <= bytes.len() {
        let probe = start + min_len - 1;
        if !in_alphabet(bytes[probe]) {
            start = probe + 1;
            continue;
        }
        let mut run_start = probe;
        while run_start > start && in_alphabet(bytes[run_start - 1]) {
            run_start -= 1;
        }
        let mut run_end = probe + 1;
        while run_end < bytes.len() && in_alphabet(bytes[run_end]) {
            run_end += 1;
        }
        if run_end - run_start >= min_len {
            return Some((run_start, run_end));
        }
        start = run_end + 1;
    }
    None
}

/// Punctuation every match of `hir` holds: up to [`MARKS`] classes of 1 to 3 bytes, none a
/// letter, digit or NUL, each 0-padded (an unused class is all 0). A window holding no byte
/// of one of them holds no match: `@` for a URL with credentials, whose `://` is in every API
/// model's documentation. The rarest kinds of bytes are kept when more classes qualify.
pub fn required_marks(hir: &Hir) -> [[u8; 3]; MARKS] {
    // Punctuation that ordinary text and code are full of: tried last.
    const COMMON: &[u8] = b" \t\r\n\"',.:;=/-_()";
    let mut marks: Vec<Vec<u8>> = required_classes(hir)
        .into_iter()
        .filter(|class| (1..=3).contains(&class.len()) && !class.contains(0))
        .map(|class| {
            (1..=255u8)
                .filter(|&b| class.contains(b))
                .collect::<Vec<u8>>()
        })
        .filter(|bytes| bytes.iter().all(|b| !b.is_ascii_alphanumeric()))
        .collect();
    marks.sort_by_key(|bytes| {
        (
            bytes.iter().filter(|b| COMMON.contains(b)).count(),
            bytes.len(),
        )
    });
    let mut out = [[0u8; 3]; MARKS];
    for (slot, bytes) in out.iter_mut().zip(marks) {
        slot[..bytes.len()].copy_from_slice(&bytes);
    }
    out
}

/// Most mark classes a rule keeps.
pub const MARKS: usize = 3;

/// The bytes a match of `hir` can hold. A Unicode class beyond ASCII matches UTF-8 sequences,
/// so it can hold any byte from 0x80 up.
fn alphabet(hir: &Hir) -> ByteSet {
    let mut set = ByteSet::default();
    add_alphabet(hir, &mut set);
    set
}

fn add_alphabet(hir: &Hir, set: &mut ByteSet) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(literal) => literal.0.iter().for_each(|&b| set.insert(b)),
        HirKind::Class(class) => *set = set.union(class_bytes(class)),
        HirKind::Repetition(repetition) => add_alphabet(&repetition.sub, set),
        HirKind::Capture(capture) => add_alphabet(&capture.sub, set),
        HirKind::Concat(subs) | HirKind::Alternation(subs) => {
            subs.iter().for_each(|sub| add_alphabet(sub, set))
        }
    }
}

/// Classes of which every match of `hir` holds at least one byte.
fn required_classes(hir: &Hir) -> Vec<ByteSet> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Vec::new(),
        HirKind::Literal(literal) => {
            let mut classes = Vec::new();
            for &byte in literal.0.iter() {
                let mut class = ByteSet::default();
                class.insert(byte);
                push_new(&mut classes, class);
            }
            classes
        }
        HirKind::Class(class) => match class {
            // A non-ASCII character is several bytes, none of them the class's: say nothing.
            Class::Unicode(unicode) if unicode.ranges().iter().any(|r| r.end() as u32 >= 0x80) => {
                Vec::new()
            }
            _ => vec![class_bytes(class)],
        },
        HirKind::Repetition(repetition) if repetition.min > 0 => required_classes(&repetition.sub),
        HirKind::Repetition(_) => Vec::new(),
        HirKind::Capture(capture) => required_classes(&capture.sub),
        HirKind::Concat(subs) => {
            let mut classes = Vec::new();
            for sub in subs {
                for class in required_classes(sub) {
                    push_new(&mut classes, class);
                }
            }
            classes
        }
        HirKind::Alternation(subs) => {
            // A class of the first branch, widened by the closest class of every other
            // branch, is met whichever branch matches.
            let branches: Vec<Vec<ByteSet>> = subs.iter().map(required_classes).collect();
            let Some((first, others)) = branches.split_first() else {
                return Vec::new();
            };
            let mut classes = Vec::new();
            'class: for &class in first {
                let mut widened = class;
                for branch in others {
                    let Some(closest) = branch
                        .iter()
                        .min_by_key(|other| widened.union(**other).len())
                    else {
                        continue 'class;
                    };
                    widened = widened.union(*closest);
                }
                push_new(&mut classes, widened);
            }
            classes
        }
    }
}

fn push_new(classes: &mut Vec<ByteSet>, class: ByteSet) {
    if !classes.contains(&class) {
        classes.push(class);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(pattern: &str, entropy: Option<f64>) -> SecretRuns {
        let secret = super::super::hir::parse(pattern).unwrap();
        SecretRuns::new(&RunFacts::new(&secret, entropy))
    }

    fn marks(pattern: &str) -> [[u8; 3]; MARKS] {
        required_marks(&super::super::hir::parse(pattern).unwrap())
    }

    #[test]
    fn marks_are_the_rarest_punctuation_every_match_holds() {
        // A URL with credentials: `@` first (rare), then the common `:` and `/`.
        assert_eq!(
            marks(r"[a-z]+://([^:@/\s]+):([^@/\s]{3,})@[a-z.]+"),
            [*b"@\0\0", *b":\0\0", *b"/\0\0"]
        );
        // Branches widen a class: `=` or `:` whichever matches; letters, digits and optional
        // parts say nothing.
        assert_eq!(
            marks(r"(?i)token\s*(?:=|:)\s*['\x22]?([a-z0-9]{20})(?:#x)?"),
            [*b":=\0", [0; 3], [0; 3]]
        );
        // A class of more than 3 bytes, or holding NUL, is no mark.
        assert_eq!(marks(r"[-+=_.]x[\x00@]y"), [[0; 3]; MARKS]);
    }

    #[test]
    fn a_run_must_be_long_enough_of_the_alphabet_and_hold_each_required_class() {
        let generic = runs(
            "(?:[A-Za-z0-9._-]*[0-9][A-Za-z0-9._-]*[A-Za-z]|[A-Za-z0-9._-]*[A-Za-z][A-Za-z0-9._-]*[0-9])[A-Za-z0-9._-]*",
            Some(2.5),
        );
        assert!(!generic.may_hold_secret(b"let password = args.password.clone();"));
        assert!(
            !generic.may_hold_secret(b"password = 12345678"),
            "no letter"
        );
        assert!(
            !generic.may_hold_secret(b"password = a1b2c"),
            "too short for 2.5 bits"
        );
        // Split so this repository's own scan does not report it.
        assert!(generic.may_hold_secret(concat!("password = \"a1b", "2c3\";").as_bytes()));
        let hex = runs("[a-f0-9]{32}", None);
        assert!(hex.may_hold_secret(&[b'a'; 32]));
        assert!(!hex.may_hold_secret(&[b'a'; 31]));
        assert!(!hex.may_hold_secret(b"0123456789abcdef-0123456789abcdef"));
        let prefixed = runs("(?:live|test)_[A-Z]{4}", None);
        assert!(prefixed.may_hold_secret(b"x=test_ABCD"));
        assert!(
            !prefixed.may_hold_secret(b"x=ABCDEFGH_ABCD"),
            "neither live nor test"
        );
    }

    /// The skipping search agrees with the byte-by-byte one on random windows, alphabets,
    /// required classes and lengths (including runs at either end and runs of exactly
    /// `min_len`).
    #[test]
    fn the_skipping_search_agrees_with_reading_every_byte() {
        let mut next = crate::test_rng(0x9E37_79B9_7F4A_7C15);
        let universe = b"ab1_-. =\n\xff";
        let mut agreed = [0usize; 2];
        for _ in 0..3000 {
            let mut set = |odds: u64| {
                let mut set = ByteSet::default();
                for &byte in universe {
                    if next().is_multiple_of(odds) {
                        set.insert(byte);
                    }
                }
                set.0
            };
            let alphabet = set(2);
            let classes = [set(4), set(3)][..(alphabet[0] % 3) as usize].to_vec();
            let facts = RunFacts {
                alphabet,
                classes,
                min_len: (next() % 9) as usize,
            };
            let test = SecretRuns::new(&facts);
            let text: Vec<u8> = (0..next() % 40)
                .map(|_| universe[(next() % universe.len() as u64) as usize])
                .collect();
            let expected = test.may_hold_secret_bytewise(&text);
            assert_eq!(
                test.may_hold_secret(&text),
                expected,
                "{facts:?} on {text:?}"
            );
            agreed[usize::from(expected)] += 1;
        }
        // Both answers were exercised, not one of them only.
        assert!(agreed[0] > 300 && agreed[1] > 300, "{agreed:?}");
    }

    #[test]
    fn non_ascii_classes_hold_any_high_byte() {
        let unicode = runs("(?u)[é]{2}x", None);
        assert!(unicode.may_hold_secret("ééx".as_bytes()));
        let any = runs("(?s:.){3}", None);
        assert!(any.may_hold_secret(b"\n\0\xff"));
        assert!(!any.may_hold_secret(b"ab"));
    }
}
