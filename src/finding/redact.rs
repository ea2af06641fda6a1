//! [`Secret`]: the raw bytes of a found secret, which print redacted. The raw bytes come out
//! only through [`Secret::expose`], which reporters call only under `--show-secrets`.
//!
//! [`Redactor`]: the set of every secret (and encoded run holding one) a scan found, which
//! finds and redacts them wherever they stand in a text: a snippet's line, a commit message, a
//! path (issue 15).

use std::collections::{HashMap, HashSet};

/// Literal prefixes that vendors put on their tokens, shown in a redacted secret because they
/// say what the token is and nothing of its secret part (`ghp_****(40)`). Only these: a prefix
/// read off the secret itself (up to its first `_` or `-`) would show the first bytes of a
/// UUID-shaped key or of a password. Each entry starts a secret that a built-in rule's example
/// gives (checked by a test).
pub const VENDOR_PREFIXES: &[&str] = &[
    // GitHub, GitLab
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glft-",
    "glimt-",
    "glptt-",
    "glrt-",
    "glsoat-",
    "gloas-",
    "glcbt-",
    "glagent-",
    // Slack
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxe-",
    "xoxs-",
    "xoxr-",
    "xoxo-",
    "xoxd-",
    "xapp-",
    "xoxe.xoxb-",
    "xoxe.xoxp-",
    // Payments
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "whsec_",
    "sk_sbox_",
    "rzp_live_",
    "FLWSECK-",
    "FLWSECK_",
    "pdl_live_",
    "pdl_sdbx_",
    "duffel_live_",
    "duffel_test_",
    "shippo_live_",
    "shippo_test_",
    // Cloud
    "AKIA",
    "ASIA",
    "ABIA",
    "ACCA",
    "AIza",
    "GOCSPX-",
    "dop_v1_",
    "doo_v1_",
    "dor_v1_",
    "DO00",
    "HRKU-",
    "dapi",
    "cfat_",
    "cfk_",
    "cfut_",
    "essu_",
    "sb_secret_",
    "sbp_",
    "vca_",
    "vci_",
    "vcp_",
    "vcr_",
    "napi_",
    "pscale_pw_",
    "pscale_tkn_",
    "pscale_",
    "tskey-",
    "fo1_",
    "fm1a_",
    "fm1r_",
    "fm2_",
    "hvs.",
    "hvb.",
    "hvr.",
    "dt0c01.",
    "AGE-SECRET-KEY-",
    // AI
    "sk-proj-",
    "sk-svcacct-",
    "sk-admin-",
    "sk-None-",
    "sk-ant-",
    "sk-or-v1-",
    "hf_",
    "api_org_",
    "gsk_",
    "pplx-",
    "nvapi-",
    "xai-",
    "csk-",
    "r8_",
    "fw_",
    "jina_",
    "tgp_v1_",
    "lsv2_pt_",
    "lsv2_sk_",
    // Developer tools and SaaS
    "npm_",
    "pypi-",
    "rubygems_",
    "dckr_pat_",
    "dckr_oat_",
    "figd_",
    "SG.",
    "xkeysib-",
    "xsmtpsib-",
    "shpat_",
    "shpca_",
    "shppa_",
    "shpss_",
    "lin_api_",
    "lin_oauth_",
    "glc_",
    "glsa_",
    "NRAK-",
    "NRJS-",
    "NRII-",
    "PMAK-",
    "sntrys_",
    "sntryu_",
    "sqp_",
    "squ_",
    "sqa_",
    "CFPAT-",
    "CCIPAT_",
    "CCIPRJ_",
    "ory_at_",
    "ory_pat_",
    "ory_rt_",
    "phc_",
    "phx_",
    "ntn_",
    "secret-live-",
    "secret-test-",
    "fio-u-",
    "xaat-",
    "xapt-",
    "bkua_",
    "hcaik_",
    "hcxik_",
    "mdb_sa_sk_",
    "os_v2_app_",
    "os_v2_org_",
    "pul-",
    "EZAK",
    "EZTK",
];

/// Characters of a secret that stay hidden after a vendor prefix, at least: a prefix is shown
/// only on a token long enough that it gives nothing away.
const HIDDEN_AFTER_PREFIX: usize = 16;

/// Secrets shorter than this many characters show nothing but their length.
const SHOWN_FROM: usize = 20;

