//! Inline allow comments: a line holding `leakhound:allow` is not reported. For teams moving
//! from other tools, `gitleaks:allow` and detect-secrets' `pragma: allowlist secret` count too.

use aho_corasick::AhoCorasick;
use std::sync::OnceLock;

/// The markers that allow the line they are on.
pub const ALLOW_MARKERS: [&str; 3] = [
    "leakhound:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];

fn markers() -> &'static AhoCorasick {
    static MARKERS: OnceLock<AhoCorasick> = OnceLock::new();
    MARKERS.get_or_init(|| {
        AhoCorasick::new(ALLOW_MARKERS).expect("three short literal patterns build")
    })
}

/// Whether the line holding byte `offset` of `bytes` carries an allow marker.
pub fn line_is_allowed(bytes: &[u8], offset: usize) -> bool {
    let offset = offset.min(bytes.len());
    let start = memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |i| i + 1);
    let end = memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |i| offset + i);
    markers().is_match(&bytes[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_allow_only_their_own_line() {
        let text = b"a = 1\ntoken = 'x' # leakhound:allow\nb = 'y'\nc = 'z' // gitleaks:allow\n";
        assert!(line_is_allowed(text, 10));
        assert!(!line_is_allowed(text, 2));
        assert!(!line_is_allowed(text, 40));
        assert!(line_is_allowed(text, 48));
    }
}
