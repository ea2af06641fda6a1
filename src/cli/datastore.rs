//! `leakhound triage` and `leakhound report`: the datastore's findings listed, triaged, and
//! rendered in any report format without scanning again.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use super::args::{ColorArg, FormatArg};
use super::output::write_file;
use crate::report::human::escape;
use crate::report::{self, ReportContext, ReportOptions, Summary};
use crate::rule::RuleSetBuilder;
use crate::store::{Selection, Store, StoredFinding, STATUSES};

/// `leakhound triage`.
#[derive(Debug, Args)]
pub struct TriageArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: TriageAction,
}

/// `leakhound triage` actions.
#[derive(Debug, Subcommand)]
pub enum TriageAction {
    /// List findings with their id, status and comment.
    List(TriageListArgs),
    /// Set the status of findings: by id, or all those of a rule or a path.
    Set(TriageSetArgs),
}

/// Which findings of a datastore: the filters `triage list` and `report` share.
#[derive(Debug, Args)]
pub struct StoreFilterArgs {
    /// The datastore (written by `scan` or `history` with --datastore).
    #[arg(long, value_name = "FILE")]
    pub datastore: PathBuf,
    /// Only findings with this triage status (open, confirmed, false-positive, accepted,
    /// revoked).
    #[arg(long, value_name = "STATUS")]
    pub status: Option<String>,
    /// Only findings of this rule id.
    #[arg(long, value_name = "RULE")]
    pub rule: Option<String>,
    /// Only findings whose path matches this glob (`src/**`, `*.env`).
    #[arg(long, value_name = "GLOB")]
    pub path: Option<String>,
    /// Also the findings the latest run no longer saw (removed or fixed since).
    #[arg(long)]
    pub include_gone: bool,
}

/// `leakhound triage list`.
#[derive(Debug, Args)]
pub struct TriageListArgs {
    /// Which findings.
    #[command(flatten)]
    pub filter: StoreFilterArgs,
    /// `human` (a table) or `json` (one object per finding, one per line).
    #[arg(long, value_name = "FORMAT", default_value = "human")]
    pub format: String,
}

/// `leakhound triage set`.
#[derive(Debug, Args)]
pub struct TriageSetArgs {
    /// Finding ids (from `triage list`); with none, --rule or --path choose the findings.
    pub ids: Vec<i64>,
    /// The datastore.
    #[arg(long, value_name = "FILE")]
    pub datastore: PathBuf,
    /// The new status: open, confirmed, false-positive, accepted or revoked.
    #[arg(long, value_name = "STATUS")]
    pub status: String,
    /// Why (kept with the decision, shown in every report).
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// Every finding of this rule id.
    #[arg(long, value_name = "RULE")]
    pub rule: Option<String>,
    /// Every finding whose path matches this glob.
    #[arg(long, value_name = "GLOB")]
    pub path: Option<String>,
    /// Who decides (default: $LEAKHOUND_USER, else $USER).
    #[arg(long, value_name = "NAME")]
    pub by: Option<String>,
}

/// `leakhound report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which findings.
    #[command(flatten)]
    pub filter: StoreFilterArgs,
    /// Report format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print secrets in full where the datastore holds them (runs given --show-secrets);
    /// others stay redacted, since the store never had them.
    #[arg(long)]
    pub show_secrets: bool,
    /// Colour in the human report: auto, always or never.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Ask the vendors again whether these findings are live (only those whose secret the
    /// store holds: runs given --show-secrets), and record the answers.
    #[command(flatten)]
    pub verify: super::args::VerifyArgs,
}

/// Runs `leakhound triage`.
pub(super) fn triage(args: TriageArgs) -> anyhow::Result<u8> {
    match args.action {
        TriageAction::List(args) => list(&args),
        TriageAction::Set(args) => set(&args),
    }
}

fn selection(filter: &StoreFilterArgs) -> anyhow::Result<Selection> {
    if let Some(status) = &filter.status {
        check_status(status)?;
    }
    Ok(Selection {
        ids: Vec::new(),
        status: filter.status.clone(),
        rule: filter.rule.clone(),
        path: filter.path.as_deref().map(glob).transpose()?,
        include_gone: filter.include_gone,
    })
}

fn glob(pattern: &str) -> anyhow::Result<globset::GlobMatcher> {
    Ok(globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .with_context(|| format!("--path {:?}: not a glob", escape(pattern, false)))?
        .compile_matcher())
}

fn check_status(status: &str) -> anyhow::Result<()> {
    if STATUSES.contains(&status) {
        Ok(())
    } else {
        anyhow::bail!(
            "unknown status {:?} (expected one of {})",
            escape(status, false),
            STATUSES.join(", ")
        )
    }
}

/// Opens an existing datastore: reading one that is not there is a mistake, not an empty list.
fn open_existing(path: &Path) -> anyhow::Result<Store> {
    if !path.is_file() {
        anyhow::bail!(
            "{}: no such datastore (write one with `leakhound scan --datastore FILE` or `leakhound history --datastore FILE`)",
            escape(&path.display().to_string(), false)
        );
    }
    Ok(Store::open(path)?)
}

fn list(args: &TriageListArgs) -> anyhow::Result<u8> {
    let store = open_existing(&args.filter.datastore)?;
    let findings = store.findings(&selection(&args.filter)?)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match args.format.as_str() {
        "json" => findings.iter().try_for_each(|stored| {
            serde_json::to_writer(&mut out, &list_record(stored))?;
            writeln!(out)
        }),
        "human" => write_table(&mut out, &findings),
        other => anyhow::bail!(
            "--format {:?}: expected human or json",
            escape(other, false)
        ),
    };
    super::run::ignore_broken_pipe(written.and_then(|()| out.flush()))?;
    Ok(super::EXIT_CLEAN)
}

