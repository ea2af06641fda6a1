//! `sarif`: SARIF 2.1.0, for GitHub code scanning and other SARIF viewers. This is a contract:
//! properties are added, never renamed.
//!
//! - `runs[0].tool.driver.rules`: one `reportingDescriptor` per rule that fired: `id`, `name`,
//!   `shortDescription`, `fullDescription`, `help` (text and markdown, with the rule's
//!   references), `defaultConfiguration.level`, and `properties` with `tags` (`security`,
//!   `secret`, the provider), `precision` (from the confidence of the rule's findings: high
//!   `very-high`, medium `high`, low `medium`) and `security-severity` (GitHub's 0–10 scale:
//!   critical 9.5, high 8.0, medium 5.5, low 3.0, info 1.0).
//! - `results`: `ruleId`, `ruleIndex`, `level` (critical and high: `error`; medium: `warning`;
//!   low and info: `note`), `rank` (the finding's confidence: high 90, medium 60, low 30), `message.text` (rule name and redacted secret), one physical
//!   location relative to `%SRCROOT%` with a region (1-based start line and column, end line and
//!   end column — SARIF's end column is exclusive), the redacted snippet, and
//!   `partialFingerprints["leakhound/v2"]`, leakhound's fingerprint (the key names its scheme,
//!   see [`crate::finding::fingerprint`]), so GitHub keeps one alert per secret across pushes.
//!   `properties` carry `entropy`, `severity`, `confidence`, `validation`, `candidates`, and for git findings `commit` (id,
//!   author, email, date, message), `also_in` and `also_at` (as in json), and `triage` when a
//!   datastore holds a decision; a finding triaged `false-positive`, `accepted` or `revoked`
//!   carries an external, accepted `suppressions` entry with the comment as justification.
//! - Removed (issue 14): `properties.secret_sha256`, an unsalted hash that let anyone holding
//!   the upload confirm guesses of a short secret offline, and the `leakhound/v1` fingerprint
//!   key (a fast hash of the same); `leakhound/v2` replaces both, so code scanning sees new
//!   fingerprints once, on the first upload after the change.
//! - `versionControlProvenance` in git modes when `origin` is a web-reachable remote: its
//!   `https://` URI (scp-style and `ssh://` remotes converted; never credentials), the revision
//!   scanned and the branch. A local or `file://` remote gives no provenance (SARIF requires
//!   the URI).
//! - `invocations[0]`: `executionSuccessful` and `exitCode` (the process's exit code).
//!
//! Secrets are redacted unless `--show-secrets`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde_json::{json, Value};

use super::Summary;
use super::{shown_secret, shown_snippet, ReportContext, ReportOptions, Reporter};
use crate::finding::{fingerprint, Finding};
use crate::rule::{Confidence, Severity};

/// Writes SARIF 2.1.0.
#[derive(Debug)]
pub struct SarifReporter {
    options: ReportOptions,
    context: ReportContext,
    results: Vec<Value>,
    /// Rule id -> index in the `rules` array, in order of first appearance.
    rule_index: BTreeMap<String, usize>,
    rule_order: Vec<String>,
}

impl SarifReporter {
    /// A reporter with these options and this context.
    pub fn new(options: ReportOptions, context: ReportContext) -> Self {
        SarifReporter {
            options,
            context,
            results: Vec::new(),
            rule_index: BTreeMap::new(),
            rule_order: Vec::new(),
        }
    }
}

/// A triage decision as a SARIF suppression: a false positive or an accepted risk is
/// `accepted`, a revoked secret too (nothing is left to fix but the history), each with the
/// comment as justification; open and confirmed findings are not suppressed.
fn suppression(triage: &crate::finding::Triage) -> Option<Value> {
    matches!(
        triage.status.as_str(),
        "false-positive" | "accepted" | "revoked"
    )
    .then(|| {
        let justification = match &triage.comment {
            Some(comment) => format!("{}: {comment}", triage.status),
            None => triage.status.clone(),
        };
        json!({ "kind": "external", "status": "accepted", "justification": justification })
    })
}

/// SARIF's `level` for a severity.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// SARIF's `rank` (0–100, how relevant a result is) for a finding's confidence.
pub fn rank(confidence: Confidence) -> f64 {
    match confidence {
        Confidence::High => 90.0,
        Confidence::Medium => 60.0,
        Confidence::Low => 30.0,
    }
}

/// A rule's `precision` property (GitHub code scanning: `very-high`, `high`, `medium`, `low`)
/// for the confidence of its findings.
fn precision(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "very-high",
        Confidence::Medium => "high",
        Confidence::Low => "medium",
    }
}

/// GitHub's `security-severity` (0.0–10.0) for a severity.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// `path` as a relative URI reference: `/`-separated, percent-encoding what URIs cannot hold.
pub fn relative_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.replace('\\', "/").bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'/'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
            | b'@' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// A git remote URL as the `https://` URI of the repository, for `repositoryUri`: scp-style
