//! Secrets hidden one layer down: base64 (standard and URL-safe), hex and percent-encoded runs
//! are decoded, and string literals joined in code (`"abc" + "def"`) are joined; when the
//! result is text, the caller scans it with the same engine and reports what it finds at the
//! encoded span, marked `decoded: "base64"`, `"hex"`, `"percent"` or `"concatenated"`. Bounded: runs of 24 bytes to 64 KiB, at most 1,024 runs and 1 MiB of decoded
//! text per chunk; the caller limits the depth.

use base64::alphabet;
use base64::engine::general_purpose::GeneralPurposeConfig;
use base64::engine::{DecodePaddingMode, GeneralPurpose};
use base64::Engine as _;

use super::Span;
use crate::rule::secret_runs::next_long_run;

/// Shortest run worth decoding (bytes): 24 base64 characters hold 18 bytes.
pub const MIN_RUN: usize = 24;
/// Longest run decoded.
pub const MAX_RUN: usize = 64 * 1024;
/// Most runs decoded in one chunk.
pub const MAX_RUNS: usize = 1024;
/// Most decoded bytes kept for one chunk.
pub const MAX_DECODED: usize = 1 << 20;

/// An encoded run and what it decodes to.
#[derive(Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The encoded run in the chunk.
    pub span: Span,
    /// `base64` or `hex`.
    pub encoding: &'static str,
    /// The decoded text.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Decoded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The decoded text may be a secret: show its length only.
        f.debug_struct("Decoded")
            .field("span", &self.span)
            .field("encoding", &self.encoding)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

const STD: u8 = 1;
const URL: u8 = 2;
const HEX: u8 = 4;
const UPPER: u8 = 8;
const LOWER: u8 = 16;
const DIGIT: u8 = 32;

const fn classes() -> [u8; 256] {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let alnum = c.is_ascii_alphanumeric();
        let mut class = 0;
        if alnum || c == b'+' || c == b'/' {
            class |= STD;
        }
        if alnum || c == b'-' || c == b'_' {
            class |= URL;
        }
        if c.is_ascii_hexdigit() {
            class |= HEX;
        }
        if c.is_ascii_uppercase() {
            class |= UPPER;
        }
        if c.is_ascii_lowercase() {
            class |= LOWER;
        }
        if c.is_ascii_digit() {
            class |= DIGIT;
        }
        table[b] = class;
        b += 1;
    }
    table
}

static CLASSES: [u8; 256] = classes();

fn lenient(alphabet: &alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}

/// Whether decoded bytes look like text worth scanning: mostly printable ASCII.
fn is_text(bytes: &[u8]) -> bool {
    let printable = bytes
        .iter()
        .filter(|&&b| (0x20..0x7f).contains(&b) || matches!(b, b'\t' | b'\n' | b'\r'))
        .count();
    bytes.len() >= 8 && printable * 10 >= bytes.len() * 9
}

/// Whether `b` can stand in a base64 (standard or URL-safe) or hex run.
fn in_alphabet(b: u8) -> bool {
    CLASSES[b as usize] & (STD | URL) != 0
}

/// The next maximal stretch of base64/hex-alphabet bytes, at or after `at`, that is at least
/// `MIN_RUN` long. `bytes[at - 1]` must be outside the alphabet (or `at` 0). With AVX2, 32
/// bytes a step; the plain search finishes the last bytes.
fn next_long_stretch(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        return match avx2::next_long_stretch(bytes, at) {
            Ok(found) => Some(found),
            Err(stopped) => next_long_stretch_plain(bytes, stopped),
        };
    }
    next_long_stretch_plain(bytes, at)
}

/// [`next_long_stretch`] without SIMD: the rule module's run search, which reads text a few
/// bytes per `MIN_RUN`.
fn next_long_stretch_plain(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    next_long_run(bytes, at, MIN_RUN, in_alphabet)
}

