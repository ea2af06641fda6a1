//! `github`: GitHub Actions workflow commands, so a pull request shows each finding on its line
//! without code scanning: `::error file=PATH,line=N,col=N,endLine=N,endColumn=N,title=RULE::MESSAGE`
//! (`error` for critical and high, `warning` for medium, `notice` for low and info). Values are
//! escaped per the workflow-command rules (`%`, CR and LF in the message; also `:` and `,` in
//! properties), so a hostile file name cannot inject a command. Secrets are redacted unless
//! `--show-secrets`.

use std::io::{self, Write};

use super::Summary;
use super::{shown_secret, ReportOptions, Reporter};
use crate::finding::Finding;
use crate::rule::Severity;

/// Writes workflow-command annotations.
#[derive(Debug)]
pub struct GithubReporter {
    options: ReportOptions,
}

impl GithubReporter {
    /// A reporter with these options.
    pub fn new(options: ReportOptions) -> Self {
        GithubReporter { options }
    }
}

/// A workflow command's message, escaped.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value, escaped.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Reporter for GithubReporter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        let command = match finding.severity {
            Severity::Critical | Severity::High => "error",
            Severity::Medium => "warning",
            Severity::Low | Severity::Info => "notice",
        };
        let location = &finding.location;
        let mut message = format!(
            "{} ({}, confidence {}): {} — remove it, rotate it, or mark a false positive with `leakhound:allow`",
            finding.rule_name,
            finding.severity,
            finding.confidence,
            shown_secret(finding, self.options)
        );
        if let Some(commit) = &finding.commit {
            message.push_str(&format!(
                " (added in {} by {})",
                &commit.id[..commit.id.len().min(12)],
                commit.author
            ));
        }
        if let Some(verification) = &finding.verification {
            message.push_str(&format!(" [verified: {}]", verification.summary()));
        }
        if let Some(triage) = &finding.triage {
            message.push_str(&format!(" [triage: {}]", triage.status));
        }
        writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&finding.rel_path),
            location.line,
            location.column,
            location.end_line,
            location.end_column + 1,
            escape_property(&format!("leakhound {}", finding.rule_id)),
            escape_data(&message)
        )
    }

    fn finish(&mut self, _out: &mut dyn Write, _stats: &Summary) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("50%\r\nnext"), "50%25%0D%0Anext");
        assert_eq!(
            escape_property("a:b,c\n::error::x"),
            "a%3Ab%2Cc%0A%3A%3Aerror%3A%3Ax"
        );
    }
}
