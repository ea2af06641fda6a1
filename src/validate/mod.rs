//! Offline validators: structural checks on a secret that raise precision where a token format
//! allows it (a checksum, a decodable header). They never touch the network. A rule names its
//! validator; [`Validator::from_name`] maps the name to the check.
//!
//! A leaf layer: pure functions of the secret's bytes (and, for expiry, of the time the caller
//! passes in); nothing here imports another module of the crate, so `rule` and `engine` can both
//! use it. Each family lives in its own file: [`checksum`] (CRC32, bech32), [`jwt`], [`aws`],
//! [`pem`] and [`placeholder`]; [`examples`] knows the credentials vendors publish in their
//! documentation.

use std::borrow::Cow;

pub mod aws;
pub mod checksum;
pub mod examples;
pub mod jwt;
pub mod pem;
pub mod placeholder;

pub use checksum::base62;

impl Verdict {
    /// Accept with a fixed result.
    pub fn ok(result: &'static str) -> Verdict {
        Verdict::Accept(Cow::Borrowed(result))
    }

    /// Accept one severity lower, with a fixed result.
    pub fn lower(result: &'static str) -> Verdict {
        Verdict::Lower(Cow::Borrowed(result))
    }

    /// Accept at low confidence, with a fixed result.
    pub fn unverified(result: &'static str) -> Verdict {
        Verdict::Unverified(Cow::Borrowed(result))
    }
}

/// What a validator concluded about a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Keep the match; the string says what was established (`checksum-ok`, `alg-none`,
    /// `account 123456789012`, ...).
    Accept(Cow<'static, str>),
    /// Keep the match, one severity lower: a smaller leak of this kind (an expired JWT).
    Lower(Cow<'static, str>),
    /// Keep the match at low confidence: it has the kind's form but its structure check failed
    /// (a private key cut short or re-wrapped by hand still leaks most of the key).
    Unverified(Cow<'static, str>),
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
    /// Grafana legacy API keys: base64 of a JSON object with `k`, `n` and a numeric `id`.
    GrafanaLegacy,
}

impl Validator {
    /// Every validator name, as used in rule files.
    pub const NAMES: [&'static str; 9] = [
        "aws-key-id",
        "grafana-legacy",
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
            "grafana-legacy" => Some(Validator::GrafanaLegacy),
            _ => None,
        }
    }

    /// Whether the validator checks the value's own structure (a checksum, a decodable header,
    /// a key's encoding), which makes a finding `high` confidence. The placeholder screen only
    /// rules out what is not a secret.
    pub fn checks_structure(self) -> bool {
        self != Validator::Placeholder
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
            Validator::GrafanaLegacy => "grafana-legacy",
        }
    }

    /// Checks one secret. `now` is the current time in seconds since the Unix epoch, supplied by
    /// the caller (the engine reads the clock; tests pass a fixed time): a JWT whose `exp` lies
    /// before it is reported as expired.
    pub fn check(self, secret: &[u8], now: i64) -> Verdict {
        match self {
            Validator::GithubCrc32 | Validator::NpmCrc32 => checksum::check_crc32_base62(secret),
            Validator::CloudflareCrc32 => checksum::check_crc32_hex_suffix(secret),
            Validator::Jwt => jwt::check_jwt(secret, now),
            Validator::Pem => pem::check_pem(secret),
            Validator::Placeholder => placeholder::check_placeholder(secret),
            Validator::Bech32 => checksum::check_bech32(secret),
            Validator::AwsKeyId => aws::check_aws_key_id(secret),
            Validator::GrafanaLegacy => jwt::check_grafana_legacy_key(secret),
        }
    }
}

/// The current time in seconds since the Unix epoch (0 if the clock is before it), for callers
/// of [`Validator::check`].
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}
