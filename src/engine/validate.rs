//! Offline validators: structural checks on a secret that raise precision where a token format
//! allows it (a checksum, a decodable header). They never touch the network. A rule names its
//! validator; [`Validator::from_name`] maps the name to the check.

use std::borrow::Cow;

use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::Engine as _;

impl Verdict {
    /// Accept with a fixed result.
    pub fn ok(result: &'static str) -> Verdict {
        Verdict::Accept(Cow::Borrowed(result))
    }
}

/// What a validator concluded about a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Keep the match; the string says what was established (`checksum-ok`, `alg-none`,
    /// `account 123456789012`, ...).
    Accept(Cow<'static, str>),
    /// Not a secret of this kind (bad checksum, undecodable, a placeholder): drop the match.
    Reject,
}

/// The offline validators a rule can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validator {
    /// GitHub classic tokens: `gh?_` + 30 random base62 + 6-char base62 CRC32 of those 30.
    GithubCrc32,
    /// npm tokens: `npm_` + 30 random base62 + 6-char base62 CRC32.
    NpmCrc32,
    /// Cloudflare tokens: `cfk_`/`cfut_`/`cfat_` + 40 characters + 8-hex CRC32.
    CloudflareCrc32,
    /// JSON Web Token: header and payload decode to JSON objects and the header has `alg`.
    Jwt,
    /// PEM private key block: the base64 body decodes to a plausible key.
    Pem,
    /// Generic assignments: rejects placeholders, templates, variable lookups and other code.
    Placeholder,
    /// Bech32 strings (age secret keys): the 6-character checksum over the data part.
    Bech32,
    /// AWS access key IDs: rejects AWS's documentation keys and decodes the account id.
    AwsKeyId,
}

impl Validator {
    /// Every validator name, as used in rule files.
    pub const NAMES: [&'static str; 8] = [
        "aws-key-id",
        "cloudflare-crc32",
        "github-crc32",
        "npm-crc32",
        "jwt",
        "pem",
        "placeholder",
        "bech32",
    ];

    /// The validator called `name` in rule files.
    pub fn from_name(name: &str) -> Option<Validator> {
        match name {
            "github-crc32" => Some(Validator::GithubCrc32),
            "npm-crc32" => Some(Validator::NpmCrc32),
            "cloudflare-crc32" => Some(Validator::CloudflareCrc32),
            "jwt" => Some(Validator::Jwt),
            "pem" => Some(Validator::Pem),
            "placeholder" => Some(Validator::Placeholder),
            "bech32" => Some(Validator::Bech32),
            "aws-key-id" => Some(Validator::AwsKeyId),
            _ => None,
        }
    }