/// The encoded runs of `bytes` that decode to text.
pub fn decode_runs(bytes: &[u8]) -> Vec<Decoded> {
    let standard = lenient(&alphabet::STANDARD);
    let url_safe = lenient(&alphabet::URL_SAFE);
    let mut out = Vec::new();
    let mut decoded_total = 0;
    let mut runs = 0;
    let mut next_search = 0;
    'stretches: while let Some((stretch_start, stretch_end)) = next_long_stretch(bytes, next_search)
    {
        next_search = stretch_end + 1;
        // The classes every byte of the stretch has, and those some byte has: two independent
        // folds, where splitting runs byte by byte waits on each byte's test.
        let (whole_all, whole_any) =
            (bytes[stretch_start..stretch_end].iter()).fold((u8::MAX, 0), |(all, any), &b| {
                let class = CLASSES[usize::from(b)];
                (all & class, any | class)
            });
        // A stretch mixing `+`/`/` with `-`/`_` splits into runs of one alphabet each; most
        // stretches use one alphabet and are one run.
        let mut at = stretch_start;
        while at < stretch_end {
            let start = at;
            let (mut all, mut any) = (STD | URL | HEX, 0);
            if start == stretch_start && whole_all & (STD | URL) != 0 {
                (all, any, at) = (whole_all, whole_any, stretch_end);
            }
            while at < stretch_end {
                let class = CLASSES[bytes[at] as usize];
                if class & all & (STD | URL) == 0 {
                    break;
                }
                all &= class;
                any |= class;
                at += 1;
            }
            let (upper, lower, digit) = (any & UPPER != 0, any & LOWER != 0, any & DIGIT != 0);
            let mut end = at;
            while end < bytes.len() && end - at < 2 && bytes[end] == b'=' {
                end += 1;
            }
            let length = at - start;
            if !(MIN_RUN..=MAX_RUN).contains(&length) {
                continue;
            }
            runs += 1;
            if runs > MAX_RUNS || decoded_total >= MAX_DECODED {
                break 'stretches;
            }
            let run = &bytes[start..at];
            let (encoding, decoded) = if all & HEX != 0 && length % 2 == 0 {
                ("hex", decode_hex(run))
            } else if upper && lower && digit {
                let engine = if all & STD != 0 { &standard } else { &url_safe };
                // A length of 4n+1 cannot be base64: drop the last character.
                let usable = if run.len() % 4 == 1 {
                    &run[..run.len() - 1]
                } else {
                    run
                };
                ("base64", engine.decode(usable).ok())
            } else {
                continue;
            };
            if let Some(decoded) = decoded.filter(|d| is_text(d)) {
                decoded_total += decoded.len();
                out.push(Decoded {
                    span: Span::new(start, end),
                    encoding,
                    bytes: decoded,
                });
            }
        }
    }
    out
}

/// Runs holding percent escapes (`%3D`, `%40`): a URL-encoded assignment or credential hides
/// from rules that expect `=` or `@`. A run is a stretch of non-blank, non-quote bytes with at
/// least two escapes.
pub fn decode_percent_runs(bytes: &[u8]) -> Vec<Decoded> {
    let is_escape = |at: usize| {
        bytes.get(at) == Some(&b'%')
            && bytes.get(at + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(at + 2).is_some_and(u8::is_ascii_hexdigit)
    };
    let in_run =
        |b: u8| !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\'' | b'`' | b'<' | b'>');
    let mut out: Vec<Decoded> = Vec::new();
    for at in memchr::memchr_iter(b'%', bytes) {
        if out.len() >= MAX_RUNS
            || out.last().is_some_and(|run| at < run.span.end)
            || !is_escape(at)
        {
            continue;
        }
        let start = bytes[..at]
            .iter()
            .rposition(|&b| !in_run(b))
            .map_or(0, |i| i + 1);
        let end = bytes[at..]
            .iter()
            .position(|&b| !in_run(b))
            .map_or(bytes.len(), |i| at + i);
        if end - start > MAX_RUN {
            continue;
        }
        let run = &bytes[start..end];
        let mut decoded = Vec::with_capacity(run.len());
        let mut escapes = 0;
        let mut i = 0;
        while i < run.len() {
            if is_escape(start + i) {
                let digit = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
                decoded.push(digit(run[i + 1]) << 4 | digit(run[i + 2]));
                escapes += 1;
                i += 3;
            } else {
                decoded.push(run[i]);
                i += 1;
            }
        }
        if escapes >= 2 && is_text(&decoded) {
            out.push(Decoded {
                span: Span::new(start, end),
                encoding: "percent",
                bytes: decoded,
            });
        }
    }
    out
}

