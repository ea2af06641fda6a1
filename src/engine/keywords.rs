//! Finding keywords fast: every occurrence of every keyword, ASCII case-insensitively, with
//! overlaps (no keyword hides another).
//!
//! An Aho-Corasick DFA over a few hundred case-insensitive keywords gets no prefilter and steps
//! through every byte (about 6 cycles a byte here). Instead, each keyword of 3 bytes or more is
//! given one *anchor*: a 3-byte keyword is its own anchor; a longer one is anchored at its
//! 4 bytes that are rarest in ordinary text, judged by a table of the 8,192 most common
//! trigrams of code, data and prose (`common-trigrams.txt`, written by
//! `bench/make-common-trigrams.py`). One pass looks up each position's case-folded trigram in
//! a table of 32,768 words of 32 bits (128 KiB): bit `class(next byte)` of the trigram's word is
//! set where an anchor is that trigram followed by such a byte (all 32 bits for a 3-byte
//! keyword), so `ape` in `shape` does not stop for `scraperapi`. With AVX2, where the CPU has
//! it, eight positions a step: one gather fetches their words. The rare positions that pass
//! are verified exactly against the keywords anchored there, most of them by one compare of a
//! word. The table's hash is chosen when the matcher is built, among a few multipliers, so
//! that the most common trigrams land on the fewest anchor bits. The few keywords shorter
//! than 3 bytes (only user rules have them) go through an Aho-Corasick automaton, which is
//! also the reference implementation the tests compare against.

use std::collections::hash_map::Entry;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use rustc_hash::FxHashMap;

/// Words in the anchor table (a power of two): 128 KiB, in L2. Half as many words let a
/// tenth more positions pass on API models, by trigrams sharing an anchor's word.
const TABLE_WORDS: usize = 1 << 15;
/// A multiplicative hash keeps its top bits: a word's index.
const HASH_SHIFT: u32 = 32 - TABLE_WORDS.trailing_zeros();

/// Every occurrence of a set of keywords.
#[derive(Debug, Clone)]
pub struct KeywordMatcher {
    /// The keywords, lowercased.
    keywords: Vec<Vec<u8>>,
    /// Word `slot(trigram)` has bit `31 - class(next)` set for every anchor that is `trigram`
    /// followed by a byte of that class; all bits for an anchor with no next byte (a 3-byte
    /// keyword).
    table: Vec<u32>,
    /// The hash multiplier `slot` uses, chosen by [`choose_multiplier`].
    multiplier: u32,
    /// Every keyword's anchor, sorted by table slot.
    anchors: Vec<Anchor>,
    /// The anchors of slot `s` are `anchors[anchors_at[s]..anchors_at[s + 1]]`.
    anchors_at: Vec<u32>,
    /// Keywords under 3 bytes, and their ids.
    short: Option<(AhoCorasick, Vec<usize>)>,
    /// Whether this CPU runs the AVX2 anchor search (eight positions a step).
    #[cfg(target_arch = "x86_64")]
    use_avx2: bool,
}

/// The distinct keywords of a rule set (lowercased, as [`KeywordMatcher`] matches them) and,
/// for each, the owners (rules) that listed it. One hash lookup per keyword: a linear search of
/// the keywords seen so far made building it quadratic in the rule set (issue 16).
#[derive(Debug, Default, Clone)]
pub struct KeywordTable {
    /// The distinct keywords, lowercased, in first-seen order: matcher id `i` is `keywords[i]`.
    pub keywords: Vec<Vec<u8>>,
    /// For each keyword, its owners in the order they were added, each once.
    pub owners: Vec<Vec<usize>>,
    index: FxHashMap<Vec<u8>, usize>,
}

impl KeywordTable {
    /// An empty table.
    pub fn new() -> KeywordTable {
        KeywordTable::default()
    }

