//! The vendors' checks, from `checks.toml` (embedded at build time): for each, which rules'
//! secrets it verifies, the one read-only request it makes to a host fixed in the table, and
//! how to read the answer. See that file's header for the rules a check must follow.

use std::collections::HashMap;

use base64::Engine as _;
use serde::Deserialize;

use super::http::{Method, Request, Response};
use super::sigv4;

const CHECKS: &str = include_str!("checks.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    check: Vec<Check>,
}

/// One vendor check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// Unique name of the check.
    pub id: String,
    /// The vendor, as people name it.
    pub provider: String,
    /// Rule ids whose secret this check verifies.
    pub rules: Vec<String>,
    method: String,
    /// `https://` URL on the vendor's API host.
    pub url: String,
    auth: Auth,
    #[serde(default)]
    header: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    param: Option<String>,
    /// Rule ids of the identifier that pairs with the secret (`basic-pair`, `aws-sigv4`).
    #[serde(default)]
    pub pair: Vec<String>,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
    live_status: Vec<u16>,
    #[serde(default)]
    live_body: Vec<String>,
    revoked_status: Vec<u16>,
    #[serde(default)]
    revoked_body: Vec<String>,
    #[serde(default)]
    identity: Vec<String>,
    #[serde(default)]
    scopes_header: Option<String>,
    /// A body the vendor returns for a live credential (run by the tests).
    pub example_live: String,
    /// A body the vendor returns for a rejected one (run by the tests).
    pub example_revoked: String,
}

/// How the secret travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// `Authorization: token <secret>`.
    Token,
    /// `Authorization: Bot <secret>`.
    Bot,
    /// `Authorization: Token <secret>` (the scheme spelled as the vendor documents it).
    CapitalToken,
    /// `Authorization: Token token=<secret>`.
    TokenEquals,
    /// Basic auth, the secret as user and no password.
    BasicSecret,
    /// Basic auth, a fixed `user` and the secret as password.
    BasicUser,
    /// Basic auth, the paired identifier as user and the secret as password.
    BasicPair,
    /// The secret as the value of `header`.
    Header,
    /// The secret as query parameter `param` (only where the vendor takes nothing else).
    Query,
    /// AWS SigV4 with the paired access key id.
    AwsSigv4,
}

/// What a vendor's answer says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The vendor accepted it; what its answer says the credential is.
    Live {
        /// Account, user, team, scopes.
        identity: Option<String>,
    },
    /// The vendor rejected it.
    Revoked,
    /// An answer that says neither (a status or body the check does not know).
    Unexpected(String),
}

/// Every check, parsed once. The table is part of the binary: a bad entry is a bug the tests
/// catch, so it is reported, not hidden.
pub fn all() -> Result<Vec<Check>, String> {
    let table: Table =
        toml::from_str(CHECKS).map_err(|err| format!("checks.toml: {}", err.message()))?;
    Ok(table.check)
}

impl Check {
    /// The vendor's answers this check was written from: `(status, body, live)` for a live
    /// credential and a rejected one.
    pub fn examples(&self) -> [(u16, &str, bool); 2] {
        let revoked_status = if self.revoked_body.is_empty() {
            self.revoked_status.first().copied().unwrap_or(401)
        } else {
            self.live_status.first().copied().unwrap_or(200)
        };
        [
            (
                self.live_status.first().copied().unwrap_or(200),
                &self.example_live,
                true,
            ),
            (revoked_status, &self.example_revoked, false),
        ]
    }

    /// How the secret travels.
    pub fn auth(&self) -> Auth {
        self.auth
    }

    /// Whether this check needs an identifier found near the secret.
    pub fn is_paired(&self) -> bool {
        matches!(self.auth, Auth::BasicPair | Auth::AwsSigv4)
    }