    /// The name used in rule files and in a finding's `validation.kind`.
    pub fn name(self) -> &'static str {
        match self {
            Validator::GithubCrc32 => "github-crc32",
            Validator::NpmCrc32 => "npm-crc32",
            Validator::CloudflareCrc32 => "cloudflare-crc32",
            Validator::Jwt => "jwt",
            Validator::Pem => "pem",
            Validator::Placeholder => "placeholder",
            Validator::Bech32 => "bech32",
            Validator::AwsKeyId => "aws-key-id",
        }
    }

    /// Checks one secret.
    pub fn check(self, secret: &[u8]) -> Verdict {
        match self {
            Validator::GithubCrc32 | Validator::NpmCrc32 => check_crc32_base62(secret),
            Validator::CloudflareCrc32 => check_crc32_hex_suffix(secret),
            Validator::Jwt => check_jwt(secret),
            Validator::Pem => check_pem(secret),
            Validator::Placeholder => check_placeholder(secret),
            Validator::Bech32 => check_bech32(secret),
            Validator::AwsKeyId => check_aws_key_id(secret),
        }
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `value` in base62 (0-9A-Za-z), left-padded with '0' to `width` digits.
pub fn base62(mut value: u32, width: usize) -> String {
    let mut digits = Vec::with_capacity(width);
    while value > 0 {
        digits.push(BASE62[(value % 62) as usize]);
        value /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).expect("base62 digits are ASCII")
}

/// `prefix_` + 30-char body + 6-char base62 CRC32 of the body (GitHub classic, npm).
fn check_crc32_base62(secret: &[u8]) -> Verdict {
    let Some(underscore) = secret.iter().rposition(|&b| b == b'_') else {
        return Verdict::Reject;
    };
    let token = &secret[underscore + 1..];
    if token.len() != 36 {
        return Verdict::Reject;
    }
    let (body, checksum) = token.split_at(30);
    if base62(crc32fast::hash(body), 6).as_bytes() == checksum {
        Verdict::ok("checksum-ok")
    } else {
        Verdict::Reject
    }
}

/// BIP-173 bech32: the human-readable part, `1`, then data characters whose last six are a
/// checksum. age secret keys are bech32 (not bech32m) with the part `age-secret-key-`.
/// A token ending in the 8-hex-digit CRC32 of what precedes it (Cloudflare's `cfut_` tokens).
/// Whether the prefix is covered is not published, so a checksum of the whole head or of the
/// part after the prefix both pass; a random suffix passes either by chance once in 2^31.
fn check_crc32_hex_suffix(secret: &[u8]) -> Verdict {
    let Some(split) = secret.len().checked_sub(8) else {
        return Verdict::Reject;
    };
    let (head, checksum) = secret.split_at(split);
    let Some(stated) = std::str::from_utf8(checksum)
        .ok()
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
    else {
        return Verdict::Reject;
    };
    let body = head
        .iter()
        .position(|&b| b == b'_')
        .map_or(head, |underscore| &head[underscore + 1..]);
    if crc32fast::hash(head) == stated || crc32fast::hash(body) == stated {
        Verdict::ok("checksum-ok")
    } else {
        Verdict::Reject
    }
}

fn check_bech32(secret: &[u8]) -> Verdict {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    const GENERATOR: [u32; 5] = [
        0x3b6a_57b2,
        0x2650_8e6d,
        0x1ea1_19fa,
        0x3d42_33dd,
        0x2a14_62b3,
    ];
    let lower = secret.to_ascii_lowercase();
    let Some(separator) = lower.iter().rposition(|&b| b == b'1') else {
        return Verdict::Reject;
    };
    let (hrp, data) = (&lower[..separator], &lower[separator + 1..]);
    if hrp.is_empty() || data.len() < 6 {
        return Verdict::Reject;
    }
    let mut values: Vec<u8> = hrp.iter().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.iter().map(|b| b & 31));
    for &c in data {
        match CHARSET.iter().position(|&x| x == c) {
            Some(value) => values.push(value as u8),
            None => return Verdict::Reject,
        }
    }
    let mut checksum: u32 = 1;
    for value in values {
        let top = checksum >> 25;
        checksum = ((checksum & 0x01ff_ffff) << 5) ^ u32::from(value);
        for (bit, generator) in GENERATOR.iter().enumerate() {
            if (top >> bit) & 1 == 1 {
                checksum ^= generator;
            }
        }
    }
    if checksum == 1 {
        Verdict::ok("checksum-ok")
    } else {
        Verdict::Reject
    }
}

fn decode_base64url(part: &[u8]) -> Option<Vec<u8>> {
    let trimmed = part
        .strip_suffix(b"==")
        .or_else(|| part.strip_suffix(b"="))
        .unwrap_or(part);
    URL_SAFE_NO_PAD.decode(trimmed).ok()
}

fn check_jwt(secret: &[u8]) -> Verdict {
    let mut parts = secret.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return Verdict::Reject;
    };
    let header: Option<serde_json::Value> =
        decode_base64url(header).and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let payload_is_object = decode_base64url(payload)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|value| value.is_object());
    let expired = decode_base64url(payload)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|payload| payload.get("exp").and_then(serde_json::Value::as_f64))
        .zip(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .ok(),
        )
        .is_some_and(|(exp, now)| exp < now.as_secs_f64());
    let alg = header
        .as_ref()
        .and_then(|h| h.get("alg"))
        .and_then(|alg| alg.as_str());
    match alg {
        Some(alg) if payload_is_object && alg.eq_ignore_ascii_case("none") => {
            Verdict::ok(if expired {
                "alg-none expired"
            } else {
                "alg-none"
            })
        }
        Some(_) if payload_is_object => Verdict::ok(if expired { "expired" } else { "decoded" }),
        _ => Verdict::Reject,
    }
}

