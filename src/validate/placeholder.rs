//! Placeholders: values of generic assignments that are templates, lookups, placeholder words
//! or patterned strings rather than literal secrets.

use super::Verdict;

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
    // "Password" and "secret" in other languages, as documentation in them writes examples
    // (`passwd='geheim$parole'`).
    "passwort",
    "kennwort",
    "geheim",
    "parole",
    "motdepasse",
    "contrasena",
    "wachtwoord",
    "salasana",
    "losenord",
    "haslo",
    "senha",
    "credential",
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
pub(super) fn check_placeholder(secret: &[u8]) -> Verdict {
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
        || lower.contains('(') && lower.contains(')')
        // A wildcard pattern (`*all*tokens*updated*`), as chat scripts and globs write them.
        || lower.len() > 2 && lower.starts_with('*') && lower.ends_with('*');
    if templated
        || PLACEHOLDER_WORDS
            .iter()
            .any(|word| has_placeholder_word(&lower, word))
        || is_spelled_out_word(&lower)
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
    if is_aws_unique_id(secret)
        || is_host_name(text)
        || is_repetitive(secret)
        || is_keyboard_walk(secret)
        || low_entropy_for_its_class(secret)
        || is_camel_case_words(text)
    {
        return Verdict::Reject;
    }
    Verdict::ok("literal")
}

/// Whether `secret`, in a vendor's shape, is a value made up for documentation: its random
/// part spelled `EXAMPLE` (as AWS writes `AKIA...EXAMPLE`) or counting `1234567890`. A random
/// token holds either by chance less than once in 10^15 tokens. (The values vendors really
/// publish are told apart first, by [`super::examples`], and reported at `info`.)
pub fn is_documentation_value(secret: &[u8]) -> bool {
    let holds = |needle: &[u8]| secret.windows(needle.len()).any(|w| w == needle);
    // The count also when written in groups: `12-3456-7890`, `123456_789012`, `12345678:90`.
    let digits_and_letters: Vec<u8> = secret
        .iter()
        .copied()
        .filter(|b| !matches!(b, b'-' | b'_' | b':' | b'.'))
        .collect();
    holds(b"EXAMPLE")
        || secret.ends_with(b"example")
        || digits_and_letters
            .windows(10)
            .any(|window| window == b"1234567890")
}

/// Prefixes of AWS's unique identifiers for roles, users, groups, policies, instance profiles
/// and certificates, and of access key ids: they name a resource and are printed by every
/// `describe` call; the secret is elsewhere.
const AWS_UNIQUE_ID_PREFIXES: &[&[u8]] = &[
    b"AROA", b"AIDA", b"AGPA", b"ANPA", b"ANVA", b"AIPA", b"ASCA", b"APKA", b"AKIA", b"ASIA",
    b"ABIA", b"ACCA",
];

