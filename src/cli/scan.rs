//! `leakhound scan`: options from arguments, the rule set and filters from the config, one
//! scan, one report, one exit code.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{BaselineArgs, CommonArgs, FormatArg, ScanArgs};
use crate::config::{self, LoadedConfig};
use crate::engine::Engine;
use crate::filter::baseline::Baseline;
use crate::filter::import::Imported;
use crate::filter::Filters;
use crate::finding::Finding;
use crate::report::human::escape;
use crate::report::{self, Format, ReportContext, ReportOptions};
use crate::scan::{self, Diagnostics, ScanResult};
use crate::source::fs::{project_root, FsOptions, FsSource};
use crate::source::stdin::StdinSource;
use crate::source::{SkipReason, Source};

pub(super) fn run(args: ScanArgs) -> anyhow::Result<u8> {
    let (setup, result) = scan_paths(&args.paths, args.no_ignore, &args.common)?;
    setup.warn_stale_baseline(&result, &args.common);
    finish(
        &args.common,
        result,
        Unit::Files,
        setup.report_context(None),
    )
}

/// Scans files, directories or standard input (`-`) with the config found for them.
fn scan_paths(
    paths: &[PathBuf],
    no_ignore: bool,
    common: &CommonArgs,
) -> anyhow::Result<(Setup, ScanResult)> {
    let args = ScanArgs {
        paths: paths.to_vec(),
        no_ignore,
        common: common.clone(),
    };
    let reads_stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if reads_stdin && args.paths.len() > 1 {
        anyhow::bail!("`-` (standard input) cannot be combined with other paths");
    }
    for path in &args.paths {
        if !reads_stdin && std::fs::symlink_metadata(path).is_err() {
            anyhow::bail!(
                "{}: no such file or directory",
                escape(&path.display().to_string(), false)
            );
        }
    }
    let root = if reads_stdin {
        std::env::current_dir().context("cannot read the current directory")?
    } else {
        project_root(&args.paths[0])
    };
    let setup = Setup::new(&args.common, &root)?;
    let source: Box<dyn Source> = if reads_stdin {
        Box::new(StdinSource::new(
            std::io::stdin(),
            args.common.max_file_size,
        ))
    } else {
        Box::new(FsSource::new(FsOptions {
            roots: args.paths.clone(),
            max_file_size: args.common.max_file_size,
            no_ignore: args.no_ignore,
            project_root: root.clone(),
        }))
    };
    let result = setup.scan(source.as_ref(), &args.common, None, Unit::Files);
    Ok((setup, result))
}

/// `leakhound baseline`: writes (or prunes) the baseline at `--output`.
pub(super) fn baseline(args: BaselineArgs) -> anyhow::Result<u8> {
    let Some(output) = args.common.output.clone() else {
        anyhow::bail!("`leakhound baseline` needs --output FILE (the baseline file to write)");
    };
    // The baseline is built from every current finding: no baseline filters this scan.
    let common = CommonArgs {
        baseline: None,
        ..args.common.clone()
    };
    let result = if args.history {
        let repo = args
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        super::git::history_result(&repo, &common)?
    } else {
        scan_paths(&args.paths, args.no_ignore, &common)?.1
    };
    let mut err = std::io::stderr().lock();
    let written = if args.prune {
        let old = Baseline::load(&output)?;
        let pruned = old.pruned(&result.findings);
        let _ = writeln!(
            err,
            "leakhound: pruned {} stale entries from {}, kept {}",
            old.len().saturating_sub(pruned.len()),
            output.display(),
            pruned.len()
        );
        if old.is_legacy() {
            let _ = writeln!(
                err,
                "leakhound: rewrote {} in the current format (version 2), without the unsalted hashes of version 1",
                output.display()
            );
        }
        pruned
    } else if let Some(import) = &args.import {
        let imported = Imported::load(import)?;
        let mut used = HashSet::new();
        let covered: Vec<&Finding> = result
            .findings
            .iter()
            .filter(|f| imported.covering(f).map(|at| used.insert(at)).is_some())
            .collect();
        let baseline = Baseline::from_findings(covered.iter().copied());
        let _ = writeln!(
            err,
            "leakhound: {} {}: {} of its {} entries match a current finding; wrote {} entries to {} ({} current findings stay reported)",
            imported.format().name(),
            import.display(),
            used.len(),
            imported.len(),
            baseline.len(),
            output.display(),
            result.findings.len() - covered.len()
        );
        baseline
    } else {
        let current = Baseline::from_findings(&result.findings);
        let _ = writeln!(
            err,
            "leakhound: wrote {} entries to {}",
            current.len(),
            output.display()
        );
        current
    };
    std::fs::write(&output, written.to_text())
        .with_context(|| format!("{}: cannot write the baseline", output.display()))?;
    Ok(super::EXIT_CLEAN)
}

