//! Checksums inside tokens: base62 CRC32 (GitHub classic, npm), a hex CRC32 suffix
//! (Cloudflare), bech32 (age secret keys).

use super::Verdict;

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
pub(super) fn check_crc32_base62(secret: &[u8]) -> Verdict {
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

/// A token ending in the 8-hex-digit CRC32 of what precedes it (Cloudflare's `cfut_` tokens).
/// Whether the prefix is covered is not published, so a checksum of the whole head or of the
/// part after the prefix both pass; a random suffix passes either by chance once in 2^31.
pub(super) fn check_crc32_hex_suffix(secret: &[u8]) -> Verdict {
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
/// BIP-173 bech32: the human-readable part, `1`, then data characters whose last six are a
/// checksum. age secret keys are bech32 (not bech32m) with the part `age-secret-key-`.
pub(super) fn check_bech32(secret: &[u8]) -> Verdict {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Validator;

    /// Any time: checksums do not depend on it.
    const NOW: i64 = 1_700_000_000;

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
            Validator::GithubCrc32.check(good.as_bytes(), NOW),
            Verdict::ok("checksum-ok")
        );
        let mut bad = good.clone().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(Validator::GithubCrc32.check(&bad, NOW), Verdict::Reject);
        assert_eq!(
            Validator::NpmCrc32.check(b"npm_short", NOW),
            Verdict::Reject
        );
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
                Validator::CloudflareCrc32.check(good.as_bytes(), NOW),
                Verdict::ok("checksum-ok"),
                "{good}"
            );
        }
        let wrong = format!("cfk_{body}{:08x}", crc32fast::hash(body.as_bytes()) ^ 1);
        assert_eq!(
            Validator::CloudflareCrc32.check(wrong.as_bytes(), NOW),
            Verdict::Reject
        );
        assert_eq!(
            Validator::CloudflareCrc32.check(b"cfk_abc", NOW),
            Verdict::Reject
        );
        assert_eq!(
            Validator::CloudflareCrc32.check(format!("cfk_{body}zzzzzzzz").as_bytes(), NOW),
            Verdict::Reject
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
}