/// The AWS account an access key ID belongs to: the ten base32 characters after the 4-character
/// prefix hold it, shifted by 7 bits (public research by Tal Be'ery, 2023). AWS's documentation
/// keys (`...EXAMPLE`) are rejected.
fn check_aws_key_id(secret: &[u8]) -> Verdict {
    if secret
        .windows(7)
        .any(|w| w.eq_ignore_ascii_case(b"EXAMPLE"))
        || secret.len() < 16
    {
        return Verdict::Reject;
    }
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut bits: u64 = 0;
    for &c in &secret[4..14] {
        let Some(value) = ALPHABET.iter().position(|&a| a == c) else {
            return Verdict::ok("unknown-account");
        };
        bits = (bits << 5) | value as u64;
    }
    // 50 bits decoded; the first 48 are the 6 bytes the account is read from: 40 bits, which
    // can hold 13 digits. AWS account ids have 12, so a larger value means the key id does not
    // encode its account (older keys, or not an AWS key): say so rather than invent one.
    let six_bytes = bits >> 2;
    let number = (six_bytes & 0x7fff_ffff_ff80) >> 7;
    if number > 999_999_999_999 {
        return Verdict::ok("unknown-account");
    }
    let account = format!("{number:012}");
    if CANARY_AWS_ACCOUNTS.contains(&account.as_str()) {
        // Still reported: someone planted it to learn who uses it, and using it tells them.
        return Verdict::Accept(Cow::Owned(format!("account {account} (canary token)")));
    }
    Verdict::Accept(Cow::Owned(format!("account {account}")))
}

/// AWS accounts that Thinkst Canarytokens issues its AWS key canaries from, as flagged by other
/// open-source scanners. A key from one of them is a tripwire, not a working credential.
const CANARY_AWS_ACCOUNTS: [&str; 9] = [
    "052310077262",
    "171436882533",
    "266735846894",
    "534261010715",
    "595918472158",
    "717712589309",
    "730335385048",
    "819147034852",
    "992382622183",
];

/// Decodes the body of a PEM block. Tolerates the body being inside a JSON or code string
/// (`\n` escapes, quotes and `+` concatenation), a block collapsed onto one line (newlines
/// turned into spaces, as in environment variables), and header fields such as `DEK-Info:`.
fn check_pem(secret: &[u8]) -> Verdict {
    let text = String::from_utf8_lossy(secret)
        .replace("\\r", "\n")
        .replace("\\n", "\n");
    // The body runs from the end of the `-----BEGIN ...-----` marker to `-----END`.
    let Some(begin) = text.find("-----BEGIN") else {
        return Verdict::Reject;
    };
    let after_begin = begin + "-----BEGIN".len();
    let Some(label_end) = text[after_begin..]
        .find("-----")
        .map(|at| after_begin + at + 5)
    else {
        return Verdict::Reject;
    };
    let body_end = text[label_end..]
        .find("-----END")
        .map_or(text.len(), |at| label_end + at);
    // In code the block may be a concatenation of string literals (`"MIIE...\n" +`): then only
    // what is inside the quotes is the block. The literal holding the BEGIN marker closes
    // right after it, so the region then starts with a quote.
    let region = &text[label_end..body_end];
    let quote = region
        .trim_start()
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\''));
    let region: String = match quote {
        Some(q) => region.split(q).step_by(2).collect(),
        None => region.to_string(),
    };
    let mut body = String::new();
    for line in region.lines().map(str::trim) {
        // Header fields (`Proc-Type:`, `Version:`) and the PGP CRC24 line (`=AbCd`).
        if line.contains(':') || (line.starts_with('=') && line.len() <= 6) {
            continue;
        }
        body.extend(
            line.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/')),
        );
    }
    let label = &text[after_begin..label_end - 5];
    // Traditional OpenSSL encryption (`Proc-Type: 4,ENCRYPTED`) encrypts the DER: the body is
    // ciphertext with no structure to check.
    let encrypted_body = region.contains("ENCRYPTED");
    match STANDARD_NO_PAD.decode(body.trim_end_matches('=')) {
        Ok(decoded) if decoded.len() >= 32 && encrypted_body => Verdict::ok("decoded encrypted"),
        Ok(decoded) if decoded.len() >= 32 => key_structure(label, &decoded),
        _ => Verdict::Reject,
    }
}

