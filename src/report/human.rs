//! The `human` report: one block per finding, colour only when writing to a terminal. Paths,
//! snippets and commit messages have control characters and bidirectional overrides escaped,
//! so a hostile file name cannot drive the terminal or hide text.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use super::Summary;
use super::{shown_secret, shown_snippet, ReportOptions, Reporter};
use crate::finding::Finding;
use crate::rule::Severity;

/// Writes findings for people.
#[derive(Debug)]
pub struct HumanReporter {
    options: ReportOptions,
}

impl HumanReporter {
    /// A reporter with these options.
    pub fn new(options: ReportOptions) -> Self {
        HumanReporter { options }
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.options.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

fn severity_style(severity: Severity) -> Style {
    let color = match severity {
        Severity::Critical | Severity::High => AnsiColor::Red,
        Severity::Medium => AnsiColor::Yellow,
        Severity::Low | Severity::Info => AnsiColor::Blue,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

/// Escapes control characters (C0, DEL, C1) and Unicode bidirectional controls; keeps tabs
/// when `keep_tabs`.
pub fn escape(text: &str, keep_tabs: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' if keep_tabs => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&c.escape_unicode().to_string());
            }
            c => out.push(c),
        }
    }
    out
}

impl Reporter for HumanReporter {
    fn begin(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    fn finding(&mut self, out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        let severity = self.paint(
            severity_style(finding.severity),
            &format!("[{}]", finding.severity),
        );
        let rule = self.paint(Style::new().bold(), &finding.rule_id);
        writeln!(
            out,
            "{severity} {rule}: {}",
            escape(&finding.rule_name, false)
        )?;
        let location = format!(
            "{}:{}:{}",
            escape(&finding.path, false),
            finding.location.line,
            finding.location.column
        );
        writeln!(
            out,
            "  at {}",
            self.paint(
                Style::new().fg_color(Some(AnsiColor::Cyan.into())),
                &location
            )
        )?;
        let mut secret = if finding.is_whole_file() {
            "the whole file".to_string()
        } else {
            escape(&shown_secret(finding, self.options), false)
        };
        // The placeholder check says nothing a reader needs; structural checks do.
        if let Some(validation) = finding
            .validation
            .as_ref()
            .filter(|v| v.kind != "placeholder")
        {
            secret.push_str(&format!(" ({} {})", validation.kind, validation.result));
        }
        writeln!(out, "  secret: {secret}, confidence {}", finding.confidence)?;
        if let Some(verification) = &finding.verification {
            writeln!(
                out,
                "  verified: {} at {}",
                escape(&verification.summary(), false),
                verification.checked_at
            )?;
        }
        if let Some(triage) = &finding.triage {
            let mut line = format!("  triage: {}", triage.status);
            if let Some(comment) = &triage.comment {
                line.push_str(&format!(" ({})", escape(comment, false)));
            }
            if let (Some(by), Some(at)) = (&triage.by, &triage.at) {
                line.push_str(&format!(", by {} at {at}", escape(by, false)));
            }
            writeln!(out, "{line}")?;
        }
        if !finding.candidates.is_empty() {
            writeln!(out, "  also fits: {}", finding.candidates.join(", "))?;
        }
        if let Some(commit) = &finding.commit {
            writeln!(
                out,
                "  commit: {} {} <{}> {}: {}",
                &commit.id[..commit.id.len().min(12)],
                escape(&commit.author, false),
                escape(&commit.email, false),
                commit.date,
                escape(&commit.message, false)
            )?;
        }
        for place in &finding.also_at {
            writeln!(
                out,
                "  {} {} in {} {}",
                if place.reintroduced {
                    "came back:"
                } else {
                    "also at:  "
                },
                escape(&place.path, false),
                &place.commit.id[..place.commit.id.len().min(12)],
                place.commit.date
            )?;
        }
        if finding.is_whole_file() {
            return writeln!(out); // no line to show
        }
        let gutter = self.paint(
            Style::new().dimmed(),
            &format!("{:>6} |", finding.location.line),
        );
        writeln!(
            out,
            "{gutter} {}",
            escape(&shown_snippet(finding, self.options), true)
        )?;
        writeln!(out)
    }

    fn finish(&mut self, _out: &mut dyn Write, _stats: &Summary) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_bidi_characters() {
        assert_eq!(escape("a\nb\x1b[31mc\td", false), "a\\nb\\u{1b}[31mc\\td");
        assert_eq!(escape("x\ty", true), "x\ty");
        assert_eq!(escape("abc\u{202e}cba", false), "abc\\u{202e}cba");
    }
}
