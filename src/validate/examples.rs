//! Credentials that vendors publish in their documentation (AWS's example key pair, jwt.io's
//! demo token, Stripe's documented test keys, Slack's example bot token). They are in
//! countless READMEs and tutorials and unlock nothing: a finding of one is documentation, kept
//! at `info` with a note, never a leak. Listed by SHA-256, so that this file does not itself
//! hold token-shaped strings for a scanner to find.

use sha2::{Digest, Sha256};

/// `(vendor, SHA-256 of the published value)`.
const PUBLISHED: &[(&str, &str)] = &[
    // AWS: the example secret access keys of the IAM and CLI documentation.
    (
        "AWS",
        "78314b11be2e581549ac1c4f616563fad3fdf0c3b71678f6e2299182080e0598",
    ),
    (
        "AWS",
        "e21b597ba6b9cafa59d9ebc4d65c0385f5eb3fa56abab2607fa76589ad849a33",
    ),
    // jwt.io: the HS256 "John Doe" token its debugger opens with.
    (
        "jwt.io",
        "7f75367e7881255134e1375e723d1dea8ad5f6a4fdb79d938df1f1754a830606",
    ),
    // Stripe: the test keys of the API reference's examples.
    (
        "Stripe",
        "2cafc0970149a84f3b9e62eaf169f36f59907a3b3e31f7b82e68c69cd27f7326",
    ),
    (
        "Stripe",
        "b1471f544ceeea31333bde7e1ecbaad6eac0d4a749412ad29bd66ef895b81c6b",
    ),
    (
        "Stripe",
        "f2d6ca16515033e5dce14eba840b979d27b5cbae24bb3e5bf484339667f86397",
    ),
    // Slack: the bot token of the API documentation's examples.
    (
        "Slack",
        "2ddc147f3a3b5a1722b8ed6be3c45c49a7156b17fca5d11410137a6d04def6eb",
    ),
];

/// The vendor whose documentation publishes `secret`, if one does.
pub fn published_example(secret: &[u8]) -> Option<&'static str> {
    // Every published value is 20 bytes or longer: shorter secrets skip the hash.
    if secret.len() < 20 {
        return None;
    }
    let digest = Sha256::digest(secret);
    // Compared digit by digit: no hex string is built for every match.
    let matches = |hash: &str| {
        hash.len() == 2 * digest.len()
            && digest
                .iter()
                .zip(hash.as_bytes().chunks(2))
                .all(|(byte, pair)| {
                    std::str::from_utf8(pair)
                        .ok()
                        .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                        == Some(*byte)
                })
    };
    PUBLISHED
        .iter()
        .find(|(_, hash)| matches(hash))
        .map(|(vendor, _)| *vendor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_examples_are_known_and_others_are_not() {
        // AWS's example secret key, spelled in pieces so this file holds no key-shaped string.
        let aws = ["wJalrXUtnFEMI", "/K7MDENG/", "bPxRfiCYEXAMPLEKEY"].concat();
        assert_eq!(published_example(aws.as_bytes()), Some("AWS"));
        let stripe = ["sk_", "test_", "4eC39HqLyjWDarjtT1zdp7dc"].concat();
        assert_eq!(published_example(stripe.as_bytes()), Some("Stripe"));
        let other = ["sk_", "test_", "4eC39HqLyjWDarjtT1zdp7dd"].concat();
        assert_eq!(published_example(other.as_bytes()), None);
        assert_eq!(published_example(b"short"), None);
    }
}