/// Repeats of a found string are looked for only from this many bytes: shorter ones would
/// redact ordinary text (no rule finds a secret this short).
pub const MIN_REPEAT: usize = 4;

/// Bytes of a string's start that key [`Redactor::starts`]: enough that tokens sharing a
/// vendor prefix (`sk_live_`) still spread over many keys.
const ANCHOR: usize = 12;

/// A secret found in a chunk. `Debug` and `Display` print the redacted form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret {
    bytes: Vec<u8>,
    /// The redacted form a datastore kept (see [`Secret::stored`]).
    stored_redacted: Option<String>,
}

impl Secret {
    /// Wraps raw secret bytes.
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret {
            bytes,
            stored_redacted: None,
        }
    }

    /// A secret read back from a datastore: its redacted form as the scan wrote it, and its
    /// bytes only when that scan was asked to keep them (`--show-secrets`). Without them,
    /// exposing the secret gives the redacted form: a store never yields what it never held.
    pub fn stored(redacted: String, clear: Option<Vec<u8>>) -> Secret {
        Secret {
            bytes: clear.unwrap_or_else(|| redacted.clone().into_bytes()),
            stored_redacted: Some(redacted),
        }
    }

    /// The raw bytes. Call only to print under `--show-secrets`, to derive a fingerprint, or to
    /// compare in memory.
    pub fn expose(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the secret's bytes are here: false for one a datastore kept redacted only.
    pub fn is_held(&self) -> bool {
        self.stored_redacted
            .as_ref()
            .is_none_or(|redacted| redacted.as_bytes() != self.bytes)
    }

    /// The redacted form: see [`Secret::redact_bytes`].
    pub fn redacted(&self) -> String {
        match &self.stored_redacted {
            Some(redacted) => redacted.clone(),
            None => Secret::redact_bytes(&self.bytes),
        }
    }

    /// Redacts `secret`: keeps a short, non-secret prefix and the length in characters, as in
    /// `ghp_****(40)` or `AKIA****(20)`. The prefix is a known vendor prefix when the secret
    /// starts with one (see [`VENDOR_PREFIXES`]) and at least 16 characters follow it;
    /// otherwise at most 4 characters and never more than a fifth of the secret; secrets under
    /// 20 characters (passwords, short keys) keep nothing.
    pub fn redact_bytes(secret: &[u8]) -> String {
        let text = String::from_utf8_lossy(secret);
        let length = text.chars().count();
        format!("{}****({length})", shown_prefix(&text, length))
    }

    /// Redacts `text` showing nothing of it, not even a vendor prefix: the form of an encoded
    /// run (`****(96)`), whose first characters encode the secret's.
    pub fn redact_bare(text: &[u8]) -> String {
        format!("****({})", String::from_utf8_lossy(text).chars().count())
    }
}

/// The part of `text` (of `length` characters) a redacted secret shows.
fn shown_prefix(text: &str, length: usize) -> &str {
    let vendor = VENDOR_PREFIXES
        .iter()
        .filter(|prefix| text.starts_with(**prefix))
        .max_by_key(|prefix| prefix.len());
    if let Some(prefix) = vendor {
        if length >= prefix.len() + HIDDEN_AFTER_PREFIX {
            return prefix;
        }
    }
    if length < SHOWN_FROM {
        return "";
    }
    // Printable ASCII only, so the visible part never holds a control character.
    let end = text
        .char_indices()
        .take((length / 5).min(4))
        .take_while(|(_, c)| c.is_ascii_graphic())
        .last()
        .map_or(0, |(at, c)| at + c.len_utf8());
    &text[..end]
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// A set of byte strings (secrets, and the encoded runs that hold them) that finds where any of
/// them stands in a text. Time is linear in the text (each position costs a bit test, and where
/// a string could start, one look-up per distinct length of the strings sharing its first 12
/// bytes); memory is linear in the strings. An Aho-Corasick automaton over every secret of a
/// file took 637 MB for 16 MB of tokens (issue 15). `Debug` prints the count only.
#[derive(Default, Clone)]
pub struct Redactor {
    strings: HashSet<Box<[u8]>>,
    /// The first [`ANCHOR`] bytes of each string at least that long -> the distinct lengths of
    /// those strings, longest first. (`std` hashing: the keys are scanned content, so a hash an
    /// attacker can collide is no good.)
    starts: HashMap<Box<[u8]>, Vec<usize>>,
    /// Distinct lengths of the strings shorter than [`ANCHOR`], longest first.
    short_lengths: Vec<usize>,
    /// Bit `256 * a + b` is set when a string starts with bytes `a, b`.
    first_two: Vec<u64>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} strings)", self.strings.len())
    }
}

