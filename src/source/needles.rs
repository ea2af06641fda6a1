//! Which of a set of known byte strings (found secrets) a text holds, at several GB/s.
//!
//! De-duplicating a history's findings asks which blobs hold each found secret, so every
//! blob of the history is searched once for all of them. An Aho-Corasick automaton over
//! dozens of random-looking strings gets no working prefilter and steps through every byte
//! (about 550 MB/s here). Secrets are long, though: an occurrence of one of `L` bytes covers
//! a whole 8-byte word at some position divisible by a stride `S` when `L >= S + 7`, and at
//! which offset of the secret depends only on where the occurrence starts modulo `S`. So
//! the text is read one word every `S` bytes, each tested against a bitmap holding, per
//! secret and residue modulo `S`, one word of the secret (the one nearest its middle, away
//! from prefixes such as `ghp_` or `-----BEGIN` that text shares), and the rare hits are
//! confirmed whole. Strings of 15 bytes or more are read with a stride of 8; shorter ones
//! with the largest stride they allow; those under 8 bytes go through Aho-Corasick.

use aho_corasick::AhoCorasick;
use rustc_hash::FxHashMap;

/// Bytes of the words the text is read in.
const WORD: usize = 8;

/// A search for a fixed set of non-empty byte strings ("needles").
#[derive(Debug, Clone)]
pub struct Needles {
    needles: Vec<Vec<u8>>,
    /// The needles of `2 * WORD - 1` bytes or more, read with a stride of `WORD`.
    long: Option<WordIndex>,
    /// The needles of `WORD` to `2 * WORD - 2` bytes, read with the stride the shortest allows.
    medium: Option<WordIndex>,
    /// The needles shorter than [`WORD`], and their numbers.
    short: Option<(AhoCorasick, Vec<usize>)>,
}

/// The words that find a group of needles when the text is read every `stride` bytes.
#[derive(Debug, Clone)]
struct WordIndex {
    stride: usize,
    /// Bit `slot(word)` is set for every word in `words`.
    bitmap: Vec<u64>,
    /// log2 of the bitmap's bits.
    bitmap_log2: u32,
    /// Each chosen word: the needles holding it there, and at which offset.
    words: FxHashMap<u64, Vec<(u32, u32)>>,
}

impl WordIndex {
    /// An index over `needles` (number, bytes), each at least `stride + WORD - 1` bytes.
    fn new<'a>(needles: impl Iterator<Item = (usize, &'a [u8])>, stride: usize) -> WordIndex {
        let mut words: FxHashMap<u64, Vec<(u32, u32)>> = FxHashMap::default();
        for (number, needle) in needles {
            let middle = (needle.len() - WORD) / 2;
            for residue in 0..stride {
                // The offset of this residue nearest the middle; always within the needle.
                let below = if middle >= residue {
                    residue + (middle - residue) / stride * stride
                } else {
                    residue
                };
                let above = below + stride;
                let offset = if below < middle
                    && above <= needle.len() - WORD
                    && above - middle < middle - below
                {
                    above
                } else {
                    below
                };
                let entry = words.entry(word_at(needle, offset)).or_default();
                if !entry.contains(&(number as u32, offset as u32)) {
                    entry.push((number as u32, offset as u32));
                }
            }
        }
        // About 16 bits per word keeps false hits near one in a thousand reads.
        let bitmap_log2 = (words.len() * 16)
            .next_power_of_two()
            .trailing_zeros()
            .clamp(12, 26);
        let mut bitmap = vec![0u64; (1usize << bitmap_log2) / 64];
        for &word in words.keys() {
            let slot = slot(word, bitmap_log2);
            bitmap[slot / 64] |= 1 << (slot % 64);
        }
        WordIndex {
            stride,
            bitmap,
            bitmap_log2,
            words,
        }
    }

    /// Calls `mark(number)` for each needle of the index found in `text`.
    fn search(&self, text: &[u8], needles: &[Vec<u8>], mark: &mut dyn FnMut(usize)) {
        let mut at = 0;
        while at + WORD <= text.len() {
            let word = word_at(text, at);
            let slot = slot(word, self.bitmap_log2);
            if self.bitmap[slot / 64] & (1 << (slot % 64)) != 0 {
                for &(number, offset) in self.words.get(&word).into_iter().flatten() {
                    let needle = &needles[number as usize];
                    let whole = (at.checked_sub(offset as usize))
                        .and_then(|start| text.get(start..start + needle.len()));
                    if whole == Some(needle.as_slice()) {
                        mark(number as usize);
                    }
                }
            }
            at += self.stride;
        }
    }
}