/// Whether a joiner (`+`, `.`, `..`) can be at `at`: the byte before it is the closing quote
/// of a literal or a blank between the two (control bytes pass too: `find_joiners` decides).
fn may_join(bytes: &[u8], at: usize) -> bool {
    matches!(bytes[at], b'+' | b'.')
        && at > 0
        && matches!(bytes[at - 1], 0..=b' ' | b'"' | b'\'' | b'`' | b'\\')
}

/// The positions where a joiner can be ([`may_join`]), in order. Prose and API models are full
/// of periods after a letter, where a search for every `+` and `.` stopped.
fn joiner_operators(bytes: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        at = avx2::joiner_operators(bytes, &mut out);
    }
    out.extend((at..bytes.len()).filter(|&at| may_join(bytes, at)));
    out
}

#[cfg(target_arch = "x86_64")]
#[allow(
    unsafe_code,
    reason = "SIMD intrinsics, run only where the CPU reports AVX2; every load is bounds-checked"
)]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{in_alphabet, MIN_RUN};

    /// [`super::next_long_stretch`] while 64 bytes are left: `Ok` with the stretch, or `Err`
    /// with where the plain search is to go on. The caller checked that AVX2 is present.
    pub(super) fn next_long_stretch(bytes: &[u8], at: usize) -> Result<(usize, usize), usize> {
        // SAFETY: the caller checked that the CPU has AVX2.
        unsafe { next_long_stretch_avx2(bytes, at) }
    }

    /// Bit i is set when `bytes[at + i]` is in the alphabet (`bytes[at..at + 32]` must exist).
    #[target_feature(enable = "avx2")]
    fn alphabet_mask(bytes: &[u8], at: usize) -> u32 {
        let chunk = bytes[at..at + 32].as_ptr().cast::<__m256i>();
        // SAFETY: `chunk` points at 32 readable bytes (the slice above).
        let here = unsafe { _mm256_loadu_si256(chunk) };
        let splat = |byte: u8| _mm256_set1_epi8(byte as i8);
        // `x - low` is at most `span` (unsigned) exactly when `x` is in `low..=low + span`.
        let within = |x: __m256i, low: u8, span: u8| {
            let offset = _mm256_sub_epi8(x, splat(low));
            _mm256_cmpeq_epi8(_mm256_min_epu8(offset, splat(span)), offset)
        };
        let letter = within(_mm256_or_si256(here, splat(0x20)), b'a', 25);
        let digit = within(here, b'0', 9);
        let mut inside = _mm256_or_si256(letter, digit);
        for extra in [b'+', b'/', b'-', b'_'] {
            inside = _mm256_or_si256(inside, _mm256_cmpeq_epi8(here, splat(extra)));
        }
        _mm256_movemask_epi8(inside) as u32
    }

    #[target_feature(enable = "avx2")]
    fn next_long_stretch_avx2(bytes: &[u8], mut at: usize) -> Result<(usize, usize), usize> {
        const _: () = assert!(MIN_RUN == 24, "the shifts below find runs of 24");
        if at + 64 > bytes.len() {
            return Err(at);
        }
        let mut low = alphabet_mask(bytes, at);
        while at + 64 <= bytes.len() {
            let high = alphabet_mask(bytes, at + 32);
            let inside = u64::from(low) | u64::from(high) << 32;
            // Bit i of `runs_n`: the n bytes from `at + i` are all in the alphabet (for the
            // first 32 bits, whose 24 bytes are all within the 64).
            let runs_2 = inside & inside >> 1;
            let runs_4 = runs_2 & runs_2 >> 2;
            let runs_8 = runs_4 & runs_4 >> 4;
            let runs_24 = runs_8 & runs_8 >> 8 & runs_8 >> 16;
            // The first such start: the byte before it is outside the alphabet (a stretch
            // from before `at` would have been found from the step before).
            let starts = runs_24 as u32;
            if starts != 0 {
                let start = at + starts.trailing_zeros() as usize;
                let end = (bytes[start + MIN_RUN..].iter())
                    .position(|&b| !in_alphabet(b))
                    .map_or(bytes.len(), |i| start + MIN_RUN + i);
                return Ok((start, end));
            }
            at += 32;
            low = high;
        }
        Err(at)
    }

    /// Adds the positions from 1 on that pass [`super::may_join`], 32 at a time, to `out`, and
    /// returns where it stopped. The caller checked that AVX2 is present.
    pub(super) fn joiner_operators(bytes: &[u8], out: &mut Vec<usize>) -> usize {
        // SAFETY: the caller checked that the CPU has AVX2.
        unsafe { joiner_operators_avx2(bytes, out) }
    }

    #[target_feature(enable = "avx2")]
    fn joiner_operators_avx2(bytes: &[u8], out: &mut Vec<usize>) -> usize {
        let splat = |byte: u8| _mm256_set1_epi8(byte as i8);
        let (plus, dot, space) = (splat(b'+'), splat(b'.'), splat(b' '));
        let quotes = [splat(b'"'), splat(b'\''), splat(b'`'), splat(b'\\')];
        let mut at = 1;
        while at + 32 <= bytes.len() {
            let load = |from: usize| {
                let chunk = bytes[from..from + 32].as_ptr().cast::<__m256i>();
                // SAFETY: `chunk` points at 32 readable bytes (the slice above).
                unsafe { _mm256_loadu_si256(chunk) }
            };
            let (here, before) = (load(at), load(at - 1));
            let operator =
                _mm256_or_si256(_mm256_cmpeq_epi8(here, plus), _mm256_cmpeq_epi8(here, dot));
            // Bytes up to the space: their unsigned minimum with it is themselves.
            let mut after_quote = _mm256_cmpeq_epi8(_mm256_min_epu8(before, space), before);
            for quote in quotes {
                after_quote = _mm256_or_si256(after_quote, _mm256_cmpeq_epi8(before, quote));
            }
            let mut found = _mm256_movemask_epi8(_mm256_and_si256(operator, after_quote)) as u32;
            while found != 0 {
                out.push(at + found.trailing_zeros() as usize);
                found &= found - 1;
            }
            at += 32;
        }
        at
    }
}

