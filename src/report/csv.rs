//! `csv`: RFC 4180, one row per finding after a header row. Cells that a spreadsheet would run
//! as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) are prefixed
//! with `'`, so a hostile file name or snippet cannot execute anything when the report is
//! opened. Secrets are redacted unless `--show-secrets`. The `secret_sha256` column is gone
//! (issue 14: an unsalted hash lets anyone holding the file confirm guesses of a short secret);
//! `fingerprint` identifies a finding. Columns are added at the end, never moved:
//! `confidence`, then `triage_status` and `triage_comment`, then `verification_status` and
//! `verification_identity` (the vendor's identity for a live credential, or why there is no
//! answer) came last.

use std::io::{self, Write};

use super::Summary;
use super::{shown_secret, shown_snippet, ReportOptions, Reporter};
use crate::finding::Finding;

/// The header row.
pub const COLUMNS: [&str; 23] = [
    "rule_id",
    "rule_name",
    "severity",
    "path",
    "line",
    "column",
    "end_line",
    "end_column",
    "secret",
    "fingerprint",
    "entropy",
    "validation",
    "commit",
    "author",
    "email",
    "date",
    "message",
    "snippet",
    "confidence",
    "triage_status",
    "triage_comment",
    "verification_status",
    "verification_identity",
];

/// Writes CSV.
#[derive(Debug)]
pub struct CsvReporter {
    options: ReportOptions,
}

impl CsvReporter {
    /// A reporter with these options.
    pub fn new(options: ReportOptions) -> Self {
        CsvReporter { options }
    }
}

/// `cell` made safe to open in a spreadsheet.
pub fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

fn write_row(out: &mut dyn Write, cells: &[String]) -> io::Result<()> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    writer.write_record(cells.iter().map(|cell| defuse(cell)))?;
    writer.flush()
}

impl Reporter for CsvReporter {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        write_row(out, &COLUMNS.map(String::from))
    }

    fn finding(&mut self, out: &mut dyn Write, finding: &Finding) -> io::Result<()> {
        let commit = finding.commit.as_deref();
        let triage = finding.triage.as_ref();
        let verification = finding.verification.as_ref();
        let location = &finding.location;
        let cells = [
            finding.rule_id.clone(),
            finding.rule_name.clone(),
            finding.severity.to_string(),
            finding.path.clone(),
            location.line.to_string(),
            location.column.to_string(),
            location.end_line.to_string(),
            location.end_column.to_string(),
            shown_secret(finding, self.options),
            finding.fingerprint.clone(),
            format!("{:.3}", finding.entropy),
            finding
                .validation
                .as_ref()
                .map(|v| format!("{} {}", v.kind, v.result))
                .unwrap_or_default(),
            commit.map(|c| c.id.clone()).unwrap_or_default(),
            commit.map(|c| c.author.clone()).unwrap_or_default(),
            commit.map(|c| c.email.clone()).unwrap_or_default(),
            commit.map(|c| c.date.clone()).unwrap_or_default(),
            commit.map(|c| c.message.clone()).unwrap_or_default(),
            shown_snippet(finding, self.options),
            finding.confidence.to_string(),
            triage.map(|t| t.status.clone()).unwrap_or_default(),
            triage.and_then(|t| t.comment.clone()).unwrap_or_default(),
            verification.map(|v| v.status.clone()).unwrap_or_default(),
            verification
                .and_then(|v| v.identity.clone().or_else(|| v.reason.clone()))
                .unwrap_or_default(),
        ];
        write_row(out, &cells)
    }

    fn finish(&mut self, _out: &mut dyn Write, _stats: &Summary) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        for (cell, safe) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-2", "'-2"),
            ("@SUM", "'@SUM"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(defuse(cell), safe);
        }
    }

    #[test]
    fn rows_are_quoted_per_rfc_4180() {
        let mut out = Vec::new();
        write_row(
            &mut out,
            &["a,b".into(), "say \"hi\"".into(), "x\ny".into()],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"a,b\",\"say \"\"hi\"\"\",\"x\ny\"\r\n"
        );
    }
}
