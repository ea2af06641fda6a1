//! Fingerprints: the stable id of a secret at a path for a rule, written in every report and
//! baseline. It must agree between CI and a laptop (so no per-machine key), and a report holder
//! must not be able to confirm guesses of the secret cheaply (issue 14, section 5).
//!
//! Scheme `leakhound/v2`: `hex(PBKDF2-HMAC-SHA256(password = secret, salt, c, 16 bytes))` with
//! `salt = "leakhound/v2" NUL rule_id NUL rel_path` and `c` = [`KDF_ITERATIONS`] for a secret
//! that could be guessed (short, or made of words), 1 for a secret whose estimated guessing
//! entropy is at least [`STRONG_BITS`] (a random token: guessing it is infeasible at any
//! speed, so it needs no slow hash). The salt holds the path, so work spent on guesses for one
//! finding serves no other path, rule or repository. No unsalted hash of a secret is ever
//! written; [`legacy`] recomputes the old v1 fingerprint in memory only, to read v1 baselines.
//! SECURITY.md gives the measured costs behind the constants.

use std::collections::HashMap;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::{hex, Finding};

mod pbkdf2_rounds;

/// The fingerprint scheme's name: the start of every salt, and SARIF's `partialFingerprints` key.
pub const SCHEME: &str = "leakhound/v2";

/// PBKDF2 iterations for a guessable secret: about 3 ms on one core of the project's machine,
/// so one guess costs an attacker as much (SECURITY.md has the numbers).
pub const KDF_ITERATIONS: u32 = 20_000;

/// Estimated guessing entropy (see [`guess_bits`]) from which a secret gets one iteration.
pub const STRONG_BITS: f64 = 112.0;

/// The `leakhound/v2` fingerprint of `secret` at `rel_path` for `rule_id`.
pub fn fingerprint(rule_id: &str, rel_path: &str, secret: &[u8]) -> String {
    derive(rule_id, rel_path, secret, iterations(secret))
}

/// The fingerprint of a finding whose "secret" is public, such as a keystore's file name (which
/// the path already shows): one iteration, since there is nothing to guess.
pub fn public(rule_id: &str, rel_path: &str, name: &[u8]) -> String {
    derive(rule_id, rel_path, name, 1)
}

/// PBKDF2 iterations for `secret` under the scheme.
pub fn iterations(secret: &[u8]) -> u32 {
    if guess_bits_up_to(secret, STRONG_BITS) >= STRONG_BITS {
        1
    } else {
        KDF_ITERATIONS
    }
}

fn derive(rule_id: &str, rel_path: &str, secret: &[u8], iterations: u32) -> String {
    let salt = salt(rule_id, rel_path);
    hex(&pbkdf2_hmac_sha256_16(secret, salt.as_bytes(), iterations))
}

/// The scheme's salt for a finding of `rule_id` at `rel_path`.
fn salt(rule_id: &str, rel_path: &str) -> String {
    format!("{SCHEME}\0{rule_id}\0{rel_path}")
}

/// The SHA-256 initial state.
const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// PBKDF2-HMAC-SHA256 (RFC 8018) of `password` and `salt` with `iterations` rounds, 16 bytes
/// out: the first block's first half.
fn pbkdf2_hmac_sha256_16(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 16] {
    let key = padded_key(password);
    let sum = pbkdf2_rounds::xor_of_rounds(keyed_states(&key), first_round(&key, salt), iterations);
    first_half(&sum)
}

/// [`pbkdf2_hmac_sha256_16`] of two passwords and salts with the same round count: the rounds
/// after the first run side by side ([`pbkdf2_rounds::xor_of_rounds_two`]), in about the time
/// of one.
fn pbkdf2_hmac_sha256_16_two(inputs: [(&[u8], &[u8]); 2], iterations: u32) -> [[u8; 16]; 2] {
    let keys = inputs.map(|(password, _)| padded_key(password));
    let keyed = keys.map(|key| keyed_states(&key));
    let first = [0, 1].map(|lane| first_round(&keys[lane], inputs[lane].1));
    pbkdf2_rounds::xor_of_rounds_two(keyed, first, iterations).map(|sum| first_half(&sum))
}