    /// Records that `owner` lists `keyword` (compared ASCII case-insensitively). Adding an
    /// owner's keywords in increasing owner order keeps this O(1).
    pub fn add(&mut self, keyword: &[u8], owner: usize) {
        match self.index.entry(keyword.to_ascii_lowercase()) {
            Entry::Occupied(entry) => {
                let owners = &mut self.owners[*entry.get()];
                // Owners come in increasing order, so a repeat is the last one; the full
                // search is only for callers that add out of order.
                if owners.last() != Some(&owner) && !owners.contains(&owner) {
                    owners.push(owner);
                }
            }
            Entry::Vacant(entry) => {
                self.keywords.push(entry.key().clone());
                self.owners.push(vec![owner]);
                entry.insert(self.keywords.len() - 1);
            }
        }
    }

    /// The matcher id of `keyword`, if some owner listed it.
    pub fn id(&self, keyword: &[u8]) -> Option<usize> {
        self.index.get(&keyword.to_ascii_lowercase()).copied()
    }
}

/// Folds a trigram (in the low 24 bits) so that ASCII letters of either case compare equal.
/// Other bytes may collide (`_` with DEL, `@` with a backquote): that only costs a verification.
#[inline(always)]
fn fold(trigram: u32) -> u32 {
    (trigram & 0x00FF_FFFF) | 0x0020_2020
}

/// The table word of a folded trigram under `multiplier`.
#[inline(always)]
fn slot(folded: u32, multiplier: u32) -> usize {
    (folded.wrapping_mul(multiplier) >> HASH_SHIFT) as usize
}

/// The class of the byte after an anchor's trigram: ASCII letters of either case share one
/// (`a`-`z` are 1-26); the bit for class `c` is `31 - c`, so a shift left by `c` brings it to
/// the sign bit.
#[inline(always)]
fn class(byte: u8) -> u32 {
    u32::from(byte | 0x20) & 31
}

/// The folded trigram at `at` (`bytes[at..at + 3]` must exist).
#[inline(always)]
fn trigram_at(bytes: &[u8], at: usize) -> u32 {
    fold(u32::from_le_bytes([
        bytes[at],
        bytes[at + 1],
        bytes[at + 2],
        0,
    ]))
}

// `TRIGRAM_RANKS`: the most common case-folded trigrams of code, data and prose
// (`common-trigrams.txt`), each with its rank counted from the rare end, most common first;
// `TRIGRAM_LOOKUP_KEYS` and `TRIGRAM_LOOKUP_RANKS`: the same as a hash table of
// `TRIGRAM_LOOKUP_SLOTS` slots under `TRIGRAM_LOOKUP_MULTIPLIER`.
include!(concat!(env!("OUT_DIR"), "/trigram_ranks.rs"));

/// A folded trigram's first slot in the lookup table (as `build.rs` placed it).
fn lookup_slot(folded: u32) -> usize {
    (folded.wrapping_mul(TRIGRAM_LOOKUP_MULTIPLIER) >> (32 - TRIGRAM_LOOKUP_SLOTS.trailing_zeros()))
        as usize
}

/// How common a folded trigram is: its rank among the common trigrams counted from the rare
/// end (0 = rarest), so a trigram missing from the table scores 0.
fn commonness(folded: u32) -> usize {
    let mut slot = lookup_slot(folded);
    // The table is half empty, so a probe ends within a few slots.
    loop {
        match TRIGRAM_LOOKUP_KEYS[slot] {
            0 => return 0,
            key if key == folded => return usize::from(TRIGRAM_LOOKUP_RANKS[slot]),
            _ => slot = (slot + 1) % TRIGRAM_LOOKUP_SLOTS,
        }
    }
}

/// The offset of `keyword`'s anchor (`keyword` has at least 3 bytes): 0 for a 3-byte keyword;
/// else the start of its 4 bytes whose two trigrams are rarest together (a 4-gram is at most
/// as common as either trigram, and the squares favour two fairly rare ones over one very
/// rare and one common).
pub fn anchor_offset(keyword: &[u8]) -> usize {
    let mut best = (usize::MAX, 0);
    let mut before = commonness(trigram_at(keyword, 0));
    for at in 0..keyword.len().saturating_sub(3) {
        let after = commonness(trigram_at(keyword, at + 1));
        best = best.min((before * before + after * after, at));
        before = after;
    }
    best.1
}