/// Longest statement of joined string literals decoded (bytes).
const MAX_STATEMENT: usize = 8 * 1024;

/// Statements that join string literals (`"sk_live_4eC39" + "HqLyjWDarjtT1"` in Java, JS, C#,
/// Python or Go; `'abc' . 'def'` in PHP; `..` in Lua), on one line or across line breaks: a
/// secret split that way hides from every rule. Each statement (from the start of the first
/// joiner's line to the end of the last's) comes back with its joiners removed, so the rules
/// see `key = "sk_live_4eC39HqLyjWDarjtT1"`.
pub fn decode_concatenations(bytes: &[u8]) -> Vec<Decoded> {
    let joiners = find_joiners(bytes, joiner_operators(bytes).into_iter());
    let mut out: Vec<Decoded> = Vec::new();
    let mut group_start = 0;
    while group_start < joiners.len() && out.len() < MAX_RUNS {
        // Joiners on the same or following lines make one statement.
        let mut group_end = group_start + 1;
        while group_end < joiners.len() {
            let gap = &bytes[joiners[group_end - 1].1..joiners[group_end].0];
            if gap.len() > 400 || memchr::memchr_iter(b'\n', gap).count() > 1 {
                break;
            }
            group_end += 1;
        }
        let first = joiners[group_start].0;
        let last = joiners[group_end - 1].1;
        let start = memchr::memrchr(b'\n', &bytes[..first]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &bytes[last..]).map_or(bytes.len(), |i| last + i);
        if end - start <= MAX_STATEMENT {
            let mut joined = Vec::with_capacity(end - start);
            let mut at = start;
            for &(left, right) in &joiners[group_start..group_end] {
                joined.extend_from_slice(&bytes[at..left]);
                at = right + 1;
            }
            joined.extend_from_slice(&bytes[at..end]);
            out.push(Decoded {
                span: Span::new(start, end),
                encoding: "concatenated",
                bytes: joined,
            });
        }
        group_start = group_end;
    }
    out
}

