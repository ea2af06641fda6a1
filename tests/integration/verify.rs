//! Live verification (`--verify`), against mock vendors on 127.0.0.1 only: checks are pointed at
//! them through `LEAKHOUND_VERIFY_REDIRECT`, and nothing here can reach any other address.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::util::{
    aws_key_id, base62, github_pat, leakhound, password, random, slack_bot_token, stripe_live_key,
    TempTree,
};

/// A request as the mock received it.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// What the mock answers.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    delay: Duration,
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: body.to_string(),
        delay: Duration::ZERO,
    }
}

type Responder = dyn Fn(&Received, usize) -> Reply + Send + Sync;

/// An HTTP/1.1 server on 127.0.0.1 that records every request and answers with `responder`
/// (given the request and how many came before it).
struct Mock {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl Mock {
    fn start(responder: impl Fn(&Received, usize) -> Reply + Send + Sync + 'static) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let responder: Arc<Responder> = Arc::new(responder);
        let (log, stopped) = (received.clone(), stop.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (log, responder) = (log.clone(), responder.clone());
                std::thread::spawn(move || serve(stream, &log, responder.as_ref()));
            }
        });
        Mock {
            port,
            received,
            stop,
        }
    }

    /// `host=http://127.0.0.1:PORT` for the redirect variable.
    fn redirect(&self, host: &str) -> String {
        format!("{host}=http://127.0.0.1:{}", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Received>>, responder: &Responder) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("").to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let request = Received {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let count = {
        let mut log = log.lock().unwrap();
        log.push(request.clone());
        log.len() - 1
    };
    let answer = responder(&request, count);
    std::thread::sleep(answer.delay);
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        answer.status,
        answer.body.len()
    );
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let mut stream = reader.into_inner();
    let _ = stream.write_all(format!("{head}\r\n{}", answer.body).as_bytes());
}

/// `leakhound scan --verify --format json` on `tree` with `redirect`; returns (exit code,
/// report, stderr).
fn scan_verified(
    tree: &TempTree,
    redirect: &str,
    extra: &[&str],
) -> (i32, serde_json::Value, String) {
    let output = leakhound()
        .args(["scan", "--verify", "--format", "json", "--no-progress"])
        .args(extra)
        .arg(tree.path())
        .env("LEAKHOUND_VERIFY_REDIRECT", redirect)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let report = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        output.status.code().unwrap_or(-1),
        report,
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// The verification of the first finding of `rule`.
fn verification_of<'a>(report: &'a serde_json::Value, rule: &str) -> &'a serde_json::Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["rule_id"].as_str().unwrap().starts_with(rule))
        .map(|finding| &finding["verification"])
        .unwrap_or_else(|| panic!("no {rule} finding in {report}"))
}

#[test]
fn a_live_github_token_is_asked_about_once_and_named_without_printing_it() {
    let pat = github_pat();
    let tree = TempTree::new();
    for name in ["a.env", "b.env", "c/d.env"] {
        tree.write(name, format!("GITHUB_TOKEN={pat}\n"));
    }
    let mock = Mock::start(|_, _| Reply {
        status: 200,
        headers: vec![("X-OAuth-Scopes", "repo, gist".into())],
        body: r#"{"login":"octocat","id":583231,"name":"The Octocat"}"#.into(),
        delay: Duration::ZERO,
    });
    let (code, report, stderr) = scan_verified(&tree, &mock.redirect("api.github.com"), &[]);
    assert_eq!(code, 1, "{stderr}");
    let requests = mock.received();
    assert_eq!(requests.len(), 1, "one question for three places");
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.target.as_str()),
        ("GET", "/user")
    );
    assert!(request
        .header("authorization")
        .is_some_and(|value| value.ends_with(&pat)));
    assert!(
        !request.target.contains(&pat),
        "the secret is never in the URL"
    );
    for finding in report["findings"].as_array().unwrap() {
        let verification = &finding["verification"];
        assert_eq!(verification["status"], "live", "{finding}");
        let identity = verification["identity"].as_str().unwrap();
        assert!(identity.contains("login=octocat") && identity.contains("scopes=repo, gist"));
        assert!(verification["checked_at"]
            .as_str()
            .unwrap()
            .starts_with("20"));
    }
    assert!(
        stderr.contains("api.github.com"),
        "the host is announced: {stderr}"
    );
    let stdout = report.to_string();
    assert!(!stdout.contains(&pat) && !stderr.contains(&pat));
}