/// Whether `secret` is an AWS unique identifier (`AROA` + 16 characters), well-formed or not:
/// under a key such as `AWS_SECRET` it is still a name, never a generic secret.
fn is_aws_unique_id(secret: &[u8]) -> bool {
    (16..=24).contains(&secret.len())
        && AWS_UNIQUE_ID_PREFIXES
            .iter()
            .any(|prefix| secret.starts_with(prefix))
        && secret.iter().all(u8::is_ascii_alphanumeric)
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

/// Whether `text` is letters only and reads as CamelCase words (`SharedAccessSignature`,
/// `VisualCrossingWebServices`): an identifier, not a key. Each word is a capital and two or
/// more small letters (the first may be small); random letters almost never fall that way.
fn is_camel_case_words(text: &str) -> bool {
    if text.len() < 8 || !text.bytes().all(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let starts: Vec<usize> = text
        .bytes()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_uppercase())
        .map(|(at, _)| at)
        .collect();
    if starts.len() < 2 {
        return false;
    }
    let mut bounds = starts.clone();
    if bounds[0] != 0 {
        bounds.insert(0, 0);
    }
    bounds.push(text.len());
    bounds.windows(2).all(|word| word[1] - word[0] >= 3)
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

/// A placeholder word spelled with separators (`pass/word`, `pass-word`, `s.e.c.r.e.t`): a
/// short value that is nothing but one of the words once its punctuation is taken out.
fn is_spelled_out_word(lower: &str) -> bool {
    if lower.len() > SHORT_VALUE || lower.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let letters: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    PLACEHOLDER_WORDS.contains(&letters.as_str())
}

/// Whether `secret` ends in base64 padding (`=`) yet cannot be base64: a length that is not a
/// multiple of 4, padding in the middle, or both alphabets at once (`+`/`/` with `-`). A key
/// stored padded is whole bytes; one of these is cut short or made up. (`_` is left out: it
/// joins a vendor's prefix to a standard base64 key, `private_...+...=`.) Only generic findings
/// are screened so: a vendor rule knows its value is a key, and part of a key is still a leak.
pub fn is_broken_padded_base64(secret: &[u8]) -> bool {
    let body = secret
        .strip_suffix(b"==")
        .or_else(|| secret.strip_suffix(b"="));
    let Some(body) = body else {
        return false;
    };
    let base64_bytes = |b: &u8| b.is_ascii_alphanumeric() || b"+/-_=".contains(b);
    if body.len() < 16 || !secret.iter().all(base64_bytes) {
        return false;
    }
    let standard = body.iter().any(|b| b"+/".contains(b));
    let url_safe = body.contains(&b'-');
    !secret.len().is_multiple_of(4) || body.contains(&b'=') || standard && url_safe
}

/// Whether `text` is a host name (`acme.openai.azure.com`): three or more dot-separated labels
/// of letters, digits, dashes and underscores, the last one lowercase letters only. A value that names a server is
/// configuration, not its credential.
fn is_host_name(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    labels.len() >= 3
        && labels.iter().all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && labels.last().is_some_and(|tld| {
            (2..=12).contains(&tld.len()) && tld.bytes().all(|b| b.is_ascii_lowercase())
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

    #[test]
    fn documentation_values_are_told_from_random_tokens() {
        for made_up in [
            concat!("squ_0f3a9c1b7e2d4f6a8c0e2", "b4d6f8a0c2EXAMPLE"),
            concat!("pul-12345678901234567890", "12345678901234567890"),
            "xyz_4fJq9Lw2Rt8Vn3Kc7Hs1example",
        ] {
            assert!(is_documentation_value(made_up.as_bytes()), "{made_up}");
        }
        // Split, so that this repository's own scan does not report them.
        for random in [
            concat!("squ_0f3a9c1b7e2d4f6a8c0e2", "b4d6f8a0c2e4b6d8f0"),
            concat!("pul-8d6e7f20b3c14a5988e2d7", "1f0c4b3a9256e17d08"),
            "Example_4fJq9Lw2Rt8Vn3Kc7Hs1",
        ] {
            assert!(!is_documentation_value(random.as_bytes()), "{random}");
        }
    }

    #[test]
    fn aws_unique_ids_are_names_not_secrets() {
        for id in [
            "AROA829VDW4BMTDP5SPQ",
            "AGPAVZKJVAUKq3RHY531",
            "AIDAJQABLZS4A3QDU576",
        ] {
            assert_eq!(check_placeholder(id.as_bytes()), Verdict::Reject, "{id}");
        }
        // A random secret that only opens with the letters is longer or holds other bytes.
        for secret in ["AROAk8Jd9/Lq2mZx7Pw4Rt6Yv", "AGPA-Zq8wLm3Rt7Yp2Kx9"] {
            assert_ne!(
                check_placeholder(secret.as_bytes()),
                Verdict::Reject,
                "{secret}"
            );
        }
    }

    #[test]
    fn padded_base64_that_cannot_decode_is_no_key() {
        for broken in [
            "jlq1o5By2KUUJjz+z6yFyg6uvFLi+l3hrDvuEauNLV=",
            "HvptvErk2m0PR6MHythsr-3fB0e+mulE6hsS+OauLVX=",
            "Zm9vYmFy=YmF6cXV4cXV1eA==",
        ] {
            assert!(is_broken_padded_base64(broken.as_bytes()), "{broken}");
        }
        for whole in [
            "jlq1o5By2KUUJjz+z6yFyg6uvFLi+l3hrDvuEauNLVk=",
            "dGhpcy1pcy1hLXVybC1zYWZlLWtleQ==",
            "kQzRtPwXvYbNmLsJ",
            "s3cr3t-Passw0rd=",
        ] {
            assert!(!is_broken_padded_base64(whole.as_bytes()), "{whole}");
        }
    }

    #[test]
    fn host_names_are_configuration() {
        for host in [
            "eiz4lw9a-5wk2w34.openai.azure.com",
            "db1.prod.acme-corp.net",
        ] {
            assert_eq!(
                check_placeholder(host.as_bytes()),
                Verdict::Reject,
                "{host}"
            );
        }
        for secret in [
            "tBlYDs8A8V.cEn9a.Kx7Q2",
            "eyJhbGciOi.eyJzdWIi.c2lnbmF0dXJl",
            "a.b",
        ] {
            assert!(!is_host_name(secret), "{secret}");
        }
    }

    #[test]
    fn counting_digits_mark_documentation_even_in_groups() {
        for value in [
            "figd_12-3456-7890-1234-567890123456",
            "search-123456_789012-345678",
            "12345678:90123456",
            "AKIAIOSFODNN7EXAMPLE",
        ] {
            assert!(is_documentation_value(value.as_bytes()), "{value}");
        }
        for value in ["x9-3456-7890-1234", "k3J9-q2Lm-8PzW-r4Tx"] {
            assert!(!is_documentation_value(value.as_bytes()), "{value}");
        }
    }

    #[test]
    fn camel_case_words_are_identifiers_and_random_letters_are_not() {
        for name in [
            "SharedAccessSignature",
            "VisualCrossingWebServices",
            "getAccessToken",
        ] {
            assert_eq!(
                check_placeholder(name.as_bytes()),
                Verdict::Reject,
                "{name}"
            );
        }
        for token in ["kQzRtPwXvYbNmLsJ", "AbcDefGhQ", "xKcvQmTrPlWsZnBy"] {
            assert!(!is_camel_case_words(token), "{token}");
        }
        // Every random 20-letter string of a seeded generator that is CamelCase words: rare.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut camel = 0;
        for _ in 0..10_000 {
            let word: String = (0..20)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let n = (state % 52) as u8;
                    if n < 26 {
                        (b'a' + n) as char
                    } else {
                        (b'A' + n - 26) as char
                    }
                })
                .collect();
            camel += usize::from(is_camel_case_words(&word));
        }
        assert!(
            camel < 20,
            "{camel} of 10,000 random letter strings read as words"
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
            "pass/word",
            "p.a.s.s.w.o.r.d",
            "*all*authentication*tokens*updated*",
            "geheim$parole",
            "MeinKennwort42",
            "acme/home#assets/registry-credentials",
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
            "pass/w0rd-7Qk",
            "*h7Qk2mZ9vB",
        ] {
            assert_eq!(
                check_placeholder(value.as_bytes()),
                Verdict::ok("literal"),
                "{value}"
            );
        }
    }
}