impl Needles {
    /// A search for `needles`; needle `i` is reported as bit `i`.
    pub fn new(needles: &[&[u8]]) -> Result<Needles, aho_corasick::BuildError> {
        let long_enough = 2 * WORD - 1;
        let numbered = || needles.iter().copied().enumerate();
        let long = numbered()
            .any(|(_, needle)| needle.len() >= long_enough)
            .then(|| {
                WordIndex::new(
                    numbered().filter(|(_, needle)| needle.len() >= long_enough),
                    WORD,
                )
            });
        let is_medium = |needle: &[u8]| (WORD..long_enough).contains(&needle.len());
        let medium = numbered()
            .filter(|(_, needle)| is_medium(needle))
            .map(|(_, needle)| needle.len() - WORD + 1)
            .min()
            .map(|stride| WordIndex::new(numbered().filter(|(_, n)| is_medium(n)), stride));
        let (short, short_numbers): (Vec<&[u8]>, Vec<usize>) = numbered()
            .filter(|(_, needle)| needle.len() < WORD)
            .map(|(number, needle)| (needle, number))
            .unzip();
        let short = if short.is_empty() {
            None
        } else {
            Some((AhoCorasick::new(&short)?, short_numbers))
        };
        Ok(Needles {
            needles: needles.iter().map(|needle| needle.to_vec()).collect(),
            long,
            medium,
            short,
        })
    }

    /// Sets bit `i` of `found` (at least `needles.len()` bits) for every needle `i` in
    /// `text`; whether any was found.
    pub fn search(&self, text: &[u8], found: &mut [u64]) -> bool {
        let mut any = false;
        let mut mark = |number: usize| {
            found[number / 64] |= 1 << (number % 64);
            any = true;
        };
        if let Some((automaton, numbers)) = &self.short {
            for hit in automaton.find_overlapping_iter(text) {
                mark(numbers[hit.pattern().as_usize()]);
            }
        }
        for index in [&self.long, &self.medium].into_iter().flatten() {
            index.search(text, &self.needles, &mut mark);
        }
        any
    }
}

fn word_at(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; WORD];
    word.copy_from_slice(&bytes[at..at + WORD]);
    u64::from_le_bytes(word)
}

#[inline(always)]
fn slot(word: u64, log2: u32) -> usize {
    (word.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - log2)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(needles: &[&[u8]], text: &[u8]) -> Vec<usize> {
        let search = Needles::new(needles).unwrap();
        let mut bits = vec![0u64; needles.len().div_ceil(64)];
        let any = search.search(text, &mut bits);
        let numbers: Vec<usize> = (0..needles.len())
            .filter(|&i| bits[i / 64] & (1 << (i % 64)) != 0)
            .collect();
        assert_eq!(any, !numbers.is_empty());
        numbers
    }

    /// The obvious search: each needle looked for everywhere.
    fn reference(needles: &[&[u8]], text: &[u8]) -> Vec<usize> {
        (0..needles.len())
            .filter(|&i| text.windows(needles[i].len()).any(|w| w == needles[i]))
            .collect()
    }

    #[test]
    fn finds_long_and_short_needles_at_every_offset() {
        let long: &[u8] = b"ghp_0123456789abcdefABCDEF";
        let short: &[u8] = b"hunter2";
        let needles = [long, short, b"never-in-the-text-anywhere".as_slice()];
        for pad in 0..20 {
            let mut text = vec![b'.'; pad];
            text.extend_from_slice(long);
            text.extend_from_slice(b" and ");
            text.extend_from_slice(short);
            assert_eq!(found(&needles, &text), [0, 1], "pad {pad}");
            // Cut anywhere inside the long needle: gone.
            let cut = &text[..pad + long.len() - 1];
            assert_eq!(found(&needles, cut), Vec::<usize>::new(), "pad {pad}");
        }
    }

    #[test]
    fn needles_that_share_words_are_told_apart() {
        let a: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMIIEvAAAAAA";
        let b: &[u8] = b"-----BEGIN PRIVATE KEY-----\nMIIEvBBBBBB";
        let text = b"x-----BEGIN PRIVATE KEY-----\nMIIEvBBBBBB\n";
        assert_eq!(found(&[a, b], text), [1]);
    }

    #[test]
    fn agrees_with_the_obvious_search_on_random_text() {
        let mut next = crate::test_rng(0x9E37_79B9_7F4A_7C15);
        let alphabet = b"ab";
        for _ in 0..2000 {
            let text: Vec<u8> = (0..(next() % 300))
                .map(|_| alphabet[(next() % 2) as usize])
                .collect();
            let needles: Vec<Vec<u8>> = (0..(1 + next() % 6))
                .map(|_| {
                    let len = 1 + (next() % 40) as usize;
                    if text.len() > len && next().is_multiple_of(2) {
                        let at = (next() as usize) % (text.len() - len);
                        text[at..at + len].to_vec()
                    } else {
                        (0..len).map(|_| alphabet[(next() % 2) as usize]).collect()
                    }
                })
                .collect();
            let needles: Vec<&[u8]> = needles.iter().map(Vec::as_slice).collect();
            assert_eq!(found(&needles, &text), reference(&needles, &text));
        }
    }
}