/// U1 = HMAC(password, salt || INT(1)) from the password's padded key: the one round with a
/// message of any length, as words.
fn first_round(key: &[u8; 64], salt: &[u8]) -> [u32; 8] {
    let inner = (Sha256::new().chain_update(key.map(|b| b ^ 0x36)))
        .chain_update(salt)
        .chain_update(1u32.to_be_bytes())
        .finalize();
    let first: [u8; 32] = (Sha256::new().chain_update(key.map(|b| b ^ 0x5c)))
        .chain_update(inner)
        .finalize()
        .into();
    std::array::from_fn(|i| u32::from_be_bytes([0, 1, 2, 3].map(|j| first[4 * i + j])))
}

/// The first four words, big-endian: the 16 bytes a fingerprint keeps.
fn first_half(words: &[u32; 8]) -> [u8; 16] {
    let mut digest = [0u8; 32];
    pbkdf2_rounds::write_words(words, &mut digest);
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// The HMAC key block: the password, or its SHA-256 if it is longer than a block, 0-padded.
fn padded_key(password: &[u8]) -> [u8; 64] {
    let mut key = [0u8; 64];
    if password.len() > key.len() {
        key[..32].copy_from_slice(&Sha256::digest(password));
    } else {
        key[..password.len()].copy_from_slice(password);
    }
    key
}

/// The HMAC's inner and outer SHA-256 states after the padded key.
fn keyed_states(key: &[u8; 64]) -> ([u32; 8], [u32; 8]) {
    let after = |pad: u8| {
        let mut state = SHA256_IV;
        sha2::compress256(
            &mut state,
            std::slice::from_ref((&key.map(|b| b ^ pad)).into()),
        );
        state
    };
    (after(0x36), after(0x5c))
}

/// The v1 fingerprint, `sha256(rule_id NUL rel_path NUL sha256_hex(secret) NUL)[..16]`: only to
/// match entries of a version 1 baseline. It is a fast unsalted hash, so it is never written.
pub fn legacy(rule_id: &str, rel_path: &str, secret: &[u8]) -> String {
    let secret_sha256 = hex(&Sha256::digest(secret));
    let mut hasher = Sha256::new();
    for part in [rule_id, rel_path, &secret_sha256] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex(&hasher.finalize()[..16])
}

/// Bits a guess of a secret like `secret` must cover, estimated low on purpose: the secret is
/// cut into tokens as a password cracker would see them (after undoing leetspeak next to
/// letters: `P@ssw0rd` is `Password`), and each token costs what guessing it costs at most:
///
/// | token | bits |
/// |---|---|
/// | a word: 3+ letters (`[A-Z]?[a-z]+` or `[A-Z]+`) | 11 (a 2,048-word list) |
/// | a 2-letter word | 7 |
/// | a single letter | 4.7 (log2 26) |
/// | a run of digits | 3.3 per digit (log2 10), at most 11 |
/// | whitespace | 1 |
/// | another ASCII character | 5, or 1 if it occurred before |
/// | a token of 2+ characters that occurred earlier (any case) | 2 |
///
/// Non-ASCII secrets count as 0 (always slow). Random tokens score well under their real
/// entropy (a 40-character base62 token, 238 bits, scores ~130; 96% of them reach 112), and
/// long human-made strings stay under 112 (`MyCompanyProductionDatabasePassword2023!`: 69;
/// `my-super-secret-jwt-signing-key-for-production-2024`: 107).
pub fn guess_bits(secret: &[u8]) -> f64 {
    guess_bits_up_to(secret, f64::INFINITY)
}

/// [`guess_bits`], counted only until it reaches `enough`: every token adds bits, so the
/// count then says all a threshold needs (a private key's block is 112 bits in its first
/// few dozen characters, and looking for repeats in all of it is quadratic).
fn guess_bits_up_to(secret: &[u8], enough: f64) -> f64 {
    if !secret.is_ascii() {
        return 0.0;
    }
    let folded = unleet(secret);
    let lower = folded.to_ascii_lowercase();
    let mut symbols = [false; 128];
    let mut bits = 0.0;
    let mut at = 0;
    while at < folded.len() {
        let end = token_end(&folded, at);
        let token = &lower[at..end];
        let seen_before = token.len() >= 2
            && lower[..at]
                .windows(token.len())
                .any(|window| window == token);
        let c = folded[at];
        bits += if seen_before {
            2.0
        } else if c.is_ascii_alphabetic() {
            match token.len() {
                1 => 26f64.log2(),
                2 => 7.0,
                _ => 11.0,
            }
        } else if c.is_ascii_digit() {
            (token.len() as f64 * 10f64.log2()).min(11.0)
        } else if c.is_ascii_whitespace()
            || std::mem::replace(&mut symbols[usize::from(c & 0x7f)], true)
        {
            1.0 // whitespace, or a symbol seen before
        } else {
            5.0
        };
        at = end;
        if bits >= enough {
            break;
        }
    }
    bits
}

/// `secret` with leetspeak digits and symbols next to a letter read as the letters they stand for.
fn unleet(secret: &[u8]) -> Vec<u8> {
    let letter_at = |i: Option<usize>| {
        i.and_then(|i| secret.get(i))
            .is_some_and(u8::is_ascii_alphabetic)
    };
    secret
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let as_letter = match c {
                b'0' => b'o',
                b'1' => b'i',
                b'3' => b'e',
                b'4' | b'@' => b'a',
                b'5' | b'$' => b's',
                b'7' => b't',
                _ => return c,
            };
            if letter_at(i.checked_sub(1)) || letter_at(i.checked_add(1)) {
                as_letter
            } else {
                c
            }
        })
        .collect()
}