/// Checks that a decoded key body has its format's structure: `openssh-key-v1` for OpenSSH
/// keys, a DER SEQUENCE whose length prefix covers the body for PKCS#1, PKCS#8 and SEC 1 keys.
/// PGP blocks are OpenPGP packets, not DER: decoding is all that is checked.
fn key_structure(label: &str, decoded: &[u8]) -> Verdict {
    if label.contains("PGP") {
        return Verdict::ok("decoded");
    }
    if label.contains("OPENSSH") {
        return if decoded.starts_with(b"openssh-key-v1\0") {
            Verdict::ok("openssh-key-v1")
        } else {
            Verdict::Reject
        };
    }
    // DER: 0x30, then a short length (< 0x80) or 0x81..=0x84 and that many length bytes.
    let (Some(&0x30), Some(&first)) = (decoded.first(), decoded.get(1)) else {
        return Verdict::Reject;
    };
    let (length, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if !(1..=4).contains(&count) || decoded.len() < 2 + count {
            return Verdict::Reject;
        }
        let length = decoded[2..2 + count]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (length, 2 + count)
    };
    // Base64 padding can leave up to two stray bytes; anything else means a cut or fake body.
    let total = header + length;
    if total <= decoded.len() && decoded.len() - total <= 2 {
        Verdict::ok("der-ok")
    } else {
        Verdict::Reject
    }
}

/// Words that mark a value as a placeholder rather than a secret (lowercase).
const PLACEHOLDER_WORDS: &[&str] = &[
    "your",
    "example",
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "placeholder",
    "redacted",
    "dummy",
    "sample",
    "fake",
    "mock",
    "xxxx",
    "****",
    "....",
    "todo",
    "fixme",
    "replace",
    "insert",
    "password",
    "passwd",
    "secret",
    "undefined",
    "null",
    "none",
    "true",
    "false",
    "qwerty",
    "12345678",
    "abcdefgh",
    "process.env",
    "os.environ",
    "getenv",
    "env[",
    "env.",
    "config.",
    "settings.",
    "secrets.",
    "vault:",
];

/// Rejects values that are not literal secrets: placeholders (`your_api_key_here`, `xxxx`,
/// `changeme`), templates (`${VAR}`, `{{ var }}`, `<token>`, `%s`), variable and environment
/// lookups (`os.environ[...]`, `process.env.X`, `self.password`, `DB_PASSWORD`), and strings of
/// repeated or sequential characters.
fn check_placeholder(secret: &[u8]) -> Verdict {
    let Ok(text) = std::str::from_utf8(secret) else {
        return Verdict::ok("literal");
    };
    let lower = text.to_ascii_lowercase();
    let templated = ["${", "{{", "}}", "$(", "#{", "%s", "%(", "%d"]
        .iter()
        .any(|t| lower.contains(t))
        || lower.starts_with('$')
        || lower.starts_with('%') && lower.ends_with('%')
        || lower.starts_with('<') && lower.ends_with('>')
        || lower.starts_with('[') && lower.ends_with(']')
        || lower.contains('(') && lower.contains(')');
    if templated
        || PLACEHOLDER_WORDS
            .iter()
            .any(|word| has_placeholder_word(&lower, word))
    {
        return Verdict::Reject;
    }
    // An identifier path (`self.token`, `settings.API_KEY`, `config.apiKey`) or an environment
    // variable name. Random strings that happen to hold dots (`tBlYDs8A8V.cEn9a`) are not: a
    // name is snake_case, SCREAMING_CASE or camelCase with at most two digits.
    let looks_like_name = |part: &str| {
        let digits = part.chars().filter(char::is_ascii_digit).count();
        let lower = part.chars().filter(char::is_ascii_lowercase).count();
        let upper = part.chars().filter(char::is_ascii_uppercase).count();
        let camel = part.starts_with(|c: char| c.is_ascii_lowercase()) && upper <= 3;
        part.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && digits <= 2
            && (upper == 0 || lower == 0 || camel)
    };
    if text.contains('.') && text.split('.').all(looks_like_name) {
        return Verdict::Reject;
    }
    if text.contains('_')
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        return Verdict::Reject;
    }
    if is_repetitive(secret) || is_keyboard_walk(secret) || low_entropy_for_its_class(secret) {
        return Verdict::Reject;
    }
    Verdict::ok("literal")
}