/// (`git@host:owner/repo.git`), `ssh://` and `git://` remotes become `https://host/owner/repo`;
/// user names, passwords and tokens, queries and a trailing `.git` are dropped. Local paths,
/// `file://` and anything else unrecognised give `None`: a path on the scanning machine
/// identifies nothing for a SARIF viewer.
pub fn repository_uri(remote: &str) -> Option<String> {
    let remote = remote.trim();
    let (scheme, rest) = match remote.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => {
            // scp-style `[user@]host:path`, as git reads it: a colon after a slash, or after a
            // drive letter, is a local path.
            let (authority, path) = remote.split_once(':')?;
            if authority.len() < 2 || authority.contains(['/', '\\']) {
                return None;
            }
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            return https_uri("https", host, path, false);
        }
    };
    let (authority, path) = rest.split_once('/')?;
    let host_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    match scheme.as_str() {
        "https" | "http" => https_uri(&scheme, host_port, path, true),
        // The ssh port says nothing about the web server's.
        "ssh" | "git+ssh" | "ssh+git" | "git" => https_uri("https", host_port, path, false),
        _ => None,
    }
}

/// `scheme://host[:port]/path` from a remote's parts, or `None` when the host is not a host
/// name or the path is empty.
fn https_uri(scheme: &str, host_port: &str, path: &str, keep_port: bool) -> Option<String> {
    let (host, port) = match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => (host, port),
        _ => (host_port, ""),
    };
    let valid_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let path = path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_matches('/');
    let path = path
        .strip_suffix(".git")
        .unwrap_or(path)
        .trim_end_matches('/');
    if !valid_host || path.is_empty() {
        return None;
    }
    let port = if keep_port && !port.is_empty() {
        format!(":{port}")
    } else {
        String::new()
    };
    Some(format!(
        "{scheme}://{}{port}/{}",
        host.to_ascii_lowercase(),
        relative_uri(path)
    ))
}

impl SarifReporter {
    fn descriptor(&self, rule_id: &str) -> Value {
        let info = self.context.rules.get(rule_id);
        let name = info.map_or(rule_id, |info| info.name.as_str());
        let severity = info.map_or(Severity::High, |info| info.severity);
        let references: &[String] = info.map_or(&[], |info| info.references.as_slice());
        let provider = info.map_or("", |info| info.provider.as_str());
        let full = format!(
            "{name}. A leaked credential of this kind grants access to the service it belongs to; \
             leakhound found one matching rule {rule_id}."
        );
        let mut markdown = format!(
            "**{name}** (`{rule_id}`, severity {severity}).\n\nRemove the secret from the code, **rotate it** \
             (assume it is compromised once pushed), and load it from a secret store or environment \
             variable. If it is not a secret, add a `leakhound:allow` comment on its line or an \
             allowlist entry in `.leakhound.toml`."
        );
        let mut text = format!(
            "{name} ({rule_id}). Remove the secret, rotate it, and load it from a secret store. \
             Mark false positives with a `leakhound:allow` comment or an allowlist entry."
        );
        if !references.is_empty() {
            markdown.push_str("\n\nReferences:\n");
            for reference in references {
                markdown.push_str(&format!("- <{reference}>\n"));
            }
            text.push_str(&format!(" References: {}", references.join(" ")));
        }
        let mut tags = vec!["security".to_string(), "secret".to_string()];
        if !provider.is_empty() {
            tags.push(provider.to_string());
        }
        json!({
            "id": rule_id,
            "name": pascal_case(rule_id),
            "shortDescription": { "text": name },
            "fullDescription": { "text": full },
            "help": { "text": text, "markdown": markdown },
            "helpUri": references.first(),
            "defaultConfiguration": { "level": level(severity) },
            "properties": {
                "tags": tags,
                "precision": precision(info.map_or(Confidence::Medium, |info| info.confidence)),
                "security-severity": security_severity(severity),
            },
        })
    }
}

/// `github.pat-classic` -> `GithubPatClassic` (SARIF suggests an identifier-like `name`).
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

