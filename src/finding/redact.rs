//! [`Secret`]: the raw bytes of a found secret, which print redacted. The raw bytes come out
//! only through [`Secret::expose`], which reporters call only under `--show-secrets`.

/// A secret found in a chunk. `Debug` and `Display` print the redacted form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps raw secret bytes.
    pub fn new(bytes: Vec<u8>) -> Secret {
        Secret(bytes)
    }

    /// The raw bytes. Call only to print under `--show-secrets`, to derive a fingerprint, or to
    /// compare in memory.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The redacted form: see [`Secret::redact_bytes`].
    pub fn redacted(&self) -> String {
        Secret::redact_bytes(&self.0)
    }

    /// Redacts `secret`: keeps a short, non-secret prefix and the length in characters, as in
    /// `ghp_****(40)` or `AKIA****(20)`. The prefix is the token's type marker when it has one
    /// (the text up to a `_`, `-` or `.` within the first 12 characters, such as `ghp_`,
    /// `github_pat_`, `xoxb-`), otherwise at most 4 characters and never more than a fifth of
    /// the secret; secrets under 20 characters (passwords, short keys) keep nothing.
    pub fn redact_bytes(secret: &[u8]) -> String {
        let text = String::from_utf8_lossy(secret);
        let chars: Vec<char> = text.chars().collect();
        let length = chars.len();
        let mut keep = if length < 20 { 0 } else { (length / 5).min(4) };
        // A type marker such as `ghp_` or `github_pat_` ends at the last separator among the
        // first 12 characters; it may be longer than a quarter of the secret only if at least
        // 16 characters stay hidden.
        if let Some(at) = chars
            .iter()
            .take(12)
            .rposition(|c| matches!(c, '_' | '-' | '.'))
        {
            let marker = &chars[..=at];
            let looks_like_marker = marker
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if looks_like_marker && length >= at + 1 + 16 {
                keep = at + 1;
            }
        }
        // Keep only printable ASCII in the visible part.
        let visible: String = chars[..keep]
            .iter()
            .take_while(|c| c.is_ascii_graphic())
            .collect();
        format!("{visible}****({length})")
    }
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
            ("xoxb-1234-5678-abcdefghijklmnop", "xoxb-1234-****(31)"),
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

    #[test]
    fn debug_and_display_never_show_the_secret() {
        let secret = Secret::new(b"ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789".to_vec());
        assert!(!format!("{secret:?}").contains("aBcDeF"));
        assert!(!format!("{secret}").contains("aBcDeF"));
        assert_eq!(secret.expose().len(), 40);
    }
}