/// Fewest bits per character, as a share of the most the value's characters allow, that a
/// literal secret has. Random tokens score 0.85–1; `hunter2hunter2` 0.73; fixtures such as
/// `abab12abab12` under 0.6.
const MIN_RELATIVE_ENTROPY: f64 = 0.65;

/// Whether `secret` is far less random than its character class allows. An absolute entropy
/// bar cannot tell: 32 hex digits top out at 4 bits per character, mixed-case text at 6, so a
/// bar that rejects patterned mixed-case text also rejects every random hex key. Here the
/// bar is relative to `log2` of the class size, capped by the length. The class is the union
/// of the groups the value draws on: digits (10), lowercase letters (6 if only `a-f`, else 26),
/// uppercase likewise, and each distinct other character, so lowercase hex is 16 and a
/// `hex:hex` pair 17.
fn low_entropy_for_its_class(secret: &[u8]) -> bool {
    if secret.len() < 8 {
        return false;
    }
    let letters = |range: std::ops::RangeInclusive<u8>, hex: std::ops::RangeInclusive<u8>| {
        let mut used = secret.iter().filter(|b| range.contains(b)).peekable();
        if used.peek().is_none() {
            0
        } else if used.all(|b| hex.contains(b)) {
            6
        } else {
            26
        }
    };
    let mut others = [false; 256];
    for &b in secret.iter().filter(|b| !b.is_ascii_alphanumeric()) {
        others[b as usize] = true;
    }
    let class = letters(b'a'..=b'z', b'a'..=b'f')
        + letters(b'A'..=b'Z', b'A'..=b'F')
        + if secret.iter().any(u8::is_ascii_digit) {
            10
        } else {
            0
        }
        + others.iter().filter(|&&seen| seen).count();
    let most = (class.min(secret.len()) as f64).log2();
    let actual = f64::from(entropy::shannon_entropy(secret));
    actual < MIN_RELATIVE_ENTROPY * most
}

/// Rows of a US keyboard, for spotting keyboard walks.
const KEYBOARD_ROWS: [&[u8]; 4] = [
    b"1234567890-=",
    b"qwertyuiop[]",
    b"asdfghjkl;'",
    b"zxcvbnm,./",
];

/// Whether most steps of `secret` go to a neighbouring key (`qwertyuiop`, `1qaz2wsx`,
/// `zaq12wsx`): a typed pattern, not a random secret.
fn is_keyboard_walk(secret: &[u8]) -> bool {
    if secret.len() < 8 {
        return false;
    }
    let position = |b: u8| {
        let b = b.to_ascii_lowercase();
        KEYBOARD_ROWS.iter().enumerate().find_map(|(row, keys)| {
            keys.iter()
                .position(|&k| k == b)
                .map(|col| (row as i32, col as i32))
        })
    };
    let neighbours = secret
        .windows(2)
        .filter(|pair| match (position(pair[0]), position(pair[1])) {
            // Rows are staggered: a key touches the two keys below it at columns c-1 and c.
            (Some((r1, c1)), Some((r2, c2))) => match r2 - r1 {
                0 => (c2 - c1).abs() == 1,
                1 => c2 == c1 || c2 == c1 - 1,
                -1 => c2 == c1 || c2 == c1 + 1,
                _ => false,
            },
            _ => false,
        })
        .count();
    neighbours * 4 >= (secret.len() - 1) * 3
}

