//! JSON Web Tokens: the header and payload decode to JSON objects, the header names an `alg`;
//! `alg: none` and an `exp` in the past are reported.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::Verdict;

fn decode_base64url(part: &[u8]) -> Option<Vec<u8>> {
    let trimmed = part
        .strip_suffix(b"==")
        .or_else(|| part.strip_suffix(b"="))
        .unwrap_or(part);
    URL_SAFE_NO_PAD.decode(trimmed).ok()
}
/// A JWT's structure; `now` (seconds since the Unix epoch) decides whether its `exp` has passed.
pub(super) fn check_jwt(secret: &[u8], now: i64) -> Verdict {
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
        .is_some_and(|exp| exp < now as f64);
    let alg = header
        .as_ref()
        .and_then(|h| h.get("alg"))
        .and_then(|alg| alg.as_str());
    match alg {
        // An expired token is still a leak (it shows the signing key's reach, and some servers
        // skip `exp`), but a smaller one.
        Some(alg) if payload_is_object && alg.eq_ignore_ascii_case("none") => {
            if expired {
                Verdict::lower("alg-none expired")
            } else {
                Verdict::ok("alg-none")
            }
        }
        Some(_) if payload_is_object && expired => Verdict::lower("expired"),
        Some(_) if payload_is_object => Verdict::ok("decoded"),
        _ => Verdict::Reject,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Validator;

    /// 2023-11-14: after the old token's `exp`, before the future one's.
    const NOW: i64 = 1_700_000_000;

    #[test]
    fn jwt_expiry_is_reported() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        let old = URL_SAFE_NO_PAD.encode(br#"{"sub":"x","exp":1000000000}"#);
        let future = URL_SAFE_NO_PAD.encode(br#"{"sub":"x","exp":99999999999}"#);
        assert_eq!(
            Validator::Jwt.check(format!("{header}.{old}.sig").as_bytes(), NOW),
            Verdict::lower("expired")
        );
        assert_eq!(
            Validator::Jwt.check(format!("{header}.{future}.sig").as_bytes(), NOW),
            Verdict::ok("decoded")
        );
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
            assert_eq!(
                Validator::Jwt.check(token.as_bytes(), NOW),
                verdict,
                "{token}"
            );
        }
    }
}
