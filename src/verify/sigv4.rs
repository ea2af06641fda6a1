//! AWS Signature Version 4, just enough to sign STS `GetCallerIdentity`: the one AWS call
//! that any key may make, that changes nothing, and that names the account and principal.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::finding::hex;

/// What to sign.
pub struct Signing<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The host the request names.
    pub host: &'a str,
    /// The URL path.
    pub path: &'a str,
    /// Headers besides `host` and `x-amz-date`, lowercase names, sorted by name.
    pub headers: &'a [(&'a str, &'a str)],
    /// The request body.
    pub body: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
    /// `us-east-1`.
    pub region: &'a str,
    /// `sts`.
    pub service: &'a str,
    /// The access key id.
    pub key_id: &'a str,
    /// The secret access key.
    pub secret: &'a str,
}

/// The `Authorization` header value for `signing`.
pub fn authorization(signing: &Signing) -> String {
    let mut headers: Vec<(&str, &str)> = signing.headers.to_vec();
    headers.push(("host", signing.host));
    headers.push(("x-amz-date", signing.amz_date));
    headers.sort();
    let canonical_headers: String = headers
        .iter()
        .map(|(name, value)| format!("{name}:{}\n", value.trim()))
        .collect();
    let signed_headers = headers
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n\n{canonical_headers}\n{signed_headers}\n{}",
        signing.method,
        signing.path,
        hex(&Sha256::digest(signing.body.as_bytes()))
    );
    let date = &signing.amz_date[..8.min(signing.amz_date.len())];
    let scope = format!("{date}/{}/{}/aws4_request", signing.region, signing.service);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        signing.amz_date,
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = hmac(
        format!("AWS4{}", signing.secret).as_bytes(),
        date.as_bytes(),
    );
    for part in [signing.region, signing.service, "aws4_request"] {
        key = hmac(&key, part.as_bytes());
    }
    let signature = hex(&hmac(&key, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        signing.key_id
    )
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// `YYYYMMDDTHHMMSSZ` from an RFC 3339 UTC time (`2026-12-06T20:00:00+00:00`).
pub fn amz_date(rfc3339: &str) -> String {
    rfc3339
        .chars()
        .take(19)
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .chain(std::iter::once('Z'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's published SigV4 test suite, case `get-vanilla`, with AWS's documented example
    /// credentials.
    #[test]
    fn signs_the_aws_test_suite_vanilla_get() {
        let secret = format!("{}{}", "wJalrXUtnFEMI/K7MDENG+bPxRfiCY", "EXAMPLEKEY");
        let header = authorization(&Signing {
            method: "GET",
            host: "example.amazonaws.com",
            path: "/",
            headers: &[],
            body: "",
            amz_date: "20150830T123600Z",
            region: "us-east-1",
            service: "service",
            key_id: "AKIDEXAMPLE",
            secret: &secret,
        });
        assert_eq!(
            header,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    #[test]
    fn amz_dates_come_from_rfc3339() {
        assert_eq!(amz_date("2026-12-06T20:01:02+00:00"), "20261206T200102Z");
    }
}
