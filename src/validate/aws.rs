//! AWS access key ids: documentation keys are rejected, the account id is decoded, canary
//! accounts are named.

use std::borrow::Cow;

use super::Verdict;

/// The AWS account an access key ID belongs to: the ten base32 characters after the 4-character
/// prefix hold it, shifted by 7 bits (public research by Tal Be'ery, 2023). AWS's documentation
/// keys (`...EXAMPLE`) are rejected.
pub(super) fn check_aws_key_id(secret: &[u8]) -> Verdict {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
