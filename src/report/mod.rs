//! Reports: the only code that decides how a finding and its secret look. A [`Reporter`] gets
//! the findings in a deterministic order and writes them to any `io::Write`. Secrets are
//! redacted unless [`ReportOptions::show_secrets`] is set.

pub mod csv;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
mod summary;

pub use summary::Summary;

use std::collections::HashMap;
use std::io::{self, Write};

use crate::finding::Finding;
use crate::rule::{Confidence, RuleSet, Severity};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// For people: rule, location, redacted secret and line; colour on a terminal.
    Human,
    /// One JSON document: `{"version":1,"findings":[...],"stats":{...}}`.
    Json,
    /// One JSON finding per line.
    Jsonl,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// CSV, RFC 4180, formula cells defused.
    Csv,
    /// JUnit XML.
    Junit,
    /// GitHub Actions workflow-command annotations.
    Github,
    /// One self-contained HTML page: summary, filterable table, remediation.
    Html,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "jsonl" => Ok(Format::Jsonl),
            other => Err(format!(
                "unknown format {other:?} (expected human, json or jsonl)"
            )),
        }
    }
}

/// How to render.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReportOptions {
    /// Print secrets in full instead of redacted.
    pub show_secrets: bool,
    /// Use ANSI colours (human format, only when writing to a terminal).
    pub color: bool,
}

/// Writes a report.
pub trait Reporter {
    /// Before the first finding.
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()>;
    /// One finding, in report order.
    fn finding(&mut self, out: &mut dyn Write, finding: &Finding) -> io::Result<()>;
    /// After the last finding.
    fn finish(&mut self, out: &mut dyn Write, stats: &Summary) -> io::Result<()>;
}

/// What a rule looks like to a report (SARIF's rule descriptors).
#[derive(Debug, Clone)]
pub struct RuleInfo {
    /// Human-readable name.
    pub name: String,
    /// Severity.
    pub severity: Severity,
    /// Documentation links.
    pub references: Vec<String>,
    /// The provider (the rule file's name).
    pub provider: String,
    /// How sure the rule's findings are when nothing lowers it (SARIF's `precision`).
    pub confidence: Confidence,
}

/// The repository a git scan read (SARIF's `versionControlProvenance`).
#[derive(Debug, Clone, Default)]
pub struct RepositoryInfo {
    /// The `origin` remote as an `https://` URI without credentials ([`sarif::repository_uri`]).
    pub uri: Option<String>,
    /// The commit scanned up to (HEAD).
    pub revision: String,
    /// The branch HEAD is on.
    pub branch: Option<String>,
}

/// What a report needs besides the findings.
#[derive(Debug, Clone, Default)]
pub struct ReportContext {
    /// The exit code the process will end with.
    pub exit_code: u8,
    /// The rules, by id.
    pub rules: HashMap<String, RuleInfo>,
    /// The repository, for git scans.
    pub repository: Option<RepositoryInfo>,
    /// What was scanned, in words (`history /src/app`), for reports that say it (HTML).
    pub scope: Option<String>,
}

impl ReportContext {
    /// The descriptions of the rules in `rules` whose id is `wanted`.
    pub fn rule_infos(rules: &RuleSet, wanted: impl Fn(&str) -> bool) -> HashMap<String, RuleInfo> {
        rules
            .rules()
            .iter()
            .filter(|rule| wanted(&rule.id))
            .map(|rule| {
                (
                    rule.id.clone(),
                    RuleInfo {
                        name: rule.name.clone(),
                        severity: rule.severity,
                        references: rule.references.clone(),
                        provider: rule.provider().to_string(),
                        confidence: rule.confidence(),
                    },
                )
            })
            .collect()
    }
}

/// The reporter for `format`.
pub fn reporter(
    format: Format,
    options: ReportOptions,
    context: ReportContext,
) -> Box<dyn Reporter> {
    match format {
        Format::Human => Box::new(human::HumanReporter::new(options)),
        Format::Json => Box::new(json::JsonReporter::new(options, false)),
        Format::Jsonl => Box::new(json::JsonReporter::new(options, true)),
        Format::Sarif => Box::new(sarif::SarifReporter::new(options, context)),
        Format::Csv => Box::new(csv::CsvReporter::new(options)),
        Format::Junit => Box::new(junit::JunitReporter::new(options)),
        Format::Github => Box::new(github::GithubReporter::new(options)),
        Format::Html => Box::new(html::HtmlReporter::new(options, context)),
    }
}

/// Sorts findings for reporting: by path, position, then rule id.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (
            &a.path,
            a.location,
            &a.rule_id,
            a.commit.as_ref().map(|c| &c.id),
        )
            .cmp(&(
                &b.path,
                b.location,
                &b.rule_id,
                b.commit.as_ref().map(|c| &c.id),
            ))
    });
}

/// Writes a whole report.
pub fn write_report(
    reporter: &mut dyn Reporter,
    out: &mut dyn Write,
    findings: &[Finding],
    stats: &Summary,
) -> io::Result<()> {
    reporter.begin(out)?;
    for finding in findings {
        reporter.finding(out, finding)?;
    }
    reporter.finish(out, stats)?;
    out.flush()
}

/// The secret as the report shows it.
pub fn shown_secret(finding: &Finding, options: ReportOptions) -> String {
    if options.show_secrets {
        String::from_utf8_lossy(finding.secret.expose()).into_owned()
    } else {
        finding.secret.redacted()
    }
}

/// The snippet as the report shows it: redacted, or with the finding's own secret restored
/// under `--show-secrets` (other secrets on the line stay redacted only if not shown).
pub fn shown_snippet(finding: &Finding, options: ReportOptions) -> String {
    if options.show_secrets {
        finding.snippet.replacen(
            &finding.secret.redacted(),
            &shown_secret(finding, options),
            1,
        )
    } else {
        finding.snippet.clone()
    }
}

/// A collecting reporter for tests: keeps the findings' rule ids and redacted secrets.
#[derive(Debug, Default)]
pub struct CollectReporter {
    /// `(rule_id, path, line)` of each finding, in report order.
    pub findings: Vec<(String, String, usize)>,
}

impl Reporter for CollectReporter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, _out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        self.findings.push((
            finding.rule_id.clone(),
            finding.path.clone(),
            finding.location.line,
        ));
        Ok(())
    }

    fn finish(&mut self, _out: &mut dyn Write, _stats: &Summary) -> io::Result<()> {
        Ok(())
    }
}
