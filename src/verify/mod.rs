//! Live verification (`--verify`): asking each vendor whether a found credential works. A stage
//! of its own, run after filtering and de-duplication on the findings that will be reported —
//! never inside the engine, whose validators stay pure, offline and fast.
//!
//! - Each distinct credential (check, secret, paired identifier) is asked about once, however
//!   many places hold it.
//! - Only the read-only request of [`checks`] goes out, to the host the table fixes for the
//!   vendor (never one taken from scanned content), over HTTPS, with a timeout, no redirect
//!   followed, at most one request at a time per host and a pause between them, and at most
//!   [`Options::max_requests`] in a run.
//! - A credential in two parts (AWS key id + secret, Twilio SID + token) is paired with the
//!   identifier found nearest to it in the same file or blob.

pub mod checks;
pub mod http;
mod sigv4;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::finding::{Finding, Verification};
use checks::{Check, Verdict};
use http::{Client, Redirects};

/// Limits of a verification run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Per request.
    pub timeout: Duration,
    /// Requests in the whole run; credentials past it are reported `error`.
    pub max_requests: usize,
    /// Hosts mapped to loopback mocks (tests only; see [`http::REDIRECT_VARIABLE`]).
    pub redirects: Redirects,
}

/// Requests running at once, over all hosts.
const WORKERS: usize = 8;
/// Pause between two requests to the same host.
const HOST_INTERVAL: Duration = Duration::from_millis(100);
/// Longest `Retry-After` honoured (once) after an HTTP 429.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// One question to a vendor, and the findings waiting for its answer.
struct Job {
    check: usize,
    secret: String,
    identifier: Option<String>,
    findings: Vec<usize>,
}

/// What a run will do before it does it: `--verify` says it on one line.
pub struct Plan {
    checks: Vec<Check>,
    jobs: Vec<Job>,
    /// Status of the findings no job covers (no check, no pair, secret not held).
    settled: Vec<(usize, &'static str, String)>,
}

impl Plan {
    /// Groups `findings` into questions. Errors only if the built-in table is broken.
    pub fn new(findings: &[Finding]) -> Result<Plan, String> {
        let checks = checks::all()?;
        let by_rule: HashMap<&str, usize> = checks
            .iter()
            .enumerate()
            .flat_map(|(index, check)| check.rules.iter().map(move |rule| (rule.as_str(), index)))
            .collect();
        let identifiers = Identifiers::new(findings, &checks);
        let mut jobs: Vec<Job> = Vec::new();
        let mut job_of: HashMap<(usize, String, Option<String>), usize> = HashMap::new();
        let mut settled = Vec::new();
        for (index, finding) in findings.iter().enumerate() {
            let Some(&check_index) = by_rule.get(finding.rule_id.as_str()) else {
                settled.push((index, "unknown", "no live check for this rule".to_string()));
                continue;
            };
            let check = &checks[check_index];
            let secret = match std::str::from_utf8(finding.secret.expose()) {
                Ok(secret) if finding.secret.is_held() => secret.to_string(),
                _ => {
                    settled.push((
                        index,
                        "unknown",
                        "the secret is not held (a datastore keeps it only from a run with --show-secrets)"
                            .to_string(),
                    ));
                    continue;
                }
            };
            let identifier = if check.is_paired() {
                match identifiers.nearest(findings, finding, &check.pair) {
                    Some(identifier) => Some(identifier),
                    None => {
                        settled.push((
                            index,
                            "unknown",
                            format!("no {} found near it to pair with", check.pair.join(" or ")),
                        ));
                        continue;
                    }
                }
            } else {
                None
            };
            let key = (check_index, secret, identifier);
            match job_of.get(&key) {
                Some(&job) => jobs[job].findings.push(index),
                None => {
                    job_of.insert(key.clone(), jobs.len());
                    jobs.push(Job {
                        check: key.0,
                        secret: key.1,
                        identifier: key.2,
                        findings: vec![index],
                    });
                }
            }
        }
        Ok(Plan {
            checks,
            jobs,
            settled,
        })
    }