/// The joiners among `operators` (positions of `+` and `.`, in order): (left quote, right
/// quote) of each, in order.
fn find_joiners(bytes: &[u8], operators: impl Iterator<Item = usize>) -> Vec<(usize, usize)> {
    let mut joiners: Vec<(usize, usize)> = Vec::new();
    for at in operators {
        if joiners.last().is_some_and(|&(_, right)| at <= right) {
            continue; // the second dot of `..`, or inside the last joiner
        }
        let op_end = if bytes.get(at + 1) == Some(&b'.') && bytes[at] == b'.' {
            at + 2
        } else {
            at + 1
        };
        let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\\');
        let left = bytes[at.saturating_sub(16)..at]
            .iter()
            .rposition(|b| !blank(b))
            .map(|i| at.saturating_sub(16) + i);
        let right = bytes[op_end..bytes.len().min(op_end + 16)]
            .iter()
            .position(|b| !blank(b))
            .map(|i| op_end + i);
        let (Some(left), Some(right)) = (left, right) else {
            continue;
        };
        let quote = bytes[left];
        // A literal closes at `left` (not a `"` that opens `"+1"`) and the next opens at
        // `right`: the byte before `left` is no joiner character.
        if matches!(quote, b'"' | b'\'' | b'`')
            && bytes[right] == quote
            && left > 0
            && !matches!(bytes[left - 1], b'+' | b'(' | b'[' | b',' | b'=' | b' ')
        {
            joiners.push((left, right));
        }
    }
    joiners
}