impl Redactor {
    /// An empty set.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// How many distinct strings the set holds.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }

    /// Adds `string`; strings under [`MIN_REPEAT`] bytes are left out.
    pub fn insert(&mut self, string: &[u8]) {
        if string.len() < MIN_REPEAT || self.strings.contains(string) {
            return;
        }
        if self.first_two.is_empty() {
            self.first_two = vec![0; 65536 / 64];
        }
        let bit = usize::from(string[0]) << 8 | usize::from(string[1]);
        self.first_two[bit / 64] |= 1 << (bit % 64);
        let lengths = if string.len() >= ANCHOR {
            self.starts.entry(string[..ANCHOR].into()).or_default()
        } else {
            &mut self.short_lengths
        };
        if let Err(at) = lengths.binary_search_by(|probe| string.len().cmp(probe)) {
            lengths.insert(at, string.len());
        }
        self.strings.insert(string.into());
    }

    /// Adds every string of `other`.
    pub fn append(&mut self, other: Redactor) {
        if self.is_empty() {
            *self = other;
            return;
        }
        for string in &other.strings {
            self.insert(string);
        }
    }

    /// Where the strings stand in `text`: at each position, the longest one starting there.
    /// Spans may overlap.
    pub fn find(&self, text: &[u8]) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        if self.strings.is_empty() {
            return out;
        }
        for at in 0..text.len().saturating_sub(MIN_REPEAT - 1) {
            let bit = usize::from(text[at]) << 8 | usize::from(text[at + 1]);
            if self.first_two[bit / 64] & (1 << (bit % 64)) == 0 {
                continue;
            }
            let rest = &text[at..];
            let long = rest
                .get(..ANCHOR)
                .and_then(|anchor| self.starts.get(anchor))
                .map_or(&[][..], Vec::as_slice);
            let hit = long
                .iter()
                .chain(&self.short_lengths)
                .find(|&&length| rest.get(..length).is_some_and(|s| self.strings.contains(s)));
            if let Some(&length) = hit {
                out.push(at..at + length);
            }
        }
        out
    }

    /// `text` with every string of the set in it redacted ([`Secret::redact_bytes`]; where
    /// strings overlap, the whole run they cover), or `None` when none stands in it.
    pub fn redact(&self, text: &str) -> Option<String> {
        let found = self.find(text.as_bytes());
        if found.is_empty() {
            return None;
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for run in merge(found) {
            out.push_str(&String::from_utf8_lossy(&bytes[at..run.start]));
            out.push_str(&Secret::redact_bytes(&bytes[run.clone()]));
            at = run.end;
        }
        out.push_str(&String::from_utf8_lossy(&bytes[at..]));
        Some(out)
    }
}

