//! Finding keywords fast: every occurrence of every keyword, ASCII case-insensitively, with
//! overlaps (no keyword hides another).
//!
//! An Aho-Corasick DFA over a few hundred case-insensitive keywords gets no prefilter and steps
//! through every byte (about 6 cycles a byte here). Instead, each keyword of 3 bytes or more is
//! given one *anchor*: its trigram that is rarest in ordinary text (by a table of the
//! 8,192 most common trigrams of code, data and prose, `common-trigrams.txt`, written by
//! `bench/make-common-trigrams.py`).
//! One pass tests each position's case-folded trigram against a 256 Kbit bitmap of the anchors
//! (eight positions a step with AVX2, where the CPU has it: one gather fetches their bitmap
//! words); the rare positions that pass are verified exactly against the keywords anchored
//! there, found by the rank of their bit, most of them by one compare of a word. The
//! few keywords shorter than 3 bytes (only user rules have them) go through an Aho-Corasick
//! automaton, which is also the reference implementation the tests compare against.

use std::collections::hash_map::Entry;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use rustc_hash::FxHashMap;

/// Bits in the anchor bitmap (a power of two): 32 KiB, an L1 cache.
const BITMAP_BITS: usize = 1 << 18;

/// Every occurrence of a set of keywords.
#[derive(Debug, Clone)]
pub struct KeywordMatcher {
    /// The keywords, lowercased.
    keywords: Vec<Vec<u8>>,
    /// Bit `hash(fold(trigram))` is set for every anchor.
    bitmap: Vec<u64>,
    /// Every keyword's anchor, sorted by bitmap slot.
    anchors: Vec<Anchor>,
    /// For each 64-bit word of the bitmap, the set bits in the words before it: a set bit's
    /// rank among all set bits is `bits_before[word] + (bits below it in its word)`.
    bits_before: Vec<u32>,
    /// For the set bit of rank `r`, its anchors are `anchors[anchors_at[r]..anchors_at[r + 1]]`.
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

/// A folded trigram's bit in the bitmap: the top bits of a multiplicative hash.
const HASH_MULTIPLIER: u32 = 0x9E37_79B1;
const HASH_SHIFT: u32 = 32 - BITMAP_BITS.trailing_zeros();

#[inline(always)]
fn bit(folded: u32) -> usize {
    (folded.wrapping_mul(HASH_MULTIPLIER) >> HASH_SHIFT) as usize
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
// (`common-trigrams.txt`), each with its rank counted from the rare end, sorted by trigram.
include!(concat!(env!("OUT_DIR"), "/trigram_ranks.rs"));

/// How common a folded trigram is: its rank among the common trigrams counted from the rare
/// end (0 = rarest), so a trigram missing from the table scores 0.
fn commonness(folded: u32) -> usize {
    TRIGRAM_RANKS
        .binary_search_by_key(&folded, |&(trigram, _)| trigram)
        .map_or(0, |at| usize::from(TRIGRAM_RANKS[at].1))
}

/// The offset of `keyword`'s anchor: its rarest trigram (`keyword` has at least 3 bytes).
pub fn anchor_offset(keyword: &[u8]) -> usize {
    (0..=keyword.len().saturating_sub(3))
        .min_by_key(|&at| commonness(trigram_at(keyword, at)))
        .unwrap_or(0)
}

/// A keyword as its anchor sees it: where the keyword starts relative to the anchor, and its
/// first 8 bytes for one comparison of a word of the text (most anchor hits in keyword-dense
/// text, `ken` in `tokenType`, fail there).
#[derive(Debug, Clone)]
struct Anchor {
    folded: u32,
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
    fn new(folded: u32, id: usize, offset: usize, keyword: &[u8]) -> Anchor {
        let (mut head, mut head_mask, mut head_case) = (0u64, 0u64, 0u64);
        for (i, &byte) in keyword.iter().take(8).enumerate() {
            head |= u64::from(byte) << (8 * i);
            head_mask |= 0xff << (8 * i);
            if byte.is_ascii_alphabetic() {
                head_case |= 0x20 << (8 * i);
            }
        }
        Anchor {
            folded,
            id: id as u32,
            offset: offset as u32,
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
        let mut bitmap = vec![0u64; BITMAP_BITS / 64];
        let mut anchors = Vec::new();
        let mut short_keywords = Vec::new();
        let mut short_ids = Vec::new();
        for (id, keyword) in keywords.iter().enumerate() {
            if keyword.len() < 3 {
                short_keywords.push(keyword.clone());
                short_ids.push(id);
                continue;
            }
            let offset = anchor_offset(keyword);
            let folded = trigram_at(keyword, offset);
            let slot = bit(folded);
            bitmap[slot / 64] |= 1 << (slot % 64);
            anchors.push(Anchor::new(folded, id, offset, keyword));
        }
        anchors.sort_unstable_by_key(|anchor| (bit(anchor.folded), anchor.folded, anchor.id));
        let mut bits_before = Vec::with_capacity(bitmap.len());
        let mut set_bits = 0;
        for word in &bitmap {
            bits_before.push(set_bits);
            set_bits += word.count_ones();
        }
        let mut anchors_at = Vec::with_capacity(set_bits as usize + 1);
        for (index, anchor) in anchors.iter().enumerate() {
            if index == 0 || bit(anchors[index - 1].folded) != bit(anchor.folded) {
                anchors_at.push(index as u32);
            }
        }
        anchors_at.push(anchors.len() as u32);
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
            bitmap,
            anchors,
            bits_before,
            anchors_at,
            short,
            #[cfg(target_arch = "x86_64")]
            use_avx2: std::is_x86_feature_detected!("avx2")
                && std::is_x86_feature_detected!("popcnt"),
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

    /// Calls `on_hit(keyword, start, end)` for every occurrence of every keyword in `haystack`,
    /// in no particular order.
    pub fn find_all(&self, haystack: &[u8], on_hit: &mut dyn FnMut(usize, usize, usize)) {
        if let Some((automaton, ids)) = &self.short {
            for hit in automaton.find_overlapping_iter(haystack) {
                on_hit(ids[hit.pattern().as_usize()], hit.start(), hit.end());
            }
        }
        if self.anchors.is_empty() || haystack.len() < 3 {
            return;
        }
        let mut at = 0;
        #[cfg(target_arch = "x86_64")]
        if self.use_avx2 {
            at = avx2::find_anchors(self, haystack, on_hit);
        }
        // Eight bytes at a time: six trigrams per load.
        while at + 8 <= haystack.len() {
            let word = u64::from_le_bytes(haystack[at..at + 8].try_into().expect("8 bytes"));
            for shift in 0..6 {
                let folded = fold((word >> (8 * shift)) as u32);
                let slot = bit(folded);
                if self.bitmap[slot / 64] & (1 << (slot % 64)) != 0 {
                    self.verify(haystack, at + shift, folded, on_hit);
                }
            }
            at += 6;
        }
        while at + 3 <= haystack.len() {
            let folded = trigram_at(haystack, at);
            let slot = bit(folded);
            if self.bitmap[slot / 64] & (1 << (slot % 64)) != 0 {
                self.verify(haystack, at, folded, on_hit);
            }
            at += 1;
        }
    }

    /// Checks the keywords anchored at `folded` against the text around `at`.
    /// Inlined into both searches: the AVX2 one gets the rank's popcount instruction.
    #[inline(always)]
    fn verify(
        &self,
        haystack: &[u8],
        at: usize,
        folded: u32,
        on_hit: &mut dyn FnMut(usize, usize, usize),
    ) {
        let slot = bit(folded);
        let word = self.bitmap[slot / 64];
        let rank = self.bits_before[slot / 64] + (word & ((1 << (slot % 64)) - 1)).count_ones();
        let first = self.anchors_at[rank as usize] as usize;
        let last = self.anchors_at[rank as usize + 1] as usize;
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

    use super::{trigram_at, KeywordMatcher, HASH_MULTIPLIER, HASH_SHIFT};

    /// Runs the anchor search over `haystack` from its start and returns where it stopped (the
    /// scalar loop finishes the last few positions). The caller checked that AVX2 is present.
    pub(super) fn find_anchors(
        matcher: &KeywordMatcher,
        haystack: &[u8],
        on_hit: &mut dyn FnMut(usize, usize, usize),
    ) -> usize {
        // SAFETY: `matcher.use_avx2` is only true where the CPU reports AVX2 and POPCNT.
        unsafe { find_anchors_avx2(matcher, haystack, on_hit) }
    }

    #[target_feature(enable = "avx2,popcnt")]
    fn find_anchors_avx2(
        matcher: &KeywordMatcher,
        haystack: &[u8],
        on_hit: &mut dyn FnMut(usize, usize, usize),
    ) -> usize {
        // Lane k (of eight 32-bit lanes) gets bytes k, k+1 and k+2 of a 16-byte load (both
        // 128-bit halves hold the same load; -1 writes a zero byte).
        let trigrams = _mm256_setr_epi8(
            0, 1, 2, -1, 1, 2, 3, -1, 2, 3, 4, -1, 3, 4, 5, -1, 4, 5, 6, -1, 5, 6, 7, -1, 6, 7, 8,
            -1, 7, 8, 9, -1,
        );
        let case = _mm256_set1_epi32(0x0020_2020);
        let multiplier = _mm256_set1_epi32(HASH_MULTIPLIER as i32);
        let low_bits = _mm256_set1_epi32(31);
        let words = matcher.bitmap.as_ptr().cast::<i32>();
        // The eight positions from `at` as a mask: bit k is set when position `at + k`'s trigram
        // passes the bitmap. `haystack[at..at + 16]` must exist.
        let eight = |at: usize| {
            let load = haystack[at..at + 16].as_ptr().cast::<__m128i>();
            // SAFETY: `load` points at 16 readable bytes (the slice above).
            let bytes = _mm256_broadcastsi128_si256(unsafe { _mm_loadu_si128(load) });
            let folded = _mm256_or_si256(_mm256_shuffle_epi8(bytes, trigrams), case);
            let hash = _mm256_mullo_epi32(folded, multiplier);
            let slot = _mm256_srli_epi32::<{ HASH_SHIFT as i32 }>(hash);
            // SAFETY: a slot is under BITMAP_BITS, so its 32-bit word is within the bitmap.
            let word = unsafe { _mm256_i32gather_epi32::<4>(words, _mm256_srli_epi32::<5>(slot)) };
            // Each slot's bit moves to its lane's sign bit.
            let to_sign = _mm256_sub_epi32(low_bits, _mm256_and_si256(slot, low_bits));
            _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_sllv_epi32(word, to_sign))) as u32
        };
        let mut at = 0;
        // Sixteen positions a step: two gathers in flight, one branch.
        while at + 24 <= haystack.len() {
            let mut passed = eight(at) | eight(at + 8) << 8;
            while passed != 0 {
                let position = at + passed.trailing_zeros() as usize;
                passed &= passed - 1;
                matcher.verify(haystack, position, trigram_at(haystack, position), on_hit);
            }
            at += 16;
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
        ]
        .iter()
        .map(|k| k.as_bytes().to_vec())
        .collect();
        let matcher = KeywordMatcher::new(&keywords).unwrap();
        let text = b"GHP_x github_PAT_ PassWord=1 akia _AUTH 8Q~ ac passpass gh";
        assert_eq!(hits(&matcher, text), reference(&keywords, text));
        for end in 0..text.len() {
            assert_eq!(
                hits(&matcher, &text[..end]),
                reference(&keywords, &text[..end]),
                "prefix {end}"
            );
        }
    }

    #[test]
    fn agrees_with_aho_corasick_on_random_text() {
        let mut next = crate::test_rng(0x2545_F491_4F6C_DD1D);
        let alphabet = b"abcAB_-.~ \n\x00\xff";
        let keywords: Vec<Vec<u8>> = (0..40)
            .map(|_| {
                (0..(2 + next() % 6))
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect();
        let matcher = KeywordMatcher::new(&keywords).unwrap();
        #[allow(unused_mut, reason = "only x86_64 has a second search to turn off")]
        let mut scalar = matcher.clone();
        #[cfg(target_arch = "x86_64")]
        {
            scalar.use_avx2 = false;
        }
        for _ in 0..50 {
            let text: Vec<u8> = (0..(next() % 500))
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(hits(&matcher, &text), reference(&keywords, &text));
            assert_eq!(hits(&scalar, &text), reference(&keywords, &text));
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
        let matcher = KeywordMatcher::new(&keywords).unwrap();
        #[allow(unused_mut, reason = "only x86_64 has a second search to turn off")]
        let mut scalar = matcher.clone();
        #[cfg(target_arch = "x86_64")]
        {
            scalar.use_avx2 = false;
        }
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
        assert_eq!(hits(&matcher, &text), expected);
        assert_eq!(hits(&scalar, &text), expected);
    }
}
