//! JSON Web Tokens: the header and payload decode to JSON objects, the header names an `alg`;
//! `alg: none` and an `exp` in the past are reported. Also Grafana's legacy API keys, which are
//! one base64 JSON object.

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
/// A Grafana legacy API key: base64 of `{"k":"<key>","n":"<name>","id":<org>}`; high
/// confidence when it decodes so.
pub(super) fn check_grafana_legacy_key(secret: &[u8]) -> Verdict {
    let object = decode_base64url(secret)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok());
    let well_formed = object.is_some_and(|object| {
        object.get("k").is_some_and(serde_json::Value::is_string)
            && object.get("n").is_some_and(serde_json::Value::is_string)
            && object.get("id").is_some_and(serde_json::Value::is_number)
    });
    // The prefix and length identify the key; one that does not decode (cut short, made up
    // for a fixture) still has the key's form, at low confidence.
    if well_formed {
        Verdict::ok("decodes")
    } else {
        Verdict::unverified("does-not-decode")
    }
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
    fn grafana_legacy_keys_decode_to_their_object() {
        use base64::engine::general_purpose::STANDARD_NO_PAD;
        let encode = |json: &str| STANDARD_NO_PAD.encode(json);
        let key = encode(r#"{"k":"d4eLlGhBpbu7DX5B9WZy5ns6RvkLEi7F","n":"deploy","id":51}"#);
        assert_eq!(
            check_grafana_legacy_key(key.as_bytes()),
            Verdict::ok("decodes")
        );
        for broken in [
            encode(r#"{"k":"d4eLlGhBpbu7DX5B9WZy5ns6RvkLEi7F","n":"deploy"}"#),
            encode(r#"{"k":"d4eLlGhBpbu7DX5B9WZy5ns6RvkLEi7F","n":"deploy","id":"x"}"#),
            key[..key.len() - 4].to_string(),
        ] {
            assert_eq!(
                check_grafana_legacy_key(broken.as_bytes()),
                Verdict::unverified("does-not-decode"),
                "{broken}"
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
            assert_eq!(
                Validator::Jwt.check(token.as_bytes(), NOW),
                verdict,
                "{token}"
            );
        }
    }
}