    /// The hosts the run will contact, sorted.
    pub fn hosts(&self) -> Vec<String> {
        self.jobs
            .iter()
            .map(|job| http::host_of(&self.checks[job.check].url).to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// Distinct credentials to ask about.
    pub fn questions(&self) -> usize {
        self.jobs.len()
    }

    /// Asks the vendors and records each answer on the findings.
    pub fn run(self, findings: &mut [Finding], options: &Options, now: &str) -> Counts {
        let mut counts = Counts::default();
        for (index, status, reason) in &self.settled {
            findings[*index].verification = Some(Box::new(Verification {
                status: status.to_string(),
                identity: None,
                reason: Some(reason.clone()),
                checked_at: now.to_string(),
            }));
            counts.unknown += 1;
        }
        let client = Client::new(options.timeout, options.redirects.clone());
        let sent = AtomicUsize::new(0);
        // One queue per host: a worker takes a host and asks its questions one at a time.
        let mut by_host: BTreeMap<String, Vec<&Job>> = BTreeMap::new();
        for job in &self.jobs {
            let host = http::host_of(&self.checks[job.check].url).to_string();
            by_host.entry(host).or_default().push(job);
        }
        let queues = Mutex::new(by_host.into_values().collect::<Vec<_>>());
        let answers: Mutex<Vec<(&Job, Verification)>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..WORKERS.min(self.jobs.len()) {
                scope.spawn(|| {
                    while let Some(queue) = next_queue(&queues) {
                        for (position, job) in queue.into_iter().enumerate() {
                            if position > 0 {
                                std::thread::sleep(HOST_INTERVAL);
                            }
                            let check = &self.checks[job.check];
                            let verification = ask(&client, check, job, options, &sent, now);
                            if let Ok(mut answers) = answers.lock() {
                                answers.push((job, verification));
                            }
                        }
                    }
                });
            }
        });
        for (job, verification) in answers.into_inner().unwrap_or_default() {
            match verification.status.as_str() {
                "live" => counts.live += 1,
                "revoked" => counts.revoked += 1,
                _ => counts.error += 1,
            }
            for &index in &job.findings {
                findings[index].verification = Some(Box::new(verification.clone()));
            }
        }
        counts.requests = sent.into_inner();
        counts
    }
}

/// A host's questions, taken off the shared list (the lock is released before any request).
fn next_queue<T>(queues: &Mutex<Vec<T>>) -> Option<T> {
    queues.lock().ok()?.pop()
}

/// Distinct credentials by answer, and requests sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Credentials a vendor accepted.
    pub live: usize,
    /// Credentials a vendor rejected.
    pub revoked: usize,
    /// Credentials without an answer that tells (network, timeout, rate limit, odd answer).
    pub error: usize,
    /// Findings with no check (counted per finding).
    pub unknown: usize,
    /// Requests sent.
    pub requests: usize,
}

/// One question, with one retry after a short `Retry-After`.
fn ask(
    client: &Client,
    check: &Check,
    job: &Job,
    options: &Options,
    sent: &AtomicUsize,
    now: &str,
) -> Verification {
    let answer = |status: &str, identity: Option<String>, reason: Option<String>| Verification {
        status: status.to_string(),
        identity,
        reason,
        checked_at: now.to_string(),
    };
    let request = check.request(&job.secret, job.identifier.as_deref(), now);
    let started = Instant::now();
    for attempt in 0..2 {
        let under_cap = sent
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |count| {
                (count < options.max_requests).then_some(count + 1)
            })
            .is_ok();
        if !under_cap {
            return answer(
                "error",
                None,
                Some(format!(
                    "not asked: the run's cap of {} requests was reached (--verify-max-requests)",
                    options.max_requests
                )),
            );
        }
        let response = match client.send(&request) {
            Ok(response) => response,
            Err(reason) => return answer("error", None, Some(reason)),
        };
        if response.status == 429 {
            let wait = response
                .header("retry-after")
                .and_then(|value| value.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            match wait {
                Some(wait)
                    if attempt == 0
                        && wait <= MAX_RETRY_AFTER
                        && started.elapsed() + wait < options.timeout =>
                {
                    std::thread::sleep(wait);
                    continue;
                }
                _ => {
                    let after = wait.map_or(String::new(), |wait| {
                        format!(", retry after {} s", wait.as_secs())
                    });
                    return answer(
                        "error",
                        None,
                        Some(format!("rate limited (HTTP 429{after})")),
                    );
                }
            }
        }
        return match check.judge(&response) {
            Verdict::Live { identity } => answer("live", identity, None),
            Verdict::Revoked => answer("revoked", None, None),
            Verdict::Unexpected(reason) => answer("error", None, Some(reason)),
        };
    }
    answer("error", None, Some("rate limited (HTTP 429)".into()))
}

/// The findings that can pair with a secret (those of any check's `pair` rules), by file or
/// blob, so pairing does not search every finding for every secret.
struct Identifiers {
    by_place: HashMap<(String, Option<String>), Vec<usize>>,
}

impl Identifiers {
    fn new(findings: &[Finding], checks: &[Check]) -> Identifiers {
        let pair_rules: BTreeSet<&str> = checks
            .iter()
            .flat_map(|check| check.pair.iter().map(String::as_str))
            .collect();
        let mut by_place: HashMap<(String, Option<String>), Vec<usize>> = HashMap::new();
        for (index, finding) in findings.iter().enumerate() {
            if pair_rules.contains(finding.rule_id.as_str()) && finding.secret.is_held() {
                by_place.entry(place(finding)).or_default().push(index);
            }
        }
        Identifiers { by_place }
    }

    /// The identifier that pairs with `finding`'s secret: a finding of one of `pair_rules` in
    /// the same file or blob (same path and commit), the nearest by line.
    fn nearest(
        &self,
        findings: &[Finding],
        finding: &Finding,
        pair_rules: &[String],
    ) -> Option<String> {
        self.by_place
            .get(&place(finding))?
            .iter()
            .map(|&index| &findings[index])
            .filter(|other| pair_rules.contains(&other.rule_id))
            .min_by_key(|other| other.location.line.abs_diff(finding.location.line))
            .and_then(|other| std::str::from_utf8(other.secret.expose()).ok())
            .map(str::to_string)
    }
}

/// Where a finding is: its path, and its commit in a history.
fn place(finding: &Finding) -> (String, Option<String>) {
    (
        finding.path.clone(),
        finding.commit.as_ref().map(|commit| commit.id.clone()),
    )
}