fn decode_hex(run: &[u8]) -> Option<Vec<u8>> {
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    run.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// The encoded layers of `bytes`, down to `depth` layers: each base64, hex or percent-encoded
/// run `follow` accepts, then the base64 and hex runs inside what each decodes to. `visit` gets
/// the outermost run's span in `bytes`, its encoding and the decoded text, and returns whether
/// to go on. The one walk behind both the scan and the path-free prescreen, so the prescreen
/// looks wherever the scan does.
pub fn walk_decoded(
    bytes: &[u8],
    depth: usize,
    follow: impl Fn(Span) -> bool,
    visit: &mut dyn FnMut(Span, &'static str, &[u8]) -> bool,
) {
    if depth == 0 {
        return;
    }
    // (encoded span in `bytes`, decoded text, encoding, layer)
    let mut pending: Vec<(Span, Vec<u8>, &'static str, usize)> = decode_runs(bytes)
        .into_iter()
        .chain(decode_percent_runs(bytes))
        .chain(decode_concatenations(bytes))
        .filter(|run| follow(run.span))
        .map(|run| (run.span, run.bytes, run.encoding, 1))
        .collect();
    while let Some((outer, text, encoding, layer)) = pending.pop() {
        if !visit(outer, encoding, &text) {
            return;
        }
        if layer < depth {
            pending.extend(
                decode_runs(&text)
                    .into_iter()
                    .map(|run| (outer, run.bytes, encoding, layer + 1)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    #[test]
    fn base64_and_hex_runs_that_hold_text_are_decoded() {
        // Split, so that this file is not itself a finding.
        let secret = concat!("pass", "word=Xk29fjQ7pLm3Vz!");
        let b64 = STANDARD.encode(secret);
        let url = URL_SAFE_NO_PAD.encode("token: ab?>~cd~~~~~ efgh ijkl");
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        let text = format!("a = \"{b64}\"\nb = {url}\nc = {hex}\n");
        let runs = decode_runs(text.as_bytes());
        let decoded: Vec<(&str, String)> = runs
            .iter()
            .map(|r| (r.encoding, String::from_utf8_lossy(&r.bytes).into_owned()))
            .collect();
        assert_eq!(
            decoded,
            [
                ("base64", secret.to_string()),
                ("base64", "token: ab?>~cd~~~~~ efgh ijkl".to_string()),
                ("hex", secret.to_string())
            ]
        );
        assert_eq!(&text[runs[0].span.range()], b64);
    }

    /// A stretch that switches from the standard alphabet (`+`, `/`) to the URL-safe one
    /// (`-`, `_`) splits where it switches, and each part is decoded; a stretch of one
    /// alphabet is one run, wherever its `+` or `-` stands.
    #[test]
    fn a_stretch_mixing_alphabets_splits_where_it_switches() {
        let encoded_with = |engine: &GeneralPurpose, marks: &[u8]| {
            (0..)
                .map(|i| format!("api_secret=Value{i}~~~>>>???"))
                .map(|text| (engine.encode(&text), text))
                .find(|(run, _)| run.bytes().any(|b| marks.contains(&b)) && !run.contains('='))
                .unwrap()
        };
        let (standard, standard_text) = encoded_with(&STANDARD, b"+/");
        let (url_safe, url_safe_text) =
            encoded_with(&base64::engine::general_purpose::URL_SAFE, b"-_");
        let decoded = |text: &str| -> Vec<(Span, String)> {
            (decode_runs(text.as_bytes()).iter())
                .map(|run| (run.span, String::from_utf8_lossy(&run.bytes).into_owned()))
                .collect()
        };
        let joined = format!("{standard}{url_safe}");
        // The standard run ends before the first byte only the URL-safe alphabet has.
        let first_url_only = url_safe
            .bytes()
            .position(|b| b == b'-' || b == b'_')
            .unwrap();
        let runs = decoded(&joined);
        let first = runs.first().map(|(span, _)| (span.start, span.end));
        assert_eq!(
            first,
            Some((0, standard.len() + first_url_only)),
            "{joined}"
        );
        assert!(runs[0].1.starts_with(&standard_text), "{runs:?}");
        for (run, text) in [(&standard, &standard_text), (&url_safe, &url_safe_text)] {
            let alone = format!("x = {run}\n");
            assert_eq!(
                decoded(&alone),
                [(Span::new(4, 4 + run.len()), text.clone())]
            );
        }
    }

    /// The joiner search looks only after quotes and blanks (32 bytes a step with AVX2); on
    /// text made of quotes, blanks, joiners and letters it finds exactly the joiners a look at
    /// every `+` and `.` finds.
    #[test]
    fn the_joiner_search_misses_no_joiner() {
        let mut next = crate::test_rng(0x9E37_79B9_7F4A_7C15);
        let alphabet = b"\"'`  \t\r\n\\+..+a=(,[";
        let mut found = 0;
        for _ in 0..2_000 {
            let text: Vec<u8> = (0..(next() % 80))
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let operators = joiner_operators(&text);
            let expected = find_joiners(&text, memchr::memchr2_iter(b'+', b'.', &text));
            assert_eq!(
                find_joiners(&text, operators.into_iter()),
                expected,
                "{text:?}"
            );
            found += expected.len();
        }
        assert!(found > 100, "{found} joiners");
    }

    #[test]
    fn joined_string_literals_are_joined() {
        let joined = |text: &str| -> Vec<String> {
            decode_concatenations(text.as_bytes())
                .into_iter()
                .map(|run| String::from_utf8(run.bytes).unwrap())
                .collect()
        };
        assert_eq!(
            joined("x = 1\nkey = \"ab12\" + \"cd34\" + 'no' + \"ef56\";\n"),
            ["key = \"ab12cd34\" + 'no' + \"ef56\";"]
        );
        assert_eq!(joined("$key = 'ab12' . 'cd34';"), ["$key = 'ab12cd34';"]);
        assert_eq!(
            joined("key = (\"ab12\" +\n       \"cd34\")\n"),
            ["key = (\"ab12cd34\")"]
        );
        assert_eq!(joined("local k = \"ab\" .. \"cd\""), ["local k = \"abcd\""]);
        // No joiner: a quote next to an operator inside one string, arithmetic, a method call.
        for text in [
            "a = \"+\" + x",
            "n = 1 + 2",
            "s = \"abc\".length",
            "f(\"a\", +1)",
        ] {
            assert!(joined(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn percent_encoded_runs_are_decoded() {
        // Split, so that this file is not itself a finding.
        let text = concat!(
            "url = https://api.example.net/login?user%3Dadmin%26pass",
            "word%3DXk29fjQ7 next"
        );
        let runs = decode_percent_runs(text.as_bytes());
        assert_eq!(runs.len(), 1);
        let expected = concat!(
            "https://api.example.net/login?user=admin&pass",
            "word=Xk29fjQ7"
        );
        assert_eq!(runs[0].bytes, expected.as_bytes());
        assert!(decode_percent_runs(b"100% sure, 50%off").is_empty());
    }

    /// Every maximal alphabet stretch of `MIN_RUN` or more bytes, the slow way.
    fn long_stretches_naively(bytes: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for at in 0..=bytes.len() {
            match (bytes.get(at).is_some_and(|&b| in_alphabet(b)), start) {
                (true, None) => start = Some(at),
                (false, Some(from)) => {
                    if at - from >= MIN_RUN {
                        out.push((from, at));
                    }
                    start = None;
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn the_stretch_search_skips_nothing_a_byte_by_byte_search_finds() {
        // Text built from alphabet bytes with separators at random gaps, so stretches of every
        // length around `MIN_RUN` occur at every alignment.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut stretches = 0;
        for _ in 0..400 {
            let len = (next() % 400) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next() % 60 {
                    // Bytes just outside the alphabet's ranges, and some in it.
                    n @ 0..=7 => b" =@[`{:\xfa"[n as usize],
                    n => b"aZzA09/_+-"[(n % 10) as usize],
                })
                .collect();
            let expected = long_stretches_naively(&bytes);
            for search in [next_long_stretch, next_long_stretch_plain] {
                let mut found = Vec::new();
                let mut at = 0;
                while let Some((start, end)) = search(&bytes, at) {
                    found.push((start, end));
                    at = end + 1;
                }
                assert_eq!(found, expected, "{:?}", String::from_utf8_lossy(&bytes));
            }
            stretches += expected.len();
        }
        assert!(stretches > 100, "{stretches} stretches");
    }

    #[test]
    fn identifiers_short_runs_and_binary_are_not_decoded() {
        let binary = STANDARD.encode([
            0u8, 1, 2, 3, 255, 254, 200, 100, 50, 0, 0, 7, 9, 12, 99, 128, 129, 130,
        ]);
        let text = format!("some_long_identifier_without_digits_here\nshort Zm9vYmFy\n{binary}\n");
        assert!(decode_runs(text.as_bytes()).is_empty());
    }
}