/// Sorted, overlapping or touching ranges merged into disjoint ones.
fn merge(mut ranges: Vec<std::ops::Range<usize>>) -> Vec<std::ops::Range<usize>> {
    ranges.sort_unstable_by_key(|r| (r.start, r.end));
    let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_the_type_marker_and_the_length_only() {
        let cases = [
            ("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "ghp_****(40)"),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
                "github_pat_****(47)",
            ),
            (concat!("AKIA", "Z7WQ3RDXK5HPNM2T"), "AKIA****(20)"),
            ("xoxb-1234-5678-abcdefghijklmnop", "xoxb-****(31)"),
            ("hunter2", "****(7)"),
            ("correcthorse", "****(12)"),
            ("Q7hL2xVb9KpR4mNw8TzY3cJf6DsG1aEu5HkW0rBn", "Q7hL****(40)"),
            ("", "****(0)"),
        ];
        for (secret, expected) in cases {
            assert_eq!(
                Secret::redact_bytes(secret.as_bytes()),
                expected,
                "{secret}"
            );
        }
    }

    /// Issue 15: a prefix read off the secret showed 8 hex digits of a UUID-shaped key and the
    /// first word of a password; only known vendor prefixes are shown now, anything else as
    /// documented (at most 4 characters, at most a fifth, nothing under 20 characters).
    #[test]
    fn issue_15_redaction_shows_only_known_vendor_prefixes() {
        let cases = [
            ("0cb3863f-9a2e-4c1b-8d7e-5f6a7b8c9d0e", "0cb3****(36)"),
            ("Summer2024-Autumn!Winter", "Summ****(24)"),
            ("my_db-password-is-long-enough", "my_d****(29)"),
            ("abc.defghijklmnopqrstuvw", "abc.****(24)"),
            // A vendor prefix on a token too short to hide 16 characters after it.
            ("sk_live_0123456789", "****(18)"),
            ("sk_live_0123456789abcd", "sk_l****(22)"),
            ("sk_live_0123456789abcdefgh", "sk_live_****(26)"),
            // The longest listed prefix wins.
            (
                "xoxe.xoxb-1-abcdefghijklmnopqrstuvwxyz",
                "xoxe.xoxb-****(38)",
            ),
            ("\u{1b}[31mAAAAAAAAAAAAAAAAAAAAAAAA", "****(29)"),
        ];
        for (secret, expected) in cases {
            assert_eq!(
                Secret::redact_bytes(secret.as_bytes()),
                expected,
                "{secret}"
            );
        }
        for secret in [
            "0cb3863f-9a2e-4c1b-8d7e-5f6a7b8c9d0e",
            "Summer2024-Autumn!Winter",
        ] {
            let shown = Secret::redact_bytes(secret.as_bytes());
            let visible = shown.split("****").next().unwrap_or("");
            assert!(visible.chars().count() <= 4, "{shown}");
        }
        assert_eq!(Secret::redact_bare(b"a2V5PXJrX2xpdmVf"), "****(16)");
    }

    /// Every listed vendor prefix starts a secret that a built-in rule finds in its own
    /// examples: the list names real token formats, not guesses.
    #[test]
    fn issue_15_vendor_prefixes_start_secrets_the_builtin_rules_find() {
        let engine = crate::engine::Engine::new(
            crate::rule::RuleSet::builtin_with_examples().expect("the built-in rules build"),
        )
        .expect("the engine builds");
        let mut scanner = engine.scanner();
        let mut secrets: Vec<Vec<u8>> = Vec::new();
        for rule in engine.rules().rules() {
            for example in &rule.examples {
                scanner.scan_any_path(example.as_bytes(), &mut |m| {
                    secrets.push(example.as_bytes()[m.secret.range()].to_vec());
                });
            }
        }
        for prefix in VENDOR_PREFIXES {
            assert!(
                secrets.iter().any(|s| s.starts_with(prefix.as_bytes())),
                "{prefix} starts no secret of a built-in rule's examples"
            );
        }
    }

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let secret = Secret::new(b"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789".to_vec());
        assert!(!format!("{secret:?}").contains("aBcDeF"));
        assert!(!format!("{secret}").contains("aBcDeF"));
        assert_eq!(secret.expose().len(), 40);
        let mut set = Redactor::new();
        set.insert(b"hunter2!");
        assert_eq!(format!("{set:?}"), "Redactor(1 strings)");
    }

    #[test]
    fn issue_15_the_redactor_finds_every_string_short_or_long() {
        let mut set = Redactor::new();
        for string in [
            &b"pw9!x"[..],
            b"sk_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            b"sk_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaXY",
            b"sk_live_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            b"abc", // under MIN_REPEAT: left out
        ] {
            set.insert(string);
        }
        assert_eq!(set.len(), 4);
        let text = "p=pw9!x q=pw9!x abc sk_live_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaXY. \
                    sk_live_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        assert_eq!(
            set.redact(text).as_deref(),
            Some("p=****(5) q=****(5) abc sk_live_****(40). sk_live_****(38)")
        );
        assert_eq!(set.redact("nothing here"), None);
        // Overlapping strings are redacted as one run.
        let mut set = Redactor::new();
        set.insert(b"ABCDEFGH");
        set.insert(b"EFGHIJKL");
        assert_eq!(set.redact("xABCDEFGHIJKLx").as_deref(), Some("x****(12)x"));
    }
}
