//! The one way verification talks to the network: HTTPS to a host fixed in the check table,
//! no redirects followed, a timeout on every request, bodies read up to a cap.
//!
//! Tests point a check's host at a mock on 127.0.0.1 through `LEAKHOUND_VERIFY_REDIRECT`
//! (`api.github.com=http://127.0.0.1:PORT,...`); [`Redirects::parse`] refuses any target that is
//! not a loopback address, so the variable cannot send a credential anywhere else.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

/// The test-only variable that maps a check's host to a loopback base URL.
pub const REDIRECT_VARIABLE: &str = "LEAKHOUND_VERIFY_REDIRECT";

/// Largest response body read, in bytes: "who am I" answers are small.
const MAX_BODY: u64 = 256 * 1024;

/// A request a check makes. The secret is in `headers`, `body` or (only where a vendor takes
/// nothing else) `url`; none of them is ever logged or put in an error.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET or POST.
    pub method: Method,
    /// `https://host/path?query`, the host fixed by the check.
    pub url: String,
    /// Headers, the one holding the secret included.
    pub headers: Vec<(String, String)>,
    /// A POST's body.
    pub body: Option<String>,
}

/// The HTTP methods checks use: nothing that writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST, for vendors whose read is one (Slack `auth.test`, STS, GraphQL queries).
    Post,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body, up to the size cap.
    pub body: String,
}

impl Response {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Hosts mapped to loopback base URLs (`LEAKHOUND_VERIFY_REDIRECT`); empty in real use.
#[derive(Debug, Clone, Default)]
pub struct Redirects {
    targets: HashMap<String, String>,
}

impl Redirects {
    /// Reads the redirect variable, if set.
    pub fn from_env() -> Result<Redirects, String> {
        match std::env::var(REDIRECT_VARIABLE) {
            Ok(value) => Redirects::parse(&value),
            Err(_) => Ok(Redirects::default()),
        }
    }

    /// Parses `host=http://127.0.0.1:PORT,host2=http://[::1]:PORT`. Every target must be
    /// `http://` or `https://` to a loopback IP literal (no name: a name could resolve
    /// anywhere), with nothing after the port.
    pub fn parse(value: &str) -> Result<Redirects, String> {
        let mut targets = HashMap::new();
        for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (host, target) = entry.split_once('=').ok_or_else(|| {
                format!("{REDIRECT_VARIABLE}: `{entry}` is not host=http://127.0.0.1:PORT")
            })?;
            let host = host.trim().to_ascii_lowercase();
            let target = target.trim().trim_end_matches('/');
            if host.is_empty() || host.contains(['/', ':', '@']) {
                return Err(format!("{REDIRECT_VARIABLE}: `{host}` is not a host name"));
            }
            if !is_loopback_base(target) {
                return Err(format!(
                    "{REDIRECT_VARIABLE}: `{target}` is not a loopback address (only http://127.0.0.1:PORT or http://[::1]:PORT are allowed; the variable exists for tests)"
                ));
            }
            targets.insert(host, target.to_string());
        }
        Ok(Redirects { targets })
    }

    /// No redirect (real use).
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// `url` with its host replaced by the loopback target mapped to it, if any.
    fn apply(&self, url: &str) -> String {
        let Some(rest) = url.strip_prefix("https://") else {
            return url.to_string();
        };
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        match self.targets.get(&host.to_ascii_lowercase()) {
            Some(target) => format!("{target}{path}"),
            None => url.to_string(),
        }
    }
}