/// Values longer than this are random-looking tokens: a short placeholder word inside one counts
/// only when it stands apart (`my-mock-key`), not when it happens to appear (`...xMockQ3...`).
const SHORT_VALUE: usize = 24;

/// Whether `word` marks `lower` (a lowercased value) as a placeholder.
fn has_placeholder_word(lower: &str, word: &str) -> bool {
    if lower.len() <= SHORT_VALUE {
        return lower.contains(word);
    }
    let bytes = lower.as_bytes();
    lower.match_indices(word).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + word.len()).copied();
        let apart = |b: Option<u8>| b.is_none_or(|b| !b.is_ascii_alphanumeric());
        // Words of 6+ letters (`example`, `placeholder`) are unlikely by chance and always
        // count, as do words made of punctuation (`****`, `....`); short ones (`mock`, `null`)
        // only when they stand apart.
        word.len() >= 6
            || !word.bytes().any(|b| b.is_ascii_alphanumeric())
            || (apart(before) && apart(after))
    })
}

/// Mostly one character, a run of consecutive characters (`abcdef`, `98765`), or a short
/// unit repeated three times or more (`deadbeefdeadbeefdeadbeef`).
fn is_repetitive(secret: &[u8]) -> bool {
    let repeated_unit = (1..=secret.len() / 3)
        .any(|period| secret.iter().zip(&secret[period..]).all(|(a, b)| a == b));
    if repeated_unit {
        return true;
    }
    let mut counts = [0usize; 256];
    for &b in secret {
        counts[b as usize] += 1;
    }
    let most = counts.iter().max().copied().unwrap_or(0);
    if most * 2 > secret.len() || counts.iter().filter(|&&n| n > 0).count() < 4 {
        return true;
    }
    let steps: Vec<i16> = secret
        .windows(2)
        .map(|w| i16::from(w[1]) - i16::from(w[0]))
        .collect();
    steps.len() >= 5 && (steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github_token(body: &str) -> String {
        format!("ghp_{body}{}", base62(crc32fast::hash(body.as_bytes()), 6))
    }

    #[test]
    fn base62_pads_and_encodes() {
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 2), "0z");
        assert_eq!(base62(62, 2), "10");
        assert_eq!(base62(u32::MAX, 6), "4gfFC3");
    }

    #[test]
    fn crc32_checksums() {
        let good = github_token("aBcDeFgHiJkLmNoPqRsTuVwXyZ0123");
        assert_eq!(
            Validator::GithubCrc32.check(good.as_bytes()),
            Verdict::ok("checksum-ok")
        );
        let mut bad = good.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(Validator::GithubCrc32.check(&bad), Verdict::Reject);
        assert_eq!(Validator::NpmCrc32.check(b"npm_short"), Verdict::Reject);
    }

    #[test]
    fn cloudflare_checksums_cover_the_head_or_the_body() {
        let body = "NVpSkxkBHPjg0CDaOpiGR8n6gdCHG2GSaR9ZDrqT";
        let over_head = format!(
            "cfut_{body}{:08x}",
            crc32fast::hash(format!("cfut_{body}").as_bytes())
        );
        let over_body = format!("cfat_{body}{:08X}", crc32fast::hash(body.as_bytes()));
        for good in [&over_head, &over_body] {
            assert_eq!(
                Validator::CloudflareCrc32.check(good.as_bytes()),
                Verdict::ok("checksum-ok"),
                "{good}"
            );
        }
        let wrong = format!("cfk_{body}{:08x}", crc32fast::hash(body.as_bytes()) ^ 1);
        assert_eq!(
            Validator::CloudflareCrc32.check(wrong.as_bytes()),
            Verdict::Reject
        );
        assert_eq!(
            Validator::CloudflareCrc32.check(b"cfk_abc"),
            Verdict::Reject
        );
        assert_eq!(
            Validator::CloudflareCrc32.check(format!("cfk_{body}zzzzzzzz").as_bytes()),
            Verdict::Reject
        );
    }

    #[test]
    fn aws_key_ids_decode_to_their_account() {
        // The example from the published research (split, so this file is not itself a finding).
        let key = concat!("ASIA", "Y34FZKBOKMUTVV7A");
        assert_eq!(
            check_aws_key_id(key.as_bytes()),
            Verdict::Accept(Cow::Owned("account 609629065308".into()))
        );
        assert_eq!(check_aws_key_id(b"AKIAIOSFODNN7EXAMPLE"), Verdict::Reject);
    }

    /// An access key id of `account` (the decoding above, reversed), ending in `tail`.
    fn aws_key_of(account: u64, tail: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let bits = (account << 7 | 0x55) << 2;
        let middle: String = (0..10)
            .rev()
            .map(|i| ALPHABET[((bits >> (5 * i)) & 31) as usize] as char)
            .collect();
        format!("AKIA{middle}{tail}")
    }

    #[test]
    fn account_ids_have_twelve_digits() {
        // The largest 12-digit account and a small one (zero-padded) decode as such.
        let largest = aws_key_of(999_999_999_999, "QZ7M2K");
        assert_eq!(
            check_aws_key_id(largest.as_bytes()),
            Verdict::Accept(Cow::Owned("account 999999999999".into()))
        );
        let small = aws_key_of(42, "QZ7M2K");
        assert_eq!(
            check_aws_key_id(small.as_bytes()),
            Verdict::Accept(Cow::Owned("account 000000000042".into()))
        );
        // 40 decoded bits can exceed twelve digits; no AWS account has 13.
        for key in [
            aws_key_of(1_000_000_000_000, "QZ7M2K"),
            "AKIA7777777777777777".into(),
        ] {
            assert_eq!(
                check_aws_key_id(key.as_bytes()),
                Verdict::ok("unknown-account"),
                "{key}"
            );
        }
    }

    #[test]
    fn canary_token_accounts_are_named_as_such() {
        let canary = aws_key_of(52_310_077_262, "QZ7M2K");
        assert_eq!(
            check_aws_key_id(canary.as_bytes()),
            Verdict::Accept(Cow::Owned("account 052310077262 (canary token)".into()))
        );
        let ordinary = aws_key_of(123_456_789_012, "QZ7M2K");
        assert_eq!(
            check_aws_key_id(ordinary.as_bytes()),
            Verdict::Accept(Cow::Owned("account 123456789012".into()))
        );
    }

    #[test]
    fn jwt_expiry_is_reported() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        let old = URL_SAFE_NO_PAD.encode(br#"{"sub":"x","exp":1000000000}"#);
        let future = URL_SAFE_NO_PAD.encode(br#"{"sub":"x","exp":99999999999}"#);
        assert_eq!(
            Validator::Jwt.check(format!("{header}.{old}.sig").as_bytes()),
            Verdict::ok("expired")
        );
        assert_eq!(
            Validator::Jwt.check(format!("{header}.{future}.sig").as_bytes()),
            Verdict::ok("decoded")
        );
    }

    #[test]
    fn bech32_checksums() {
        // BIP-173's valid test vectors.
        for valid in [
            "A12UEL5L",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
            "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
        ] {
            assert_eq!(
                check_bech32(valid.as_bytes()),
                Verdict::ok("checksum-ok"),
                "{valid}"
            );
        }
        for invalid in [
            "A12UEL5M",
            "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx",
            "nosep",
            "x1b",
        ] {
            assert_eq!(
                check_bech32(invalid.as_bytes()),
                Verdict::Reject,
                "{invalid}"
            );
        }
    }

    #[test]
    fn jwt_structure() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let payload = URL_SAFE_NO_PAD.encode(br#"{"sub":"1234567890","name":"Jo"}"#);
        let cases = [
            (
                format!("{header}.{payload}.c2lnbmF0dXJl"),
                Verdict::ok("decoded"),
            ),
            (format!("{none}.{payload}."), Verdict::ok("alg-none")),
            (format!("{payload}.{payload}.sig"), Verdict::Reject),
            (format!("{header}.bm90IGpzb24.sig"), Verdict::Reject),
            ("eyJhbGciOi.eyJzdWIi.x".to_string(), Verdict::Reject),
        ];
        for (token, verdict) in cases {
            assert_eq!(Validator::Jwt.check(token.as_bytes()), verdict, "{token}");
        }
    }

    #[test]
    fn pem_bodies() {
        // A DER SEQUENCE of 118 bytes: the length prefix covers the body.
        let mut der = vec![0x30, 0x76];
        der.extend([7u8; 118]);
        let body = base64::engine::general_purpose::STANDARD.encode(&der);
        let (a, b) = body.split_at(64);
        let pem =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{a}\n{b}\n-----END RSA PRIVATE KEY-----");
        assert_eq!(Validator::Pem.check(pem.as_bytes()), Verdict::ok("der-ok"));
        let escaped = pem.replace('\n', "\\n");
        assert_eq!(
            Validator::Pem.check(escaped.as_bytes()),
            Verdict::ok("der-ok")
        );
        let one_line = pem.replace('\n', " ");
        assert_eq!(
            Validator::Pem.check(one_line.as_bytes()),
            Verdict::ok("der-ok")
        );
        // A body whose DER length does not cover it (cut or made up) is not a key.
        let mut short = der.clone();
        short[1] = 0x40;
        let cut = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
            base64::engine::general_purpose::STANDARD.encode(&short)
        );
        assert_eq!(Validator::Pem.check(cut.as_bytes()), Verdict::Reject);
        let openssh = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
            base64::engine::general_purpose::STANDARD
                .encode([b"openssh-key-v1\0".as_slice(), &[1u8; 40]].concat())
        );
        assert_eq!(
            Validator::Pem.check(openssh.as_bytes()),
            Verdict::ok("openssh-key-v1")
        );
        let placeholder = "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----";
        assert_eq!(
            Validator::Pem.check(placeholder.as_bytes()),
            Verdict::Reject
        );
    }

    #[test]
    fn placeholders_are_rejected_and_literals_kept() {
        let rejected = [
            "your_api_key_here",
            "xxxxxxxxxxxx",
            "${API_TOKEN}",
            "{{ token }}",
            "<token>",
            "changeme",
            "os.environ[\"TOKEN\"]",
            "process.env.TOKEN",
            "self.api_key",
            "DB_PASSWORD",
            "aaaaaaaaaaaa",
            "abcdefghij",
            "123456789",
            "%s",
            "$TOKEN",
            "getenv(\"X\")",
            "settings.SECRET_KEY",
            "this-is-an-example-secret-key-for-docs",
            "config.apiKey",
            "request.headers.authToken",
            "qwertyuiopasdfgh",
            "1qaz2wsx3edc4rfv",
            "zaq12wsxcde34rfv",
            "abab12abab12abab",
            "deadbeefdeadbeefdeadbeef",
            "1212121234343434",
        ];
        for value in rejected {
            assert_eq!(
                check_placeholder(value.as_bytes()),
                Verdict::Reject,
                "{value}"
            );
        }
        for value in [
            "hR7#kq2!Lm9zP",
            "s3cr1t-Pa55-w0rd-9f2e",
            "8f14e45fceea167a5a36dedd4bea2543",
            "tBlYDs8A8V.cEn9a",
            "k9XmockQ3vT7pL2wZ8nR4sB6yH1cF5dJ0gA",
            "7f3a9c1e5b8d2f6a4c0e9b7d3a1f5c8e2b6d4a0f",
            "hunter2hunter2",
            "s3cr3tP4ss",
            "93841275601938",
            "k8Qz2LmX9vBn4TpW7rYc",
        ] {
            assert_eq!(
                check_placeholder(value.as_bytes()),
                Verdict::ok("literal"),
                "{value}"
            );
        }
    }
}