#[test]
fn revoked_rate_limited_slow_and_malformed_answers_are_told_apart() {
    let token = slack_bot_token();
    let tree = TempTree::new();
    tree.write("slack.env", format!("SLACK_BOT_TOKEN={token}\n"));
    let cases: Vec<(Box<Responder>, &str, &str)> = vec![
        (
            Box::new(|_, _| {
                reply(
                    200,
                    r#"{"ok":true,"team":"Acme","user":"deploy-bot","team_id":"T1","user_id":"U1"}"#,
                )
            }),
            "live",
            "team=Acme",
        ),
        (
            Box::new(|_, _| reply(200, r#"{"ok":false,"error":"invalid_auth"}"#)),
            "revoked",
            "",
        ),
        (
            Box::new(|_, _| Reply {
                status: 429,
                headers: vec![("Retry-After", "60".into())],
                body: String::new(),
                delay: Duration::ZERO,
            }),
            "error",
            "rate limited (HTTP 429, retry after 60 s)",
        ),
        (
            Box::new(|_, _| Reply {
                delay: Duration::from_secs(4),
                ..reply(200, r#"{"ok":true}"#)
            }),
            "error",
            "timed out",
        ),
        (
            Box::new(|_, _| reply(200, "<html>maintenance</html>")),
            "error",
            "HTTP 200 without the answer a live credential gets",
        ),
        (Box::new(|_, _| reply(503, "")), "error", "HTTP 503"),
    ];
    for (responder, status, words) in cases {
        let mock = Mock::start(responder);
        let (code, report, stderr) = scan_verified(
            &tree,
            &mock.redirect("slack.com"),
            &["--verify-timeout", "1", "--fail-on-live"],
        );
        let verification = verification_of(&report, "slack.");
        assert_eq!(verification["status"], status, "{verification} {stderr}");
        let text = format!("{}{}", verification["identity"], verification["reason"]);
        assert!(text.contains(words), "{verification}");
        assert_eq!(
            code,
            if status == "live" { 1 } else { 0 },
            "--fail-on-live: {stderr}"
        );
        let request = &mock.received()[0];
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.header("authorization"),
            Some(format!("Bearer {token}").as_str())
        );
    }
}

#[test]
fn a_short_retry_after_is_waited_for_once() {
    let tree = TempTree::new();
    tree.write(
        "slack.env",
        format!("SLACK_BOT_TOKEN={}\n", slack_bot_token()),
    );
    let mock = Mock::start(|_, count| {
        if count == 0 {
            Reply {
                status: 429,
                headers: vec![("Retry-After", "1".into())],
                body: String::new(),
                delay: Duration::ZERO,
            }
        } else {
            reply(200, r#"{"ok":true,"team":"Acme"}"#)
        }
    });
    let (_, report, stderr) = scan_verified(&tree, &mock.redirect("slack.com"), &[]);
    assert_eq!(
        verification_of(&report, "slack.")["status"],
        "live",
        "{stderr}"
    );
    assert_eq!(mock.received().len(), 2);
}

#[test]
fn aws_secrets_are_paired_with_the_key_id_beside_them_and_signed() {
    let key_id = aws_key_id();
    let secret = random(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        40,
    );
    let tree = TempTree::new();
    tree.write(
        "credentials",
        format!("[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"),
    );
    let other_secret = random(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        40,
    );
    tree.write(
        "alone.env",
        format!("AWS_SECRET_ACCESS_KEY={other_secret}\n"),
    );
    let mock = Mock::start(|_, _| {
        reply(
            200,
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn>\
             <UserId>AIDAEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult>\
             </GetCallerIdentityResponse>",
        )
    });
    let (_, report, stderr) = scan_verified(&tree, &mock.redirect("sts.amazonaws.com"), &[]);
    let requests = mock.received();
    assert_eq!(requests.len(), 1, "{stderr}");
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert!(request.body.contains("Action=GetCallerIdentity"));
    let authorization = request.header("authorization").unwrap();
    assert!(authorization.starts_with(&format!("AWS4-HMAC-SHA256 Credential={key_id}/")));
    assert!(
        !authorization.contains(&secret),
        "SigV4 sends a signature, never the key"
    );
    let findings = report["findings"].as_array().unwrap();
    let paired = findings
        .iter()
        .find(|f| {
            f["path"].as_str().unwrap().ends_with("credentials")
                && f["verification"]["status"] == "live"
        })
        .unwrap_or_else(|| panic!("{report}"));
    assert!(paired["verification"]["identity"]
        .as_str()
        .unwrap()
        .contains("Arn=arn:aws:iam::123456789012:user/ci"));
    let alone = findings
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("alone.env"))
        .unwrap();
    assert_eq!(alone["verification"]["status"], "unknown", "{alone}");
    assert!(alone["verification"]["reason"]
        .as_str()
        .unwrap()
        .contains("pair"));
}

#[test]
fn nothing_is_sent_without_verify_and_unchecked_rules_are_unknown() {
    let tree = TempTree::new();
    tree.write("a.env", format!("GITHUB_TOKEN={}\n", github_pat()));
    let mock = Mock::start(|_, _| reply(200, r#"{"login":"octocat"}"#));
    let output = leakhound()
        .args(["scan", "--format", "json", "--no-progress"])
        .arg(tree.path())
        .env("LEAKHOUND_VERIFY_REDIRECT", mock.redirect("api.github.com"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&output.stdout).contains("verification"));
    assert!(mock.received().is_empty(), "no request without --verify");

    let tree = TempTree::new();
    // A password the generic rule always reports (18 random letters can read as an identifier).
    tree.write("db.env", format!("DB_PASSWORD=\"{}\"\n", password()));
    let (_, report, stderr) = scan_verified(&tree, &mock.redirect("api.github.com"), &[]);
    assert_eq!(verification_of(&report, "generic.")["status"], "unknown");
    assert!(stderr.contains("nothing is contacted"), "{stderr}");
    assert!(mock.received().is_empty());
}

#[test]
fn a_redirect_to_anything_but_loopback_is_refused_before_any_request() {
    let tree = TempTree::new();
    tree.write("a.env", format!("STRIPE_KEY={}\n", stripe_live_key()));
    for target in [
        "api.stripe.com=http://10.1.2.3:80",
        "api.stripe.com=https://example.com:443",
        "api.stripe.com=http://localhost:80",
    ] {
        let output = leakhound()
            .args(["scan", "--verify", "--no-progress"])
            .arg(tree.path())
            .env("LEAKHOUND_VERIFY_REDIRECT", target)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{target}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("LEAKHOUND_VERIFY_REDIRECT") && stderr.contains("loopback"));
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    }
}

#[test]
fn the_datastore_keeps_the_answer_and_report_asks_again() {
    let pat = github_pat();
    let tree = TempTree::new();
    tree.write("a.env", format!("GITHUB_TOKEN={pat}\n"));
    let store_dir = TempTree::new();
    let store = store_dir.path().join("leakhound.db");
    let live = Mock::start(|_, _| reply(200, r#"{"login":"octocat","id":1}"#));
    let (_, _, stderr) = scan_verified(
        &tree,
        &live.redirect("api.github.com"),
        &["--show-secrets", "--datastore", store.to_str().unwrap()],
    );
    let report = |extra: &[&str], redirect: &str| {
        let output = leakhound()
            .args([
                "report",
                "--datastore",
                store.to_str().unwrap(),
                "--format",
                "json",
            ])
            .args(extra)
            .env("LEAKHOUND_VERIFY_REDIRECT", redirect)
            .output()
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        (output.status.code(), json)
    };
    let (_, stored) = report(&[], "");
    assert_eq!(
        verification_of(&stored, "github.")["status"],
        "live",
        "{stderr}"
    );
    let revoked = Mock::start(|_, _| reply(401, r#"{"message":"Bad credentials"}"#));
    let (code, asked) = report(
        &["--verify", "--fail-on-live"],
        &revoked.redirect("api.github.com"),
    );
    assert_eq!(verification_of(&asked, "github.")["status"], "revoked");
    assert_eq!(code, Some(0));
    assert_eq!(revoked.received().len(), 1);
    let (_, stored) = report(&[], "");
    assert_eq!(verification_of(&stored, "github.")["status"], "revoked");
}

/// Every check in the table, end to end over HTTP against a mock of its vendor: the request
/// goes to the check's path with the secret where its `auth` says (never in the URL unless the
/// vendor takes nothing else), and the vendor's live, rejected, rate-limited and broken answers
/// read as live, revoked and error.
#[test]
fn every_check_asks_its_vendor_and_reads_every_kind_of_answer() {
    use leakhound::verify::checks::{all, Auth, Verdict};
    use leakhound::verify::http::{Client, Redirects};
    let secret = format!("S3cr3t{}", base62(24));
    let now = "2026-12-06T20:00:00+00:00";
    for check in all().unwrap() {
        let [live, revoked] = check.examples();
        let answers: Vec<(Reply, &str)> = vec![
            (reply(live.0, live.1), "live"),
            (reply(revoked.0, revoked.1), "revoked"),
            (
                Reply {
                    status: 429,
                    headers: vec![("Retry-After", "30".into())],
                    body: String::new(),
                    delay: Duration::ZERO,
                },
                "error",
            ),
            (reply(500, "<html>oops</html>"), "error"),
        ];
        let url = check.url.clone();
        let host = url["https://".len()..].split(['/', '?']).next().unwrap();
        let path = &url["https://".len() + host.len()..];
        for (answer, expected) in answers {
            let answer = Arc::new(answer);
            let served = answer.clone();
            let mock = Mock::start(move |_, _| Reply {
                status: served.status,
                headers: served.headers.clone(),
                body: served.body.clone(),
                delay: Duration::ZERO,
            });
            let client = Client::new(
                Duration::from_secs(5),
                Redirects::parse(&mock.redirect(host)).unwrap(),
            );
            let identifier = check.is_paired().then_some("AKIAIDENTIFIER");
            let request = check.request(&secret, identifier, now);
            let response = client
                .send(&request)
                .unwrap_or_else(|e| panic!("{}: {e}", check.id));
            let verdict = match (response.status, check.judge(&response)) {
                (429, _) => "error",
                (_, Verdict::Live { .. }) => "live",
                (_, Verdict::Revoked) => "revoked",
                (_, Verdict::Unexpected(_)) => "error",
            };
            assert_eq!(verdict, expected, "{} answered {}", check.id, answer.status);
            let received = mock.received().remove(0);
            let target = if path.is_empty() { "/" } else { path };
            assert!(
                received.target.starts_with(target),
                "{}: {}",
                check.id,
                received.target
            );
            let in_url = received.target.contains(&secret);
            assert_eq!(
                in_url,
                check.auth() == Auth::Query,
                "{}: secret in the URL",
                check.id
            );
            let in_headers = received
                .headers
                .iter()
                .any(|(_, value)| value.contains(&secret) || basic_holds(value, &secret));
            let expected_in_headers = !matches!(check.auth(), Auth::Query | Auth::AwsSigv4);
            assert_eq!(
                in_headers, expected_in_headers,
                "{}: secret in a header",
                check.id
            );
            assert!(
                !received.body.contains(&secret),
                "{}: secret in the body",
                check.id
            );
        }
    }
}

/// Whether a `Basic` authorization value holds `secret`.
fn basic_holds(value: &str, secret: &str) -> bool {
    use base64::Engine as _;
    value
        .strip_prefix("Basic ")
        .and_then(|encoded| {
            base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .ok()
        })
        .is_some_and(|decoded| String::from_utf8_lossy(&decoded).contains(secret))
}

#[test]
fn the_request_cap_stops_the_run_and_says_so() {
    let tree = TempTree::new();
    tree.write("a.env", format!("GITHUB_TOKEN={}\n", github_pat()));
    tree.write("b.env", format!("GITHUB_TOKEN={}\n", github_pat()));
    let mock = Mock::start(|_, _| reply(200, r#"{"login":"octocat"}"#));
    let (_, report, stderr) = scan_verified(
        &tree,
        &mock.redirect("api.github.com"),
        &["--verify-max-requests", "1"],
    );
    assert_eq!(mock.received().len(), 1, "{stderr}");
    let statuses: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["verification"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s == "live").count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == "error").count(), 1);
    assert!(report.to_string().contains("--verify-max-requests"));
    assert!(stderr.contains("(1 request)"), "{stderr}");
}