/// `http(s)://<loopback IP>:<port>` and nothing more.
fn is_loopback_base(target: &str) -> bool {
    let Some(authority) = target
        .strip_prefix("http://")
        .or_else(|| target.strip_prefix("https://"))
    else {
        return false;
    };
    let (address, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once("]:") {
            Some((address, port)) => (address, port),
            None => return false,
        },
        None => match authority.rsplit_once(':') {
            Some((address, port)) => (address, port),
            None => return false,
        },
    };
    port.parse::<u16>().is_ok_and(|port| port > 0)
        && address
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// The host of an `https://` URL.
pub fn host_of(url: &str) -> &str {
    let rest = url.strip_prefix("https://").unwrap_or(url);
    let end = rest.find(['/', '?', ':']).unwrap_or(rest.len());
    &rest[..end]
}

/// Sends requests: HTTPS only (plain HTTP only to a loopback redirect), no redirects
/// followed, each request bounded by `timeout`.
pub struct Client {
    agent: ureq::Agent,
    redirects: Redirects,
}

impl Client {
    /// A client whose requests each end within `timeout`.
    pub fn new(timeout: Duration, redirects: Redirects) -> Client {
        // A loopback mock is reached directly; a real vendor through the user's proxy, if any.
        let proxy = if redirects.is_empty() {
            ureq::Proxy::try_from_env()
        } else {
            None
        };
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .proxy(proxy)
            .user_agent(concat!(
                "leakhound/",
                env!("CARGO_PKG_VERSION"),
                " (verify)"
            ))
            .build();
        Client {
            agent: ureq::Agent::new_with_config(config),
            redirects,
        }
    }

    /// Sends `request`; an error says what failed in words, never with the URL or a header
    /// (either may hold the secret).
    pub fn send(&self, request: &Request) -> Result<Response, String> {
        if !request.url.starts_with("https://") {
            return Err("refused: not an https URL".into());
        }
        let url = self.redirects.apply(&request.url);
        let result = match request.method {
            Method::Get => {
                let mut builder = self.agent.get(&url);
                for (name, value) in &request.headers {
                    builder = builder.header(name, value);
                }
                builder.call()
            }
            Method::Post => {
                let mut builder = self.agent.post(&url);
                for (name, value) in &request.headers {
                    builder = builder.header(name, value);
                }
                match &request.body {
                    Some(body) => builder.send(body.as_str()),
                    None => builder.send_empty(),
                }
            }
        };
        let mut response = result.map_err(describe)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(describe)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// An HTTP error in words, without the URL (which may hold a secret).
fn describe(err: ureq::Error) -> String {
    match err {
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::Io(err) => format!("network error: {}", err.kind()),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::BodyExceedsLimit(_) => "answer too large".into(),
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => "TLS error".into(),
        _ => "unexpected answer".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_reach_loopback_addresses_only() {
        let redirects =
            Redirects::parse("api.github.com=http://127.0.0.1:8080, slack.com=http://[::1]:9/")
                .unwrap();
        assert_eq!(
            redirects.apply("https://api.github.com/user?x=1"),
            "http://127.0.0.1:8080/user?x=1"
        );
        assert_eq!(
            redirects.apply("https://slack.com/api/auth.test"),
            "http://[::1]:9/api/auth.test"
        );
        assert_eq!(
            redirects.apply("https://api.stripe.com/v1/account"),
            "https://api.stripe.com/v1/account"
        );
        for refused in [
            "api.github.com=http://10.0.0.1:80",
            "api.github.com=http://localhost:80",
            "api.github.com=http://example.com:80",
            "api.github.com=http://127.0.0.1",
            "api.github.com=http://127.0.0.1:80/path",
            "api.github.com=http://127.0.0.1:80@evil.example:80",
            "api.github.com=ftp://127.0.0.1:80",
            "api.github.com=http://[::2]:80",
            "api.github.com=http://0.0.0.0:80",
            "api.github.com",
            "api.github.com/x=http://127.0.0.1:80",
        ] {
            let err = Redirects::parse(refused).unwrap_err();
            assert!(err.starts_with(REDIRECT_VARIABLE), "{refused}: {err}");
        }
        assert!(Redirects::parse("").unwrap().is_empty());
    }

    #[test]
    fn hosts_are_read_from_https_urls() {
        assert_eq!(host_of("https://api.github.com/user"), "api.github.com");
        assert_eq!(host_of("https://slack.com"), "slack.com");
        assert_eq!(host_of("https://a.b:443/x"), "a.b");
    }
}
