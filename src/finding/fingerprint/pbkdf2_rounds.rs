//! The rounds of PBKDF2-HMAC-SHA256 after the first, two derivations at a time with the CPU's
//! SHA instructions where it has them. A round hashes a 32-byte value twice (the HMAC's inner
//! and outer hash), one 64-byte block each, and each block depends on the one before: one
//! derivation waits on the latency of every `sha256rnds2`. Two independent derivations
//! interleaved fill that wait, and keeping the values in registers saves the byte conversions
//! and stores a generic compression function makes between blocks.

/// Runs rounds 2 to `iterations` of PBKDF2-HMAC-SHA256 for one derivation: `keyed` holds the
/// inner and outer SHA-256 states after the padded key, `first` the round-1 value (U1) as
/// big-endian words. Returns U1 ^ U2 ^ ... ^ Uc, as words.
pub(super) fn xor_of_rounds(
    keyed: ([u32; 8], [u32; 8]),
    first: [u32; 8],
    iterations: u32,
) -> [u32; 8] {
    // One derivation alone gains nothing from the paired version (it waits on the same
    // latencies) and the portable one is a little faster.
    portable::xor_of_rounds(keyed, first, iterations)
}

/// [`xor_of_rounds`] for two derivations with the same round count, side by side where the
/// CPU has the SHA extensions: about the time of one.
pub(super) fn xor_of_rounds_two(
    keyed: [([u32; 8], [u32; 8]); 2],
    first: [[u32; 8]; 2],
    iterations: u32,
) -> [[u32; 8]; 2] {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("sha") && std::is_x86_feature_detected!("sse4.1") {
        return sha_ni::xor_of_rounds(keyed, first, iterations);
    }
    [0, 1].map(|lane| portable::xor_of_rounds(keyed[lane], first[lane], iterations))
}

mod portable {
    use super::write_words;

    /// One lane of [`super::xor_of_rounds`] with the `sha2` crate's compression function.
    pub(super) fn xor_of_rounds(
        (inner, outer): ([u32; 8], [u32; 8]),
        first: [u32; 8],
        iterations: u32,
    ) -> [u32; 8] {
        // The last block of a 96-byte message (a 64-byte padded key, then 32 bytes): the 32
        // bytes (each round's U, which the next round hashes), the 0x80 end mark, zeros, the
        // length in bits.
        let mut block = [0u8; 64];
        write_words(&first, &mut block);
        block[32] = 0x80;
        block[56..].copy_from_slice(&(96u64 * 8).to_be_bytes());
        let mut sum = first;
        for _ in 1..iterations {
            let mut state = inner;
            sha2::compress256(&mut state, std::slice::from_ref((&block).into()));
            write_words(&state, &mut block);
            let mut state = outer;
            sha2::compress256(&mut state, std::slice::from_ref((&block).into()));
            write_words(&state, &mut block);
            sum.iter_mut().zip(&state).for_each(|(s, w)| *s ^= w);
        }
        sum
    }
}

/// `words` big-endian into the first 32 bytes of `out`.
pub(super) fn write_words(words: &[u32; 8], out: &mut [u8]) {
    for (word, bytes) in words.iter().zip(out.chunks_exact_mut(4)) {
        bytes.copy_from_slice(&word.to_be_bytes());
    }
}

#[cfg(target_arch = "x86_64")]
#[allow(
    unsafe_code,
    reason = "SHA-NI intrinsics, run only where the CPU reports them; loads and stores are of \
              whole [u32; 8] arrays"
)]
mod sha_ni {
    use std::arch::x86_64::*;

    /// SHA-256's round constants, four to a vector as `_mm_sha256rnds2_epu32` takes them.
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    pub(super) fn xor_of_rounds(
        keyed: [([u32; 8], [u32; 8]); 2],
        first: [[u32; 8]; 2],
        iterations: u32,
    ) -> [[u32; 8]; 2] {
        // SAFETY: the caller checked that the CPU has the SHA extensions and SSE4.1.
        unsafe { xor_of_rounds_sha_ni(keyed, first, iterations) }
    }

    /// A SHA-256 state as the SHA instructions hold it: (ABEF, CDGH).
    #[derive(Clone, Copy)]
    struct State(__m128i, __m128i);

    /// Eight words as two vectors, word 0 in the low lane.
    #[target_feature(enable = "sse2")]
    fn load(words: &[u32; 8]) -> (__m128i, __m128i) {
        // SAFETY: `words` is 32 readable bytes; the loads are unaligned.
        unsafe {
            let at = words.as_ptr().cast::<__m128i>();
            (_mm_loadu_si128(at), _mm_loadu_si128(at.add(1)))
        }
    }