/// The anchor table under `multiplier`: each anchor's bits set in its trigram's word.
fn fill_table(anchors: &[Anchor], multiplier: u32, table: &mut [u32]) {
    table.fill(0);
    for anchor in anchors {
        table[slot(anchor.folded, multiplier)] |= anchor.bits;
    }
}

/// Hash multipliers to choose from: the golden ratio's, then odd numbers from a fixed
/// xorshift sequence (the same choice on every run).
fn candidate_multipliers() -> impl Iterator<Item = u32> {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    std::iter::once(0x9E37_79B1).chain(std::iter::repeat_with(move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 32) as u32 | 1
    }))
}

/// How many multipliers [`choose_multiplier`] tries, each against how many of the most common
/// trigrams (by Zipf's law, the first 2,048 of 8,192 are four fifths of their occurrences):
/// about 6 µs a try.
const MULTIPLIER_TRIES: usize = 8;
const MULTIPLIER_TRIGRAMS: usize = 2048;

/// The multiplier under which the common trigrams of ordinary text fall on the fewest anchor
/// bits, weighting each by an estimate of its frequency (Zipf's: one over its rank from the
/// common end). A trigram that lands on an anchor's word passes the first filter at every
/// occurrence whose next byte's bit is set there; with an unlucky multiplier a few of the most
/// common trigrams (`e t`, `ion`) would pass everywhere.
fn choose_multiplier(anchors: &[Anchor]) -> u32 {
    let most_common = TRIGRAM_RANKS.first().map_or(0, |&(_, rank)| rank);
    let mut table = vec![0u32; TABLE_WORDS];
    let cost = |multiplier: u32, table: &mut Vec<u32>| -> u64 {
        fill_table(anchors, multiplier, table);
        TRIGRAM_RANKS
            .iter()
            .take(MULTIPLIER_TRIGRAMS)
            .map(|&(folded, rank)| {
                let weight = (1 << 20) / (u64::from(most_common - rank) + 16);
                weight * u64::from(table[slot(folded, multiplier)].count_ones())
            })
            .sum()
    };
    candidate_multipliers()
        .take(MULTIPLIER_TRIES)
        .min_by_key(|&multiplier| cost(multiplier, &mut table))
        .unwrap_or(0x9E37_79B1)
}

/// A keyword as its anchor sees it: where the keyword starts relative to the anchor, and its
/// first 8 bytes for one comparison of a word of the text (most anchor hits in keyword-dense
/// text, `ken` in `tokenType`, fail there).
#[derive(Debug, Clone)]
struct Anchor {
    folded: u32,
    /// The bits it sets in its table word: the class of the byte after its trigram, or every
    /// class when the keyword ends with the trigram.
    bits: u32,
    id: u32,
    offset: u32,
    /// The keyword's first 8 bytes (fewer: zero-padded), lowercase.
    head: u64,
    /// `0xff` for each byte of `head` that is the keyword's.
    head_mask: u64,
    /// `0x20` for each letter of `head`: a text byte OR'ed with it is lowercase.
    head_case: u64,
}

impl Anchor {
    fn new(id: usize, offset: usize, keyword: &[u8]) -> Anchor {
        let (mut head, mut head_mask, mut head_case) = (0u64, 0u64, 0u64);
        for (i, &byte) in keyword.iter().take(8).enumerate() {
            head |= u64::from(byte) << (8 * i);
            head_mask |= 0xff << (8 * i);
            if byte.is_ascii_alphabetic() {
                head_case |= 0x20 << (8 * i);
            }
        }
        Anchor {
            folded: trigram_at(keyword, offset),
            id: id as u32,
            offset: offset as u32,
            bits: keyword
                .get(offset + 3)
                .map_or(u32::MAX, |&next| 1 << (31 - class(next))),
            head,
            head_mask,
            head_case,
        }
    }
}