/// The end of the token starting at `at`: a word (`[A-Z]?[a-z]{2,}` or `[A-Z]{3,}`), a run of
/// digits, or one character.
fn token_end(s: &[u8], at: usize) -> usize {
    let run = |from: usize, class: fn(&u8) -> bool| {
        from + s[from..].iter().take_while(|c| class(c)).count()
    };
    let c = s[at];
    if c.is_ascii_uppercase() {
        let lowers = run(at + 1, u8::is_ascii_lowercase);
        if lowers - (at + 1) >= 2 {
            return lowers;
        }
        let uppers = run(at, u8::is_ascii_uppercase);
        if uppers - at >= 3 {
            return uppers;
        }
    } else if c.is_ascii_lowercase() {
        return run(at, u8::is_ascii_lowercase);
    } else if c.is_ascii_digit() {
        return run(at, u8::is_ascii_digit);
    }
    at + 1
}

/// Fingerprints by (rule id, relative path, secret).
type Known = HashMap<(String, String, Vec<u8>), String>;

fn key(rule_id: &str, rel_path: &str, secret: &[u8]) -> (String, String, Vec<u8>) {
    (rule_id.to_string(), rel_path.to_string(), secret.to_vec())
}

fn key_of(finding: &Finding) -> (String, String, Vec<u8>) {
    key(&finding.rule_id, &finding.rel_path, finding.secret.expose())
}

/// Whether two findings have the same fingerprint: the same rule, path and secret.
pub fn same_fingerprint(a: &Finding, b: &Finding) -> bool {
    a.rule_id == b.rule_id && a.rel_path == b.rel_path && a.secret.expose() == b.secret.expose()
}

/// Fingerprints computed during one run, by (rule, path, secret): the same secret at the same
/// path in many commits or blobs pays for the key derivation once. Held in memory only.
#[derive(Debug, Default)]
pub struct FingerprintCache {
    known: Mutex<Known>,
}

impl FingerprintCache {
    /// An empty cache.
    pub fn new() -> FingerprintCache {
        FingerprintCache::default()
    }

    /// [`fingerprint`], computed once per distinct (rule, path, secret).
    pub fn fingerprint(&self, rule_id: &str, rel_path: &str, secret: &[u8]) -> String {
        let key = key(rule_id, rel_path, secret);
        if let Some(known) = self.lock().get(&key) {
            return known.clone();
        }
        // Derived outside the lock so that other threads go on; two threads may both derive
        // the same rare fingerprint, which costs time, not correctness.
        let derived = fingerprint(rule_id, rel_path, secret);
        self.lock().insert(key, derived.clone());
        derived
    }

    /// Sets `finding`'s fingerprint, unless it has one.
    pub fn fill(&self, finding: &mut Finding) {
        if finding.fingerprint.is_empty() {
            finding.fingerprint =
                self.fingerprint(&finding.rule_id, &finding.rel_path, finding.secret.expose());
        }
    }

    /// Sets `finding`'s fingerprint if it has none and it is known or cheap; false when it
    /// needs the slow derivation, which [`FingerprintCache::fill_two`] runs two at a time.
    pub fn try_fill(&self, finding: &mut Finding) -> bool {
        if !finding.fingerprint.is_empty() {
            return true;
        }
        if let Some(known) = self.lock().get(&key_of(finding)) {
            finding.fingerprint = known.clone();
            return true;
        }
        if iterations(finding.secret.expose()) == KDF_ITERATIONS {
            return false;
        }
        self.fill(finding);
        true
    }