    #[target_feature(enable = "sse2")]
    fn store((low, high): (__m128i, __m128i)) -> [u32; 8] {
        let mut words = [0u32; 8];
        // SAFETY: `words` is 32 writable bytes; the stores are unaligned.
        unsafe {
            let at = words.as_mut_ptr().cast::<__m128i>();
            _mm_storeu_si128(at, low);
            _mm_storeu_si128(at.add(1), high);
        }
        words
    }

    /// The state of the words `state` (a, b, ..., h).
    #[target_feature(enable = "sse2,ssse3,sse4.1")]
    fn to_state(state: &[u32; 8]) -> State {
        let (dcba, efgh) = load(state);
        let cdab = _mm_shuffle_epi32::<0xB1>(dcba);
        let efgh = _mm_shuffle_epi32::<0x1B>(efgh);
        State(
            _mm_alignr_epi8::<8>(cdab, efgh),
            _mm_blend_epi16::<0xF0>(efgh, cdab),
        )
    }

    /// The digest words (a, b, c, d) and (e, f, g, h) of a state: what the next block hashes.
    #[target_feature(enable = "sse2,ssse3,sse4.1")]
    fn to_words(State(abef, cdgh): State) -> (__m128i, __m128i) {
        let feba = _mm_shuffle_epi32::<0x1B>(abef);
        let dchg = _mm_shuffle_epi32::<0xB1>(cdgh);
        (
            _mm_blend_epi16::<0xF0>(feba, dchg),
            _mm_alignr_epi8::<8>(dchg, feba),
        )
    }

    #[target_feature(enable = "sha,sse2")]
    fn four_rounds(state: &mut State, words: __m128i, i: usize) {
        let k = &K[4 * i..4 * i + 4];
        let constants = _mm_setr_epi32(k[0] as i32, k[1] as i32, k[2] as i32, k[3] as i32);
        let sum = _mm_add_epi32(words, constants);
        state.1 = _mm_sha256rnds2_epu32(state.1, state.0, sum);
        state.0 = _mm_sha256rnds2_epu32(state.0, state.1, _mm_shuffle_epi32::<0x0E>(sum));
    }

    /// The next four message words from the sixteen before them.
    #[target_feature(enable = "sha,sse2,ssse3")]
    fn schedule(w0: __m128i, w1: __m128i, w2: __m128i, w3: __m128i) -> __m128i {
        let t = _mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8::<4>(w3, w2));
        _mm_sha256msg2_epu32(t, w3)
    }

    /// Both lanes' states after one block each: the 32 bytes in `message` (as words), then
    /// the fixed padding of a 96-byte message. The lanes' steps alternate, so that one runs
    /// while the other waits on a result.
    #[allow(
        clippy::needless_range_loop,
        reason = "the round number indexes the constants and both lanes' words"
    )]
    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn compress_two(from: [State; 2], message: [(__m128i, __m128i); 2]) -> [State; 2] {
        let mut state = from;
        let end_mark = _mm_setr_epi32(0x8000_0000u32 as i32, 0, 0, 0);
        let length = _mm_setr_epi32(0, 0, 0, 96 * 8);
        let mut w = [[message[0].0, message[0].1, end_mark, length]; 2];
        w[1][0] = message[1].0;
        w[1][1] = message[1].1;
        for i in 0..4 {
            for lane in 0..2 {
                four_rounds(&mut state[lane], w[lane][i], i);
            }
        }
        for i in 4..16 {
            for lane in 0..2 {
                let next = schedule(w[lane][0], w[lane][1], w[lane][2], w[lane][3]);
                w[lane] = [w[lane][1], w[lane][2], w[lane][3], next];
                four_rounds(&mut state[lane], next, i);
            }
        }
        for lane in 0..2 {
            state[lane].0 = _mm_add_epi32(state[lane].0, from[lane].0);
            state[lane].1 = _mm_add_epi32(state[lane].1, from[lane].1);
        }
        state
    }

    #[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
    fn xor_of_rounds_sha_ni(
        keyed: [([u32; 8], [u32; 8]); 2],
        first: [[u32; 8]; 2],
        iterations: u32,
    ) -> [[u32; 8]; 2] {
        let inner = [to_state(&keyed[0].0), to_state(&keyed[1].0)];
        let outer = [to_state(&keyed[0].1), to_state(&keyed[1].1)];
        let mut u = [load(&first[0]), load(&first[1])];
        let mut sum = u;
        for _ in 1..iterations {
            let [a, b] = compress_two(inner, u);
            let [a, b] = compress_two(outer, [to_words(a), to_words(b)]);
            u = [to_words(a), to_words(b)];
            for lane in 0..2 {
                sum[lane].0 = _mm_xor_si128(sum[lane].0, u[lane].0);
                sum[lane].1 = _mm_xor_si128(sum[lane].1, u[lane].1);
            }
        }
        [store(sum[0]), store(sum[1])]
    }
}