impl Reporter for SarifReporter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, _out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        let index = match self.rule_index.get(&finding.rule_id) {
            Some(&index) => index,
            None => {
                let index = self.rule_order.len();
                self.rule_index.insert(finding.rule_id.clone(), index);
                self.rule_order.push(finding.rule_id.clone());
                index
            }
        };
        let location = &finding.location;
        let mut properties = json!({
            "entropy": (finding.entropy * 1000.0).round() / 1000.0,
            "severity": finding.severity.as_str(),
            "confidence": finding.confidence.as_str(),
        });
        if let Some(validation) = &finding.validation {
            properties["validation"] =
                json!({ "kind": validation.kind, "result": validation.result });
        }
        if !finding.candidates.is_empty() {
            properties["candidates"] = json!(finding.candidates);
        }
        if let Some(commit) = &finding.commit {
            properties["commit"] = serde_json::to_value(commit.as_ref()).unwrap_or(Value::Null);
        }
        if let Some(also_in) = finding.also_in {
            properties["also_in"] = json!(also_in);
        }
        if !finding.also_at.is_empty() {
            properties["also_at"] = finding
                .also_at
                .iter()
                .map(|place| {
                    json!({
                        "path": place.path,
                        "commit": place.commit.id,
                        "date": place.commit.date,
                        "reintroduced": place.reintroduced,
                    })
                })
                .collect();
        }
        if let Some(verification) = &finding.verification {
            properties["verification"] = serde_json::to_value(verification).unwrap_or(Value::Null);
        }
        if let Some(triage) = &finding.triage {
            properties["triage"] = serde_json::to_value(triage).unwrap_or(Value::Null);
        }
        let mut result = json!({
            "ruleId": finding.rule_id,
            "ruleIndex": index,
            "level": level(finding.severity),
            "rank": rank(finding.confidence),
            "message": { "text": format!("{}: {}", finding.rule_name, shown_secret(finding, self.options)) },
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": { "uri": relative_uri(&finding.rel_path), "uriBaseId": "%SRCROOT%" },
                    "region": {
                        "startLine": location.line,
                        "startColumn": location.column,
                        "endLine": location.end_line,
                        "endColumn": location.end_column + 1,
                        "snippet": { "text": shown_snippet(finding, self.options) },
                    },
                },
            }],
            "partialFingerprints": { (fingerprint::SCHEME): finding.fingerprint },
            "properties": properties,
        });
        if let Some(suppression) = finding.triage.as_deref().and_then(suppression) {
            result["suppressions"] = json!([suppression]);
        }
        self.results.push(result);
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _stats: &Summary) -> io::Result<()> {
        let rules: Vec<Value> = self
            .rule_order
            .iter()
            .map(|id| self.descriptor(id))
            .collect();
        let mut run = json!({
            "tool": {
                "driver": {
                    "name": "leakhound",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://crates.io/crates/leakhound",
                    "rules": rules,
                },
            },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The project root (the git work tree)" } } },
            "results": std::mem::take(&mut self.results),
            "invocations": [{
                "executionSuccessful": self.context.exit_code != 2,
                "exitCode": self.context.exit_code,
            }],
            "columnKind": "unicodeCodePoints",
        });
        // SARIF requires `repositoryUri`: without a web URI for the repository, no provenance.
        let repository = self.context.repository.as_ref();
        if let Some((repository, uri)) = repository.and_then(|r| Some((r, r.uri.as_deref()?))) {
            let mut provenance = json!({ "repositoryUri": uri, "revisionId": repository.revision });
            if let Some(branch) = &repository.branch {
                provenance["branch"] = json!(branch);
            }
            run["versionControlProvenance"] = json!([provenance]);
        }
        let document = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [run],
        });
        serde_json::to_writer_pretty(&mut *out, &document)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_and_names() {
        assert_eq!(relative_uri("src/a b/c%d.py"), "src/a%20b/c%25d.py");
        assert_eq!(relative_uri("dir\\file#1?.txt"), "dir/file%231%3F.txt");
        assert_eq!(relative_uri("café"), "caf%C3%A9");
        assert_eq!(pascal_case("github.pat-classic"), "GithubPatClassic");
    }

    #[test]
    fn remotes_become_https_uris_without_credentials() {
        let web = Some("https://github.com/owner/repo".to_string());
        for remote in [
            "git@github.com:owner/repo.git",
            "git@github.com:owner/repo",
            "github.com:owner/repo.git",
            "ssh://git@github.com/owner/repo",
            "ssh://git@github.com:22/owner/repo.git",
            "git+ssh://git@github.com/owner/repo.git/",
            "git://github.com/owner/repo.git",
            "https://github.com/owner/repo.git",
            // Split, so this file is not itself a finding.
            concat!(
                "https://x-access-token:gh",
                "s_abcdef123456@github.com/owner/repo.git"
            ),
            "https://user@GitHub.com/owner/repo?private_token=abc#frag",
        ] {
            assert_eq!(repository_uri(remote), web, "{remote}");
        }
        assert_eq!(
            repository_uri("https://gitlab.example.com:8443/group/sub/repo.git").as_deref(),
            Some("https://gitlab.example.com:8443/group/sub/repo")
        );
        assert_eq!(
            repository_uri("http://git.local/a b.git").as_deref(),
            Some("http://git.local/a%20b")
        );
        for local in [
            "/srv/git/repo.git",
            "./repo",
            "../repo.git",
            "file:///srv/git/repo.git",
            "C:\\repos\\x",
            "C:/repos/x",
            "dir/with:colon",
            "https://github.com/",
            "git@:owner/repo",
            "",
        ] {
            assert_eq!(repository_uri(local), None, "{local}");
        }
    }
}