/// What a scan counts: files (filesystem, stdin, changes) or blobs (history).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Unit {
    Files,
    Blobs,
}

impl Unit {
    fn name(self, count: u64) -> &'static str {
        match (self, count) {
            (Unit::Files, 1) => "file",
            (Unit::Files, _) => "files",
            (Unit::Blobs, 1) => "blob",
            (Unit::Blobs, _) => "blobs",
        }
    }
}

/// The engine and filters for a scan, from the config.
pub(super) struct Setup {
    engine: Engine,
    filters: Filters,
}

impl Setup {
    /// Loads the config (explicit, or found at `root`) and builds the engine and allowlist.
    pub(super) fn new(common: &CommonArgs, root: &Path) -> anyhow::Result<Setup> {
        let LoadedConfig { config, path } = config::discover(common.config.as_deref(), root)?;
        let config_file = path.unwrap_or_else(|| PathBuf::from(config::CONFIG_FILE_NAME));
        let (engine, mut filters) = scan::prepare(&config, &config_file, root)?;
        filters.baseline = common.baseline.as_deref().map(Baseline::load).transpose()?;
        if let (Some(baseline), Some(file)) = (&filters.baseline, &common.baseline) {
            if baseline.is_legacy() {
                // Not silenced by -q: the file itself leaks (issue 14).
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "leakhound: note: {} is a version 1 baseline, which holds unsalted SHA-256 hashes of the secrets (guessable offline); it still works, but regenerate it with `leakhound baseline --prune --output {}`",
                    escape(&file.display().to_string(), false),
                    escape(&file.display().to_string(), false),
                );
            }
        }
        filters.decode_depth = common.decode_depth.min(4);
        Ok(Setup { engine, filters })
    }

    /// What the report needs besides the findings: rule descriptions, the repository.
    pub(super) fn report_context(
        &self,
        repository: Option<report::RepositoryInfo>,
    ) -> ReportContext {
        ReportContext {
            exit_code: 0,
            rules: ReportContext::rule_infos(self.engine.rules()),
            repository,
        }
    }

    /// After a scan of everything (not a range or the index), warns about baseline entries
    /// that no longer match any finding.
    pub(super) fn warn_stale_baseline(&self, result: &ScanResult, common: &CommonArgs) {
        let Some(baseline) = &self.filters.baseline else {
            return;
        };
        let stale = baseline.stale(&result.baselined).count();
        if stale > 0 && !common.quiet {
            let _ = writeln!(
                std::io::stderr().lock(),
                "leakhound: warning: {stale} baseline entr{} no longer match anything (`leakhound baseline --prune` removes them)",
                if stale == 1 { "y" } else { "ies" }
            );
        }
    }

    /// Runs the scan with a progress display when appropriate; `total` is the number of
    /// inputs when known in advance.
    pub(super) fn scan(
        &self,
        source: &dyn Source,
        common: &CommonArgs,
        total: Option<u64>,
        unit: Unit,
    ) -> ScanResult {
        let threads = common
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let diagnostics = StderrDiagnostics::new(common, total, unit);
        let result = scan::run(source, &self.engine, &self.filters, threads, &diagnostics);
        diagnostics.progress.finish_and_clear();
        result
    }
}

/// Writes the report and the summary; returns the exit code.
pub(super) fn finish(
    common: &CommonArgs,
    mut result: ScanResult,
    unit: Unit,
    mut context: ReportContext,
) -> anyhow::Result<u8> {
    report::sort(&mut result.findings);
    report::sort(&mut result.allowed);
    let format = match common.format {
        FormatArg::Human => Format::Human,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Sarif => Format::Sarif,
        FormatArg::Csv => Format::Csv,
        FormatArg::Junit => Format::Junit,
        FormatArg::Github => Format::Github,
    };
    let to_terminal = common.output.is_none() && std::io::stdout().is_terminal();
    let options = ReportOptions {
        show_secrets: common.show_secrets,
        color: format == Format::Human && to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    // Findings below --fail-on are reported but do not fail the gate.
    let failing = result
        .findings
        .iter()
        .filter(|f| {
            common
                .fail_on
                .is_none_or(|threshold| f.severity >= threshold)
        })
        .count();
    let exit_code = if common.strict && result.stats.errors > 0 {
        super::EXIT_ERROR
    } else if failing == 0 {
        super::EXIT_CLEAN
    } else {
        common.exit_code
    };
    context.exit_code = exit_code;
    let mut reporter = report::reporter(format, options, context);
    match &common.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("{}: cannot create the report file", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            report::write_report(reporter.as_mut(), &mut out, &result.findings, &result.stats)
                .with_context(|| format!("{}: cannot write the report", path.display()))?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            ignore_broken_pipe(report::write_report(
                reporter.as_mut(),
                &mut out,
                &result.findings,
                &result.stats,
            ))
            .context("cannot write the report")?;
        }
    }
    let mut err = std::io::stderr().lock();
    if common.verbose > 0 {
        for allowed in &result.allowed {
            let _ = writeln!(
                err,
                "leakhound: allowed {} at {}:{}:{} ({})",
                allowed.rule_id,
                escape(&allowed.path, false),
                allowed.location.line,
                allowed.location.column,
                allowed.secret
            );
        }
    }
    if !common.quiet {
        let _ = writeln!(err, "{}", summary(&result, unit));
    }
    Ok(exit_code)
}

