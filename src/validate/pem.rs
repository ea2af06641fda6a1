//! PEM private key blocks: the body decodes and has its key format's structure.

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine as _;

use super::Verdict;

/// Decodes the body of a PEM block. Tolerates the body being inside a JSON or code string
/// (`\n` escapes, quotes and `+` concatenation), a block collapsed onto one line (newlines
/// turned into spaces, as in environment variables), and header fields such as `DEK-Info:`.
pub(super) fn check_pem(secret: &[u8]) -> Verdict {
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
    if is_placeholder_body(&body) {
        return Verdict::Reject;
    }
    let verdict = match STANDARD_NO_PAD.decode(body.trim_end_matches('=')) {
        Ok(_) if encrypted_body => Verdict::ok("decoded encrypted"),
        Ok(decoded) => key_structure(label, &decoded),
        Err(_) => Verdict::Reject,
    };
    // Keys are cut short, re-wrapped and hand-edited in the wild and still leak most of the
    // key: a body that fails its check is reported at low confidence, never hidden.
    match verdict {
        Verdict::Reject => Verdict::unverified("structure-unverified"),
        verdict => verdict,
    }
}

/// Fewest base64 characters a key body has: the smallest keys (Ed25519 in PKCS#8) take 64.
const MIN_BODY_CHARS: usize = 40;

/// Whether a block's body is a stand-in rather than key material: too short to be a key
/// (`MIIE...`, `<key>`), words (`YOUR_PRIVATE_KEY_HERE`), or far less random than base64.
fn is_placeholder_body(body: &str) -> bool {
    if body.len() < MIN_BODY_CHARS {
        return true;
    }
    // Words in a short body; a real RSA body of 1,600 characters holds `here` by chance once
    // in a few hundred keys, so long bodies are not screened for words.
    if body.len() < 200 {
        let lower = body.to_ascii_lowercase();
        let words = [
            "your",
            "here",
            "replace",
            "insert",
            "redacted",
            "example",
            "placeholder",
        ];
        if words.iter().any(|word| lower.contains(word)) {
            return true;
        }
    }
    // Random base64 carries close to 6 bits per character; `AAAA...` or `abcabc...` do not.
    let entropy = f64::from(entropy::shannon_entropy(body.as_bytes()));
    entropy < 4.0
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Validator;

    /// Any time: PEM blocks do not depend on it.
    const NOW: i64 = 1_700_000_000;

    #[test]
    fn pem_bodies() {
        // A DER SEQUENCE of 118 bytes: the length prefix covers the body, which varies as key
        // material does (a body of one repeated byte is a stand-in).
        let mut der = vec![0x30, 0x76];
        der.extend((0..118u32).map(|i| (i * 37 + 11) as u8));
        let body = base64::engine::general_purpose::STANDARD.encode(&der);
        let (a, b) = body.split_at(64);
        let pem =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{a}\n{b}\n-----END RSA PRIVATE KEY-----");
        assert_eq!(
            Validator::Pem.check(pem.as_bytes(), NOW),
            Verdict::ok("der-ok")
        );
        let escaped = pem.replace('\n', "\\n");
        assert_eq!(
            Validator::Pem.check(escaped.as_bytes(), NOW),
            Verdict::ok("der-ok")
        );
        let one_line = pem.replace('\n', " ");
        assert_eq!(
            Validator::Pem.check(one_line.as_bytes(), NOW),
            Verdict::ok("der-ok")
        );
        // A body whose DER length does not cover it (cut short, or made up) is still reported,
        // at low confidence.
        let mut short = der.clone();
        short[1] = 0x40;
        let cut = format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n-----END RSA PRIVATE KEY-----",
            base64::engine::general_purpose::STANDARD.encode(&short)
        );
        assert_eq!(
            Validator::Pem.check(cut.as_bytes(), NOW),
            Verdict::unverified("structure-unverified")
        );
        let openssh = format!(
            "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
            base64::engine::general_purpose::STANDARD.encode(
                [
                    b"openssh-key-v1\0".to_vec(),
                    (0..40u8).map(|i| i.wrapping_mul(7)).collect()
                ]
                .concat()
            )
        );
        assert_eq!(
            Validator::Pem.check(openssh.as_bytes(), NOW),
            Verdict::ok("openssh-key-v1")
        );
        for placeholder in [
            "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----".to_string(),
            "-----BEGIN RSA PRIVATE KEY-----\nYOUR_PRIVATE_KEY_GOES_HERE_REPLACE_WITH_THE_REAL_ONE\n-----END RSA PRIVATE KEY-----".to_string(),
            format!("-----BEGIN RSA PRIVATE KEY-----\nMIIE{}\n-----END RSA PRIVATE KEY-----", "A".repeat(200)),
        ] {
            assert_eq!(
                Validator::Pem.check(placeholder.as_bytes(), NOW),
                Verdict::Reject,
                "{placeholder}"
            );
        }
    }
}
