//! `junit`: JUnit XML, for CI systems that show test reports. One test case per finding (a
//! failure whose type is the severity), or one passing case when there is none. Secrets are
//! redacted unless `--show-secrets`.

use std::io::{self, Write};

use super::Summary;
use super::{shown_secret, shown_snippet, ReportOptions, Reporter};
use crate::finding::Finding;

/// Writes JUnit XML.
#[derive(Debug)]
pub struct JunitReporter {
    options: ReportOptions,
    cases: Vec<String>,
}

impl JunitReporter {
    /// A reporter with these options.
    pub fn new(options: ReportOptions) -> Self {
        JunitReporter {
            options,
            cases: Vec::new(),
        }
    }
}

/// `text` escaped for XML attribute values and text, with characters XML 1.0 cannot hold
/// (most control characters) written as `\u{..}`.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                out.push_str(&c.escape_unicode().to_string())
            }
            c => out.push(c),
        }
    }
    out
}

impl Reporter for JunitReporter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, _out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        let location = format!(
            "{}:{}:{}",
            finding.path, finding.location.line, finding.location.column
        );
        let mut details = format!(
            "{} ({})\nat {location}\nsecret: {}\nconfidence: {}\nfingerprint: {}\n{}",
            finding.rule_name,
            finding.rule_id,
            shown_secret(finding, self.options),
            finding.confidence,
            finding.fingerprint,
            shown_snippet(finding, self.options)
        );
        if let Some(commit) = &finding.commit {
            details.push_str(&format!(
                "\ncommit: {} {} <{}> {}",
                commit.id, commit.author, commit.email, commit.date
            ));
        }
        if let Some(verification) = &finding.verification {
            details.push_str(&format!(
                "\nverified: {} at {}",
                verification.summary(),
                verification.checked_at
            ));
        }
        if let Some(triage) = &finding.triage {
            details.push_str(&format!("\ntriage: {}", triage.status));
            if let Some(comment) = &triage.comment {
                details.push_str(&format!(" ({comment})"));
            }
        }
        self.cases.push(format!(
            "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
            xml_escape(&finding.rule_id),
            xml_escape(&location),
            xml_escape(&finding.path),
            finding.location.line,
            xml_escape(&format!("{}: {}", finding.rule_name, shown_secret(finding, self.options))),
            finding.severity,
            xml_escape(&details),
        ));
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, stats: &Summary) -> io::Result<()> {
        let failures = self.cases.len();
        let tests = failures.max(1);
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
        writeln!(
            out,
            "<testsuites name=\"leakhound\" tests=\"{tests}\" failures=\"{failures}\" time=\"{:.3}\">",
            stats.elapsed_ms as f64 / 1000.0
        )?;
        writeln!(
            out,
            "  <testsuite name=\"leakhound secrets scan\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{:.3}\">",
            stats.elapsed_ms as f64 / 1000.0
        )?;
        if self.cases.is_empty() {
            writeln!(
                out,
                "    <testcase classname=\"leakhound\" name=\"no secrets found\"/>"
            )?;
        }
        for case in &self.cases {
            out.write_all(case.as_bytes())?;
        }
        writeln!(out, "  </testsuite>")?;
        writeln!(out, "</testsuites>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escaping() {
        assert_eq!(
            xml_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        assert_eq!(xml_escape("a\u{1b}b"), "a\\u{1b}b");
    }
}