    /// The request asking about `secret` (with `identifier` for a paired check); `now` is
    /// RFC 3339 UTC (signed requests carry it).
    pub fn request(&self, secret: &str, identifier: Option<&str>, now: &str) -> Request {
        let method = if self.method.eq_ignore_ascii_case("POST") {
            Method::Post
        } else {
            Method::Get
        };
        let mut url = self.url.clone();
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        headers.sort();
        if let Some(content_type) = &self.content_type {
            headers.push(("Content-Type".into(), content_type.clone()));
        }
        let basic = |user: &str, password: &str| {
            let pair = format!("{user}:{password}");
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        };
        let authorization = match self.auth {
            Auth::Bearer => Some(format!("Bearer {secret}")),
            Auth::Token => Some(format!("token {secret}")),
            Auth::Bot => Some(format!("Bot {secret}")),
            Auth::CapitalToken => Some(format!("Token {secret}")),
            Auth::TokenEquals => Some(format!("Token token={secret}")),
            Auth::BasicSecret => Some(basic(secret, "")),
            Auth::BasicUser => Some(basic(self.user.as_deref().unwrap_or(""), secret)),
            Auth::BasicPair => Some(basic(identifier.unwrap_or(""), secret)),
            Auth::Header => {
                let name = self.header.clone().unwrap_or_default();
                headers.push((name, secret.to_string()));
                None
            }
            Auth::Query => {
                let separator = if url.contains('?') { '&' } else { '?' };
                let param = self.param.as_deref().unwrap_or("key");
                url = format!("{url}{separator}{param}={}", percent_encode(secret));
                None
            }
            Auth::AwsSigv4 => {
                let amz_date = sigv4::amz_date(now);
                let host = super::http::host_of(&self.url);
                let content_type = self.content_type.as_deref().unwrap_or("");
                let signed: Vec<(&str, &str)> = if content_type.is_empty() {
                    Vec::new()
                } else {
                    vec![("content-type", content_type)]
                };
                let path_start = self.url["https://".len()..]
                    .find('/')
                    .map(|i| i + "https://".len());
                let path = path_start.map_or("/", |i| &self.url[i..]);
                let value = sigv4::authorization(&sigv4::Signing {
                    method: if method == Method::Post {
                        "POST"
                    } else {
                        "GET"
                    },
                    host,
                    path,
                    headers: &signed,
                    body: self.body.as_deref().unwrap_or(""),
                    amz_date: &amz_date,
                    region: "us-east-1",
                    service: "sts",
                    key_id: identifier.unwrap_or(""),
                    secret,
                });
                headers.push(("X-Amz-Date".into(), amz_date));
                Some(value)
            }
        };
        if let Some(value) = authorization {
            headers.push(("Authorization".into(), value));
        }
        Request {
            method,
            url,
            headers,
            body: self.body.clone(),
        }
    }

    /// Reads the vendor's answer.
    pub fn judge(&self, response: &Response) -> Verdict {
        let body_has_all =
            |needles: &[String]| needles.iter().all(|needle| response.body.contains(needle));
        if self.live_status.contains(&response.status) {
            if !self.revoked_body.is_empty() && body_has_all(&self.revoked_body) {
                return Verdict::Revoked;
            }
            if body_has_all(&self.live_body) {
                return Verdict::Live {
                    identity: self.identity_of(response),
                };
            }
            return Verdict::Unexpected(format!(
                "HTTP {} without the answer a live credential gets",
                response.status
            ));
        }
        if self.revoked_status.contains(&response.status) {
            return Verdict::Revoked;
        }
        Verdict::Unexpected(format!("HTTP {}", response.status))
    }