    /// Sets the fingerprints of two findings, deriving the slow ones side by side.
    pub fn fill_two(&self, a: &mut Finding, b: &mut Finding) {
        let slow = |f: &Finding| iterations(f.secret.expose()) == KDF_ITERATIONS;
        if same_fingerprint(a, b) || !slow(a) || !slow(b) {
            self.fill(a);
            self.fill(b);
            return;
        }
        let salts = [&*a, &*b].map(|f| salt(&f.rule_id, &f.rel_path));
        let [fingerprint_a, fingerprint_b] = pbkdf2_hmac_sha256_16_two(
            [
                (a.secret.expose(), salts[0].as_bytes()),
                (b.secret.expose(), salts[1].as_bytes()),
            ],
            KDF_ITERATIONS,
        )
        .map(|derived| hex(&derived));
        let mut known = self.lock();
        known.insert(key_of(a), fingerprint_a.clone());
        known.insert(key_of(b), fingerprint_b.clone());
        a.fingerprint = fingerprint_a;
        b.fingerprint = fingerprint_b;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Known> {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_keyed_on_rule_path_and_secret() {
        let a = fingerprint("github.pat-classic", "src/a.py", b"hunter2");
        assert_eq!(a.len(), 32);
        assert_eq!(a, fingerprint("github.pat-classic", "src/a.py", b"hunter2"));
        assert_ne!(a, fingerprint("github.pat-classic", "src/b.py", b"hunter2"));
        assert_ne!(a, fingerprint("npm.token", "src/a.py", b"hunter2"));
        assert_ne!(a, fingerprint("github.pat-classic", "src/a.py", b"hunter3"));
        // Pinned values: every machine and every release must compute these (CI and a laptop
        // agree; baselines keep working). Cross-checked with Python's `hashlib.pbkdf2_hmac`.
        assert_eq!(
            fingerprint("generic.password", "config/db.env", b"correcthorse"),
            "35623ba2e083fa2795140ac32d552fd9"
        );
        let token = b"ghp_Q7hL2xVb9KpR4mNw8TzY3cJf6DsG1aEu5HkW";
        assert_eq!(iterations(token), 1);
        assert_eq!(
            fingerprint("github.pat-classic", "app.py", token),
            "17347ee1e4efa24323355c6af970bfc3"
        );
    }

    #[test]
    fn the_scheme_is_pbkdf2_with_the_documented_salt() {
        let mut out = [0u8; 16];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            b"hunter2",
            b"leakhound/v2\0r.x\0a/b.txt",
            KDF_ITERATIONS,
            &mut out,
        );
        assert_eq!(fingerprint("r.x", "a/b.txt", b"hunter2"), hex(&out));
        assert_eq!(iterations(b"hunter2"), KDF_ITERATIONS);
    }

    /// The two-compression rounds give what a generic PBKDF2 gives, for passwords around the
    /// 64-byte block (a longer one is hashed first) and round counts around the first.
    #[test]
    fn the_key_derivation_is_pbkdf2_hmac_sha256() {
        for len in [0, 1, 31, 32, 55, 56, 63, 64, 65, 100, 300] {
            let password: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            for salt in [&b""[..], b"leakhound/v2\0r\0p", &[0xa5; 80]] {
                for iterations in [1, 2, 3, 1000] {
                    let mut want = [0u8; 16];
                    pbkdf2::pbkdf2_hmac::<Sha256>(&password, salt, iterations, &mut want);
                    assert_eq!(
                        pbkdf2_hmac_sha256_16(&password, salt, iterations),
                        want,
                        "password of {len} bytes, salt of {} bytes, {iterations} rounds",
                        salt.len()
                    );
                    // Side by side with another derivation, in either lane.
                    let other: &[u8] = b"another password";
                    let mut want_other = [0u8; 16];
                    pbkdf2::pbkdf2_hmac::<Sha256>(other, b"s", iterations, &mut want_other);
                    let pair = [(&password[..], salt), (other, &b"s"[..])];
                    assert_eq!(
                        pbkdf2_hmac_sha256_16_two(pair, iterations),
                        [want, want_other]
                    );
                    let swapped = [pair[1], pair[0]];
                    assert_eq!(
                        pbkdf2_hmac_sha256_16_two(swapped, iterations),
                        [want_other, want]
                    );
                }
            }
        }
    }

    #[test]
    fn the_legacy_fingerprint_is_the_v1_formula() {
        let sha = hex(&Sha256::digest(b"s"));
        assert_eq!(
            legacy("r", "p", b"s"),
            hex(&Sha256::digest(format!("r\0p\0{sha}\0").as_bytes())[..16])
        );
    }

    #[test]
    fn only_random_looking_long_secrets_are_strong() {
        let strong = [
            "ghp_Q7hL2xVb9KpR4mNw8TzY3cJf6DsG1aEu5HkW",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY/x9Qz7RtPk2LmNv",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ];
        for secret in strong {
            assert!(
                guess_bits(secret.as_bytes()) >= STRONG_BITS,
                "{secret}: {}",
                guess_bits(secret.as_bytes())
            );
            assert_eq!(iterations(secret.as_bytes()), 1, "{secret}");
        }
        let weak = [
            "hunter2",
            "correcthorse",
            "Q7hL2xVb9KpR4mNw",
            "MyCompanyProductionDatabasePassword2023!",
            "correct horse battery staple mountain river",
            "Summer2023!Summer2023!Summer2023!",
            "P@ssw0rdP@ssw0rdP@ssw0rdP@ssw0rd!",
            "Jenn1fer.Sm1th.1985.Chicago.Illinois.USA",
            "IloveMyWifeJenniferAndMyKids2010Forever!!",
            "my-super-secret-jwt-signing-key-for-production-2024",
            "abcdefghijklmnopqrstuvwxyz0123456789",
            "pässwörtpässwörtpässwörtpässwörtpässwört",
        ];
        for secret in weak {
            assert!(
                guess_bits(secret.as_bytes()) < STRONG_BITS,
                "{secret}: {}",
                guess_bits(secret.as_bytes())
            );
            assert_eq!(iterations(secret.as_bytes()), KDF_ITERATIONS, "{secret}");
        }
    }

    /// Two findings filled side by side get what each gets alone: two slow ones, one slow and
    /// one fast, and the same secret twice.
    #[test]
    fn findings_filled_two_at_a_time_get_their_own_fingerprints() {
        let engine = crate::engine::Engine::for_tests(crate::engine::TOK_RULE);
        let finding = |rule: &str, path: &str, secret: &str| {
            let provenance = crate::source::Provenance::file(path, path);
            let mut f = crate::finding::for_file(engine.rules(), 0, &provenance);
            f.rule_id = rule.to_string();
            f.secret = crate::finding::redact::Secret::new(secret.as_bytes().to_vec());
            f.fingerprint = String::new();
            f
        };
        let cases = [
            (("r.a", "p", "hunter2"), ("r.b", "q", "correcthorse")),
            (
                ("r.a", "p", "hunter2"),
                ("r.a", "p", "ghp_Q7hL2xVb9KpR4mNw8TzY3cJf6DsG1aEu5HkW"),
            ),
            (("r.a", "p", "hunter2"), ("r.a", "p", "hunter2")),
        ];
        for ((rule_a, path_a, secret_a), (rule_b, path_b, secret_b)) in cases {
            let cache = FingerprintCache::new();
            let mut a = finding(rule_a, path_a, secret_a);
            let mut b = finding(rule_b, path_b, secret_b);
            assert!(
                !cache.try_fill(&mut a),
                "a guessable secret waits for a second"
            );
            cache.fill_two(&mut a, &mut b);
            assert_eq!(
                a.fingerprint,
                fingerprint(rule_a, path_a, secret_a.as_bytes())
            );
            assert_eq!(
                b.fingerprint,
                fingerprint(rule_b, path_b, secret_b.as_bytes())
            );
            let mut again = finding(rule_a, path_a, secret_a);
            assert!(cache.try_fill(&mut again), "known now");
            assert_eq!(again.fingerprint, a.fingerprint);
        }
    }

    #[test]
    fn the_cache_gives_what_the_function_gives() {
        let cache = FingerprintCache::new();
        for _ in 0..2 {
            assert_eq!(
                cache.fingerprint("r.x", "p", b"pw"),
                fingerprint("r.x", "p", b"pw")
            );
        }
        assert_eq!(cache.lock().len(), 1);
    }
}