fn list_record(stored: &StoredFinding) -> serde_json::Value {
    let finding = &stored.finding;
    serde_json::json!({
        "id": stored.id,
        "status": finding.triage.as_ref().map_or("open", |t| t.status.as_str()),
        "comment": finding.triage.as_ref().and_then(|t| t.comment.clone()),
        "present": stored.present,
        "rule_id": finding.rule_id,
        "severity": finding.severity.as_str(),
        "confidence": finding.confidence.as_str(),
        "path": finding.path,
        "line": finding.location.line,
        "commit": finding.commit.as_ref().map(|c| c.id.clone()),
        "secret": finding.secret.redacted(),
        "fingerprint": finding.fingerprint,
    })
}

fn write_table(out: &mut dyn Write, findings: &[StoredFinding]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:>5}  {:<14}  {:<8}  {:<36}  location",
        "id", "status", "severity", "rule"
    )?;
    for stored in findings {
        let finding = &stored.finding;
        let status = finding
            .triage
            .as_ref()
            .map_or("open", |t| t.status.as_str());
        let gone = if stored.present { "" } else { " (gone)" };
        writeln!(
            out,
            "{:>5}  {:<14}  {:<8}  {:<36}  {}:{}{}  {}",
            stored.id,
            status,
            finding.severity.as_str(),
            finding.rule_id,
            escape(&finding.path, false),
            finding.location.line,
            gone,
            finding.secret.redacted(),
        )?;
        if let Some(comment) = finding.triage.as_ref().and_then(|t| t.comment.as_deref()) {
            writeln!(out, "{:>5}  {}", "", escape(comment, false))?;
        }
    }
    Ok(())
}

fn set(args: &TriageSetArgs) -> anyhow::Result<u8> {
    check_status(&args.status)?;
    if args.ids.is_empty() && args.rule.is_none() && args.path.is_none() {
        anyhow::bail!(
            "name the findings: ids (see `leakhound triage list`), --rule RULE or --path GLOB"
        );
    }
    let mut store = open_existing(&args.datastore)?;
    let selection = Selection {
        ids: args.ids.clone(),
        status: None,
        rule: args.rule.clone(),
        path: args.path.as_deref().map(glob).transpose()?,
        include_gone: true,
    };
    let by = args.by.clone().unwrap_or_else(|| {
        ["LEAKHOUND_USER", "USER", "USERNAME"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
            .unwrap_or_else(|| "unknown".to_string())
    });
    let changed = store.set_triage(&selection, &args.status, args.comment.as_deref(), &by)?;
    super::say(format_args!(
        "leakhound: {changed} finding{} set to {}",
        if changed == 1 { "" } else { "s" },
        args.status
    ));
    Ok(super::EXIT_CLEAN)
}

/// Runs `leakhound report`.
pub(super) fn report(args: ReportArgs) -> anyhow::Result<u8> {
    let store = open_existing(&args.filter.datastore)?;
    let stored = store.findings(&selection(&args.filter)?)?;
    let ids: Vec<i64> = stored.iter().map(|stored| stored.id).collect();
    let mut findings: Vec<_> = stored.into_iter().map(|stored| stored.finding).collect();
    if let Some(verify) = args.verify.settings() {
        super::run::verify_findings(&verify, &mut findings, false)?;
        for (id, finding) in ids.iter().zip(&findings) {
            // "unknown" (no check, secret not held) must not overwrite an earlier answer.
            if let Some(verification) = finding
                .verification
                .as_ref()
                .filter(|v| v.status != "unknown")
            {
                store.set_verification(*id, verification)?;
            }
        }
    }
    let live = findings.iter().any(|finding| {
        finding
            .verification
            .as_ref()
            .is_some_and(|v| v.status == "live")
    });
    let mut builder = RuleSetBuilder::new();
    builder.lazy(true).builtin();
    let rules = builder.build()?;
    let runs = store.runs()?;
    let scopes: std::collections::BTreeSet<String> = runs
        .iter()
        .map(|run| format!("{} {}", run.command, run.target))
        .collect();
    let last = runs.iter().rev().find_map(|run| run.ended_at.clone());
    let context = ReportContext {
        exit_code: super::EXIT_CLEAN,
        rules: ReportContext::rule_infos(&rules, |_| true),
        repository: None,
        scope: Some(format!(
            "datastore {}: {}{}",
            args.filter.datastore.display(),
            scopes.into_iter().collect::<Vec<_>>().join("; "),
            last.map(|at| format!(", last run ended {at}"))
                .unwrap_or_default()
        )),
    };
    let format = args.format.format();
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let options = ReportOptions {
        show_secrets: args.show_secrets,
        color: format == report::Format::Human
            && args
                .color
                .enabled(to_terminal, |name| std::env::var(name).ok()),
    };
    let stats = Summary {
        findings: findings.len() as u64,
        ..Summary::default()
    };
    let mut reporter = report::reporter(format, options, context);
    let mut write =
        |out: &mut dyn Write| report::write_report(reporter.as_mut(), out, &findings, &stats);
    match &args.output {
        Some(path) => write_file(path, 0o644, write),
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            super::run::ignore_broken_pipe(write(&mut out).and_then(|()| out.flush()))
                .context("cannot write the report")
        }
    }?;
    Ok(if args.verify.fail_on_live && live {
        1
    } else {
        super::EXIT_CLEAN
    })
}