impl KeywordMatcher {
    /// A matcher for `keywords` (matched ASCII case-insensitively). Keyword `i` is reported as `i`.
    pub fn new(keywords: &[Vec<u8>]) -> Result<KeywordMatcher, aho_corasick::BuildError> {
        let keywords: Vec<Vec<u8>> = keywords.iter().map(|k| k.to_ascii_lowercase()).collect();
        let mut anchors = Vec::new();
        let mut short_keywords = Vec::new();
        let mut short_ids = Vec::new();
        for (id, keyword) in keywords.iter().enumerate() {
            if keyword.len() < 3 {
                short_keywords.push(keyword.clone());
                short_ids.push(id);
                continue;
            }
            anchors.push(Anchor::new(id, anchor_offset(keyword), keyword));
        }
        let multiplier = choose_multiplier(&anchors);
        let mut table = vec![0u32; TABLE_WORDS];
        fill_table(&anchors, multiplier, &mut table);
        anchors.sort_unstable_by_key(|anchor| {
            (slot(anchor.folded, multiplier), anchor.folded, anchor.id)
        });
        let mut anchors_at = Vec::with_capacity(TABLE_WORDS + 1);
        let mut next_anchor = 0;
        for word in 0..=TABLE_WORDS {
            while next_anchor < anchors.len()
                && slot(anchors[next_anchor].folded, multiplier) < word
            {
                next_anchor += 1;
            }
            anchors_at.push(next_anchor as u32);
        }
        let short = if short_keywords.is_empty() {
            None
        } else {
            let automaton = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&short_keywords)?;
            Some((automaton, short_ids))
        };
        Ok(KeywordMatcher {
            keywords,
            table,
            multiplier,
            anchors,
            anchors_at,
            short,
            #[cfg(target_arch = "x86_64")]
            use_avx2: std::is_x86_feature_detected!("avx2"),
        })
    }

    /// Number of keywords.
    pub fn len(&self) -> usize {
        self.keywords.len()
    }

    /// Whether there are no keywords.
    pub fn is_empty(&self) -> bool {
        self.keywords.is_empty()
    }

    /// Whether the 4 bytes from `quad` (little-endian, the trigram at a position and the next
    /// byte) pass the table: the trigram's word has the next byte's class bit.
    #[inline(always)]
    fn passes(&self, quad: u32) -> bool {
        let word = self.table[slot(fold(quad), self.multiplier)];
        (word << class((quad >> 24) as u8)) & 0x8000_0000 != 0
    }

    /// Calls `on_hit(keyword, start, end)` for every occurrence of every keyword in `haystack`,
    /// in no particular order.
    pub fn find_all(&self, haystack: &[u8], on_hit: &mut dyn FnMut(usize, usize, usize)) {
        self.find_in(haystack, 0..haystack.len(), on_hit);
    }

    /// [`KeywordMatcher::find_all`] for the occurrences found from `positions`: those whose
    /// anchor starts there (a keyword under 3 bytes: the keyword itself). Every occurrence has
    /// one anchor, so ranges that cover the text find each occurrence once; an occurrence may
    /// start a little before its range, or end after it.
    pub fn find_in(
        &self,
        haystack: &[u8],
        positions: std::ops::Range<usize>,
        on_hit: &mut dyn FnMut(usize, usize, usize),
    ) {
        let to = positions.end.min(haystack.len());
        let mut at = positions.start;
        if at >= to {
            return;
        }
        if let Some((automaton, ids)) = &self.short {
            // Short keywords have 1 or 2 bytes: one that starts before `to` ends by `to + 2`.
            let input = aho_corasick::Input::new(haystack).span(at..(to + 2).min(haystack.len()));
            for hit in automaton.find_overlapping_iter(input) {
                if hit.start() < to {
                    on_hit(ids[hit.pattern().as_usize()], hit.start(), hit.end());
                }
            }
        }
        if self.anchors.is_empty() || haystack.len() < 3 {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if self.use_avx2 {
            at = avx2::find_anchors(self, haystack, at, to, on_hit);
        }
        // Eight bytes at a time: five positions (trigram and next byte) per load.
        while at + 8 <= haystack.len() && at + 5 <= to {
            let word = u64::from_le_bytes(haystack[at..at + 8].try_into().expect("8 bytes"));
            for shift in 0..5 {
                let quad = (word >> (8 * shift)) as u32;
                if self.passes(quad) {
                    self.verify(haystack, at + shift, fold(quad), on_hit);
                }
            }
            at += 5;
        }
        while at + 4 <= haystack.len() && at < to {
            let quad = u32::from_le_bytes(haystack[at..at + 4].try_into().expect("4 bytes"));
            if self.passes(quad) {
                self.verify(haystack, at, fold(quad), on_hit);
            }
            at += 1;
        }
        // The last trigram has no next byte: only a 3-byte keyword can start there.
        let last = haystack.len() - 3;
        if (at..to).contains(&last) {
            let folded = trigram_at(haystack, last);
            if self.table[slot(folded, self.multiplier)] != 0 {
                self.verify(haystack, last, folded, on_hit);
            }
        }
    }

    /// Checks the keywords anchored at `folded` against the text around `at`.
    /// Inlined into both searches.
    #[inline(always)]
    fn verify(
        &self,
        haystack: &[u8],
        at: usize,
        folded: u32,
        on_hit: &mut dyn FnMut(usize, usize, usize),
    ) {
        let slot = slot(folded, self.multiplier);
        let first = self.anchors_at[slot] as usize;
        let last = self.anchors_at[slot + 1] as usize;
        for anchor in &self.anchors[first..last] {
            // Trigrams that only share the anchor's slot stop here.
            if anchor.folded != folded {
                continue;
            }
            let Some(start) = at.checked_sub(anchor.offset as usize) else {
                continue;
            };
            // Most anchor hits end at the keyword's first 8 bytes, read as one word.
            if let Some(head) = haystack.get(start..start + 8) {
                let head = u64::from_le_bytes(head.try_into().expect("8 bytes"));
                if (head | anchor.head_case) & anchor.head_mask != anchor.head {
                    continue;
                }
            }
            self.verify_keyword(haystack, start, anchor.id as usize, on_hit);
        }
    }

    /// Reports keyword `id` if it is at `start` (its anchor and head matched).
    #[inline(never)]
    fn verify_keyword(
        &self,
        haystack: &[u8],
        start: usize,
        id: usize,
        on_hit: &mut dyn FnMut(usize, usize, usize),
    ) {
        let keyword = &self.keywords[id];
        let end = start + keyword.len();
        if haystack
            .get(start..end)
            .is_some_and(|text| text.eq_ignore_ascii_case(keyword))
        {
            on_hit(id, start, end);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(
    unsafe_code,
    reason = "SIMD intrinsics, run only where the CPU reports AVX2; every load is bounds-checked"
)]
mod avx2 {
    use std::arch::x86_64::*;

    use super::{trigram_at, KeywordMatcher, HASH_SHIFT};

    /// Runs the anchor search over the positions of `haystack` from `at` to `to` and returns
    /// where it stopped (the scalar loop finishes the last few positions). The caller checked
    /// that AVX2 is present.
    pub(super) fn find_anchors(
        matcher: &KeywordMatcher,
        haystack: &[u8],
        at: usize,
        to: usize,
        on_hit: &mut dyn FnMut(usize, usize, usize),
    ) -> usize {
        // SAFETY: `matcher.use_avx2` is only true where the CPU reports AVX2.
        unsafe { find_anchors_avx2(matcher, haystack, at, to, on_hit) }
    }

    #[target_feature(enable = "avx2")]
    fn find_anchors_avx2(
        matcher: &KeywordMatcher,
        haystack: &[u8],
        mut at: usize,
        to: usize,
        on_hit: &mut dyn FnMut(usize, usize, usize),
    ) -> usize {
        // Lane k (of eight 32-bit lanes) gets bytes k to k+3 of a 16-byte load (both 128-bit
        // halves hold the same load).
        let quads = _mm256_setr_epi8(
            0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6, 4, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7,
            8, 9, 10,
        );
        let case = _mm256_set1_epi32(0x2020_2020);
        let trigram_bytes = _mm256_set1_epi32(0x00FF_FFFF);
        let multiplier = _mm256_set1_epi32(matcher.multiplier as i32);
        let low_bits = _mm256_set1_epi32(31);
        let words = matcher.table.as_ptr().cast::<i32>();
        // The eight positions from `at` as a mask: bit k is set when position `at + k` passes
        // the table. `haystack[at..at + 16]` must exist.
        let eight = |at: usize| {
            let load = haystack[at..at + 16].as_ptr().cast::<__m128i>();
            // SAFETY: `load` points at 16 readable bytes (the slice above).
            let bytes = _mm256_broadcastsi128_si256(unsafe { _mm_loadu_si128(load) });
            let folded = _mm256_or_si256(_mm256_shuffle_epi8(bytes, quads), case);
            let hash = _mm256_mullo_epi32(_mm256_and_si256(folded, trigram_bytes), multiplier);
            let slot = _mm256_srli_epi32::<{ HASH_SHIFT as i32 }>(hash);
            // SAFETY: a slot is under TABLE_WORDS (the hash's top bits), within the table.
            let word = unsafe { _mm256_i32gather_epi32::<4>(words, slot) };
            // The next byte's class bit moves to its lane's sign bit.
            let class = _mm256_and_si256(_mm256_srli_epi32::<24>(folded), low_bits);
            _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_sllv_epi32(word, class))) as u32
        };
        // Thirty-two positions a step: four gathers in flight, one branch.
        while at + 40 <= haystack.len() && at + 32 <= to {
            let mut passed =
                eight(at) | eight(at + 8) << 8 | eight(at + 16) << 16 | eight(at + 24) << 24;
            while passed != 0 {
                let position = at + passed.trailing_zeros() as usize;
                passed &= passed - 1;
                matcher.verify(haystack, position, trigram_at(haystack, position), on_hit);
            }
            at += 32;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(matcher: &KeywordMatcher, haystack: &[u8]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        matcher.find_all(haystack, &mut |id, start, end| out.push((id, start, end)));
        out.sort_unstable();
        out
    }

    /// The reference: one case-insensitive, overlapping Aho-Corasick automaton.
    fn reference(keywords: &[Vec<u8>], haystack: &[u8]) -> Vec<(usize, usize, usize)> {
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(keywords)
            .unwrap();
        let mut out: Vec<_> = automaton
            .find_overlapping_iter(haystack)
            .map(|m| (m.pattern().as_usize(), m.start(), m.end()))
            .collect();
        out.sort_unstable();
        out
    }

    #[test]
    fn keyword_table_keeps_each_keyword_and_owner_once() {
        let mut table = KeywordTable::new();
        for (keyword, owner) in [
            ("ghp_", 0),
            ("GHP_", 0),
            ("secret", 0),
            ("Secret", 1),
            ("ghp_", 2),
            ("secret", 1),
            ("secret", 0),
        ] {
            table.add(keyword.as_bytes(), owner);
        }
        assert_eq!(table.keywords, [b"ghp_".to_vec(), b"secret".to_vec()]);
        assert_eq!(table.owners, [vec![0, 2], vec![0, 1]]);
        assert_eq!(table.id(b"SECRET"), Some(1));
        assert_eq!(table.id(b"nope"), None);
    }

    /// Issue 16: 2.5 times today's rules, each with several keywords, most shared. The table
    /// must agree with the obvious quadratic de-duplication it replaced.
    #[test]
    fn keyword_table_agrees_with_linear_search_at_scale() {
        let mut table = KeywordTable::new();
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        let mut owners: Vec<Vec<usize>> = Vec::new();
        for rule in 0..1200_usize {
            for k in 0..4_usize {
                let keyword = format!("Kw{}_{}", (rule * 7 + k * 13) % 1500, k % 2).into_bytes();
                table.add(&keyword, rule);
                let folded = keyword.to_ascii_lowercase();
                match keywords.iter().position(|known| *known == folded) {
                    Some(at) if !owners[at].contains(&rule) => owners[at].push(rule),
                    Some(_) => {}
                    None => {
                        keywords.push(folded);
                        owners.push(vec![rule]);
                    }
                }
            }
        }
        assert_eq!(table.keywords, keywords);
        assert_eq!(table.owners, owners);
    }

    #[test]
    fn finds_every_overlapping_occurrence_in_any_case() {
        let keywords: Vec<Vec<u8>> = [
            "ghp_",
            "gh",
            "github_pat_",
            "password",
            "pass",
            "AKIA",
            "_auth",
            "q~",
            "ac",
            "sk_",
            "8q~",
        ]
        .iter()
        .map(|k| k.as_bytes().to_vec())
        .collect();
        let matcher = KeywordMatcher::new(&keywords).unwrap();
        let text = b"GHP_x github_PAT_ PassWord=1 akia _AUTH 8Q~ ac passpass gh SK_ sk_";
        assert_eq!(hits(&matcher, text), reference(&keywords, text));
        for end in 0..text.len() {
            assert_eq!(
                hits(&matcher, &text[..end]),
                reference(&keywords, &text[..end]),
                "prefix {end}"
            );
        }
    }

    /// The positions whose trigram and next byte pass the table (the plain loop's test).
    fn passing_positions(matcher: &KeywordMatcher, haystack: &[u8]) -> Vec<usize> {
        (0..haystack.len().saturating_sub(3))
            .filter(|&at| {
                matcher.passes(u32::from_le_bytes(haystack[at..at + 4].try_into().unwrap()))
            })
            .collect()
    }

    /// A long keyword's anchor is a trigram and the class of the byte after it: `ape` in
    /// `shape` or `era` in `operation` do not stop for `scraperapi` or `atera`, where a
    /// trigram alone would; a 3-byte keyword passes whatever follows it.
    #[test]
    fn the_next_byte_keeps_common_words_out() {
        let keywords = [b"scraperapi".to_vec(), b"atera".to_vec(), b"pat".to_vec()];
        let matcher = KeywordMatcher::new(&keywords).unwrap();
        let common = b"{\"shape\": \"ListOperationsRequest\", \"type\": \"shape\"}";
        assert_eq!(passing_positions(&matcher, common), Vec::<usize>::new());
        let text = b"SCRAPERAPI_KEY atera pat. path";
        assert_eq!(hits(&matcher, text), reference(&keywords, text));
        assert_eq!(hits(&matcher, text).len(), 4);
        assert_eq!(passing_positions(&matcher, text).len(), 4);
    }

    /// The hash multiplier is chosen so that the commonest trigrams avoid the anchors' words:
    /// with the built-in keywords, the choice puts fewer anchor bits under the 2,048 most
    /// common trigrams than the first candidate (the golden ratio's) does.
    #[test]
    fn the_chosen_multiplier_keeps_common_trigrams_off_anchor_bits() {
        let rules = crate::rule::RuleSet::builtin().unwrap();
        let mut table = KeywordTable::new();
        for (index, rule) in rules.rules().iter().enumerate() {
            for keyword in &rule.keywords {
                table.add(keyword.as_bytes(), index);
            }
        }
        let matcher = KeywordMatcher::new(&table.keywords).unwrap();
        let bits_under_common = |multiplier: u32| -> u32 {
            let mut words = vec![0u32; TABLE_WORDS];
            fill_table(&matcher.anchors, multiplier, &mut words);
            TRIGRAM_RANKS
                .iter()
                .take(MULTIPLIER_TRIGRAMS)
                .map(|&(folded, _)| words[slot(folded, multiplier)].count_ones())
                .sum()
        };
        assert_ne!(matcher.multiplier, 0x9E37_79B1);
        let (chosen, golden) = (
            bits_under_common(matcher.multiplier),
            bits_under_common(0x9E37_79B1),
        );
        assert!(chosen < golden, "{chosen} vs {golden}");
    }

    /// A matcher for `keywords` and a copy that runs the plain loop where the CPU has AVX2, so
    /// that a test checks both anchor searches.
    fn both_searches(keywords: &[Vec<u8>]) -> [KeywordMatcher; 2] {
        let matcher = KeywordMatcher::new(keywords).unwrap();
        #[allow(unused_mut, reason = "only x86_64 has a second search to turn off")]
        let mut scalar = matcher.clone();
        #[cfg(target_arch = "x86_64")]
        {
            scalar.use_avx2 = false;
        }
        [matcher, scalar]
    }

    /// Up to `max_len` random bytes of `alphabet` (at least `min_len`).
    fn random_bytes(
        next: &mut impl FnMut() -> u64,
        alphabet: &[u8],
        min_len: u64,
        max_len: u64,
    ) -> Vec<u8> {
        (0..(min_len + next() % (max_len - min_len)))
            .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
            .collect()
    }

    #[test]
    fn agrees_with_aho_corasick_on_random_text() {
        let mut next = crate::test_rng(0x2545_F491_4F6C_DD1D);
        let alphabet = b"abcAB_-.~ \n\x00\xff";
        let keywords: Vec<Vec<u8>> = (0..40)
            .map(|_| random_bytes(&mut next, alphabet, 2, 8))
            .collect();
        let searches = both_searches(&keywords);
        for _ in 0..50 {
            let text = random_bytes(&mut next, alphabet, 0, 500);
            for matcher in &searches {
                assert_eq!(hits(matcher, &text), reference(&keywords, &text));
            }
        }
    }

    /// Ranges that cover a text find each hit once, and together what one search finds; the
    /// short keywords' automaton and both anchor searches included.
    #[test]
    fn ranges_that_cover_the_text_find_each_hit_once() {
        let mut next = crate::test_rng(0x0B10_C4ED);
        let alphabet = b"abcAB_-.~ \n";
        let keywords: Vec<Vec<u8>> = (0..30)
            .map(|_| random_bytes(&mut next, alphabet, 1, 13))
            .collect();
        let searches = both_searches(&keywords);
        for _ in 0..40 {
            let text = random_bytes(&mut next, alphabet, 0, 2000);
            for matcher in &searches {
                let mut pieces = Vec::new();
                let mut from = 0;
                while from < text.len() {
                    let to = (from + 1 + (next() % 300) as usize).min(text.len());
                    matcher.find_in(&text, from..to, &mut |id, start, end| {
                        pieces.push((id, start, end))
                    });
                    from = to;
                }
                pieces.sort_unstable();
                assert_eq!(pieces, reference(&keywords, &text));
            }
        }
    }

    /// The built-in rules' keywords, planted in any case among random bytes and pieces of
    /// each other: both searches find exactly what the reference finds.
    #[test]
    fn agrees_with_aho_corasick_on_the_built_in_keywords() {
        let rules = crate::rule::RuleSet::builtin().unwrap();
        let mut keywords: Vec<Vec<u8>> = Vec::new();
        for rule in rules.rules() {
            for keyword in &rule.keywords {
                let keyword = keyword.to_ascii_lowercase().into_bytes();
                if !keywords.contains(&keyword) {
                    keywords.push(keyword);
                }
            }
        }
        let searches = both_searches(&keywords);
        let mut next = crate::test_rng(0x1234_5678_9ABC_DEF1);
        let mut text = Vec::new();
        while text.len() < 200_000 {
            match next() % 3 {
                0 => {
                    let keyword = &keywords[(next() % keywords.len() as u64) as usize];
                    let cut = (next() % (keyword.len() as u64 + 1)) as usize;
                    text.extend(keyword[..cut].iter().map(|b| match next() % 2 {
                        0 => b.to_ascii_uppercase(),
                        _ => *b,
                    }));
                }
                1 => text.push((next() % 256) as u8),
                _ => text.extend_from_slice(b" = \"x\"\n"),
            }
        }
        let expected = reference(&keywords, &text);
        assert!(expected.len() > 2_000, "{} hits", expected.len());
        for matcher in &searches {
            assert_eq!(hits(matcher, &text), expected);
        }
    }
}