/// A write to a closed pipe (`leakhound scan | head`) ends the output quietly.
pub(super) fn ignore_broken_pipe(written: std::io::Result<()>) -> std::io::Result<()> {
    match written {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn summary(result: &ScanResult, unit: Unit) -> String {
    let stats = &result.stats;
    let mut by_severity: Vec<String> = Vec::new();
    for severity in crate::rule::Severity::ALL.iter().rev() {
        let count = result
            .findings
            .iter()
            .filter(|f| f.severity == *severity)
            .count();
        if count > 0 {
            by_severity.push(format!("{count} {severity}"));
        }
    }
    let mut line = format!(
        "leakhound: scanned {} {} ({}) in {:.2}s: {} finding{}",
        stats.files,
        unit.name(stats.files),
        human_bytes(stats.bytes),
        stats.elapsed_ms as f64 / 1000.0,
        stats.findings,
        if stats.findings == 1 { "" } else { "s" }
    );
    if !by_severity.is_empty() {
        line.push_str(&format!(" ({})", by_severity.join(", ")));
    }
    let mut extras = Vec::new();
    if stats.allowed > 0 {
        extras.push(format!("{} allowed", stats.allowed));
    }
    if stats.baselined > 0 {
        extras.push(format!("{} baselined", stats.baselined));
    }
    let skipped = stats.skipped_binary + stats.skipped_too_large + stats.skipped_symlinks;
    if skipped > 0 {
        extras.push(format!("{skipped} skipped"));
    }
    if stats.errors > 0 {
        extras.push(format!("{} unreadable", stats.errors));
    }
    if !extras.is_empty() {
        line.push_str(&format!("; {}", extras.join(", ")));
    }
    line
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "B";
    for next in UNITS {
        if value < 1000.0 {
            break;
        }
        value /= 1000.0;
        unit = next;
    }
    format!("{value:.1} {unit}")
}

/// Warnings (always), skipped inputs (with `-v`) and a progress spinner (on a terminal).
struct StderrDiagnostics {
    verbose: bool,
    progress: ProgressBar,
    bytes: AtomicU64,
}

impl StderrDiagnostics {
    fn new(common: &CommonArgs, total: Option<u64>, unit: Unit) -> Self {
        let show = !common.no_progress && !common.quiet && std::io::stderr().is_terminal();
        let progress = if show {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(8));
            let template = match total {
                Some(_) => format!(
                    "{{bar:30}} {{pos}}/{{len}} {}, {{msg}} ({{per_sec}}, {{eta}} left)",
                    unit.name(2)
                ),
                None => format!(
                    "{{spinner}} {{pos}} {}, {{msg}} scanned ({{elapsed}})",
                    unit.name(2)
                ),
            };
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(125));
            bar
        } else {
            ProgressBar::hidden()
        };
        StderrDiagnostics {
            verbose: common.verbose > 0,
            progress,
            bytes: AtomicU64::new(0),
        }
    }

    fn print(&self, line: String) {
        self.progress.suspend(|| {
            let _ = writeln!(std::io::stderr().lock(), "{line}");
        });
    }
}

impl Diagnostics for StderrDiagnostics {
    fn warn(&self, path: &str, message: &str) {
        self.print(format!(
            "leakhound: warning: {}: {}",
            escape(path, false),
            escape(message, false)
        ));
    }

    fn skipped(&self, path: &str, reason: SkipReason) {
        if self.verbose {
            let why = match reason {
                SkipReason::Binary => "binary".to_string(),
                SkipReason::TooLarge(size) => format!("{size} bytes, over --max-file-size"),
                SkipReason::Symlink => "symbolic link, not followed".to_string(),
            };
            self.print(format!("leakhound: skipped {}: {why}", escape(path, false)));
        }
    }

    fn lists_skipped(&self) -> bool {
        self.verbose
    }

    fn scanned(&self, bytes: u64) {
        if !self.progress.is_hidden() {
            let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
            self.progress.inc(1);
            self.progress.set_message(human_bytes(total));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_read_like_people_write_them() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1500), "1.5 KB");
        assert_eq!(human_bytes(2_500_000_000), "2.5 GB");
    }
}