    /// Who the credential is: the `identity` fields of the answer, and its scopes.
    fn identity_of(&self, response: &Response) -> Option<String> {
        let mut parts = Vec::new();
        let body = response.body.trim_start();
        if body.starts_with('<') {
            for name in &self.identity {
                if let Some(value) = xml_element(body, name) {
                    parts.push(format!("{name}={value}"));
                }
            }
        } else if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
            for path in &self.identity {
                let value = path.split('.').try_fold(&json, |value, key| value.get(key));
                match value {
                    Some(serde_json::Value::String(text)) if !text.is_empty() => {
                        parts.push(format!("{path}={}", clip(text)))
                    }
                    Some(value @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => {
                        parts.push(format!("{path}={value}"))
                    }
                    // A list of names (GitLab's token scopes).
                    Some(serde_json::Value::Array(items)) if !items.is_empty() => {
                        let names: Vec<&str> =
                            items.iter().filter_map(serde_json::Value::as_str).collect();
                        if !names.is_empty() {
                            parts.push(format!("{path}={}", clip(&names.join(" "))));
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(scopes) = self
            .scopes_header
            .as_deref()
            .and_then(|name| response.header(&name.to_ascii_lowercase()))
        {
            parts.push(format!("scopes={}", clip(scopes)));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

/// The text of the first `<name>...</name>` in `xml`.
fn xml_element<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find("</")? + start;
    Some(xml[start..end].trim())
}

/// At most 120 characters of a vendor's field, on one line.
fn clip(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(120).collect()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Response {
        Response {
            status,
            headers: vec![("x-oauth-scopes".into(), "repo, gist".into())],
            body: body.into(),
        }
    }

    /// Every check in the table: its rules exist, its URL is HTTPS on a fixed host, it says
    /// how the secret travels, and its own example answers read as live (with an identity
    /// when it names fields) and revoked.
    #[test]
    fn every_check_reads_its_own_example_answers() {
        let checks = all().unwrap();
        let rules = crate::rule::RuleSet::builtin().unwrap();
        let known: std::collections::HashSet<&str> =
            rules.rules().iter().map(|rule| rule.id.as_str()).collect();
        let mut ids = std::collections::HashSet::new();
        for check in &checks {
            assert!(ids.insert(&check.id), "{}: duplicate id", check.id);
            assert!(!check.rules.is_empty(), "{}: no rules", check.id);
            for rule in check.rules.iter().chain(&check.pair) {
                assert!(
                    known.contains(rule.as_str()),
                    "{}: no rule {rule}",
                    check.id
                );
            }
            assert!(check.url.starts_with("https://"), "{}", check.id);
            assert!(!check.url.contains(['{', '<', ' ']), "{}", check.id);
            assert_eq!(check.is_paired(), !check.pair.is_empty(), "{}", check.id);
            match check.auth {
                Auth::Header => assert!(check.header.is_some(), "{}", check.id),
                Auth::BasicUser => assert!(check.user.is_some(), "{}", check.id),
                Auth::Query => assert!(check.param.is_some(), "{}", check.id),
                _ => {}
            }
            let [(live_status, live, _), (revoked_status, revoked, _)] = check.examples();
            match check.judge(&answer(live_status, live)) {
                Verdict::Live { identity } => assert_eq!(
                    identity.is_some(),
                    !check.identity.is_empty() || check.scopes_header.is_some(),
                    "{}: identity fields not in example_live",
                    check.id
                ),
                other => panic!("{}: example_live reads as {other:?}", check.id),
            }
            assert_eq!(
                check.judge(&answer(revoked_status, revoked)),
                Verdict::Revoked,
                "{}",
                check.id
            );
            assert!(
                matches!(check.judge(&answer(500, "")), Verdict::Unexpected(_)),
                "{}",
                check.id
            );
        }
        assert!(checks.len() >= 60, "{} checks", checks.len());
    }

    /// A check of `https://api.example.test/me` with `auth` and the `extra` fields given.
    fn test_check(auth: &str, extra: &str) -> Check {
        toml::from_str::<Table>(&format!(
            r#"[[check]]
            id = "t"
            provider = "T"
            rules = ["t.tok"]
            method = "GET"
            url = "https://api.example.test/me"
            auth = "{auth}"
            {extra}
            live_status = [200]
            revoked_status = [401]
            example_live = "{{}}"
            example_revoked = "{{}}"
            "#
        ))
        .unwrap()
        .check
        .remove(0)
    }

    #[test]
    fn identity_lists_names_and_skips_what_is_missing() {
        let check = test_check(
            "bearer",
            r#"identity = ["name", "scopes", "owner.login", "missing"]"#,
        );
        let live = answer(
            200,
            r#"{"name":"ci","scopes":["read_api","api"],"owner":{"login":"octocat"}}"#,
        );
        assert_eq!(
            check.judge(&live),
            Verdict::Live {
                identity: Some("name=ci, scopes=read_api api, owner.login=octocat".into())
            }
        );
    }

    #[test]
    fn the_secret_travels_as_each_auth_says() {
        let check = test_check;
        let header = |request: &Request, name: &str| {
            request
                .headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let now = "2026-12-06T20:00:00+00:00";
        let request = check("bearer", "").request("s3cr3t", None, now);
        assert_eq!(header(&request, "Authorization").unwrap(), "Bearer s3cr3t");
        assert_eq!(request.url, "https://api.example.test/me");
        let request = check("basic-user", "user = \"api\"").request("s3cr3t", None, now);
        assert_eq!(
            header(&request, "Authorization").unwrap(),
            "Basic YXBpOnMzY3IzdA=="
        );
        let request = check("basic-pair", "pair = [\"t.id\"]").request("tok", Some("AC1"), now);
        assert_eq!(
            header(&request, "Authorization").unwrap(),
            "Basic QUMxOnRvaw=="
        );
        let request = check("header", "header = \"X-Key\"").request("s3cr3t", None, now);
        assert_eq!(header(&request, "X-Key").unwrap(), "s3cr3t");
        let request = check("query", "param = \"access_token\"").request("a/b", None, now);
        assert_eq!(
            request.url,
            "https://api.example.test/me?access_token=a%2Fb"
        );
    }
}
