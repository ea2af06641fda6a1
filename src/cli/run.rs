//! What every scanning command shares: the set-up (config, engine, filters), the run with its
//! progress display and warnings, and the finish (report, summary, exit code).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use super::output::write_file;
use crate::config::{self, LoadedConfig};
use crate::engine::Engine;
use crate::filter::baseline::Baseline;
use crate::filter::Filters;
use crate::report::human::escape;
use crate::report::{self, Format, ReportContext, ReportOptions};
use crate::scan::{self, Diagnostics, ScanResult};
use crate::source::{SkipReason, Source};
use crate::store::Store;

/// Where config and allowlists are relative to: the work tree, or the git directory of a bare
/// repository.
pub(super) fn repository_root(repo: &git2::Repository) -> PathBuf {
    repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf()
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

/// What the command line asked for, with clap left behind in `args.rs`: the library's scan
/// options, and how to report.
#[derive(Debug, Clone)]
pub(super) struct Settings {
    /// What the scan does.
    pub scan: scan::ScanOptions,
    /// The report format.
    pub format: Format,
    /// Where the report goes (`None`: standard output).
    pub output: Option<PathBuf>,
    /// The datastore that records the run (`--datastore`).
    pub datastore: Option<PathBuf>,
    /// Live verification (`--verify`).
    pub verify: Option<super::args::VerifySettings>,
    /// Colour in the human report, decided from `--color`, the terminal and the environment.
    pub color: bool,
    /// No progress bar.
    pub no_progress: bool,
    /// Nothing on standard error but errors and warnings.
    pub quiet: bool,
    /// Skipped inputs and allowed findings on standard error.
    pub verbose: u8,
}

/// The engine and filters for a scan, from the config.
pub(super) struct Setup {
    /// Never freed: the process ends soon after, and freeing 1,100 compiled rules and their
    /// keyword tables was a tenth of a pre-commit run.
    engine: std::mem::ManuallyDrop<Engine>,
    filters: Filters,
}

impl Setup {
    /// Loads the config (explicit, or found at `root`) and builds the engine and allowlist.
    pub(super) fn new(settings: &Settings, root: &Path) -> anyhow::Result<Setup> {
        let LoadedConfig { config, path } =
            config::discover(settings.scan.config.as_deref(), root)?;
        let config_file = path.unwrap_or_else(|| PathBuf::from(config::CONFIG_FILE_NAME));
        let scan::Prepared {
            engine,
            mut filters,
            warnings,
            unknown_disabled,
        } = scan::prepare_config(&config, &config_file, root)?;
        // The scan goes on; `config check` treats unknown ids as errors.
        for warning in warnings {
            super::say(format_args!(
                "leakhound: warning: {}: {warning}",
                config_file.display(),
            ));
        }
        for id in unknown_disabled {
            super::say(format_args!(
                "leakhound: warning: {}: disable names \"{id}\", which is no rule (a typo?)",
                config_file.display(),
            ));
        }
        filters.baseline = settings
            .scan
            .baseline
            .as_deref()
            .map(Baseline::load)
            .transpose()?;
        if let (Some(baseline), Some(file)) = (&filters.baseline, &settings.scan.baseline) {
            if baseline.is_legacy() {
                // Not silenced by -q: the file itself leaks (issue 14).
                super::say(format_args!(
                    "leakhound: note: {} is a version 1 baseline, which holds unsalted SHA-256 hashes of the secrets (guessable offline); it still works, but regenerate it with `leakhound baseline --prune --output {}`",
                    file.display(),
                    file.display(),
                ));
            }
        }
        filters.decode_depth = settings.scan.decode_depth.min(scan::MAX_DECODE_DEPTH);
        filters.min_confidence = settings.scan.min_confidence;
        Ok(Setup {
            engine: std::mem::ManuallyDrop::new(engine),
            filters,
        })
    }

    /// What the report of `result` needs besides the findings: the descriptions of the rules
    /// that found them, the repository, and what was scanned in words (`scope`).
    pub(super) fn report_context(
        &self,
        result: &ScanResult,
        repository: Option<report::RepositoryInfo>,
        scope: String,
    ) -> ReportContext {
        let fired: std::collections::HashSet<&str> =
            result.findings.iter().map(|f| f.rule_id.as_str()).collect();
        ReportContext {
            exit_code: 0,
            rules: ReportContext::rule_infos(self.engine.rules(), |id| fired.contains(id)),
            repository,
            scope: Some(scope),
        }
    }

    /// After a scan of everything (not a range or the index), warns about baseline entries
    /// that no longer match any finding.
    pub(super) fn warn_stale_baseline(&self, result: &ScanResult, settings: &Settings) {
        let Some(baseline) = &self.filters.baseline else {
            return;
        };
        let stale = baseline.stale(&result.baselined).count();
        if stale > 0 && !settings.quiet {
            super::say(format_args!(
                "leakhound: warning: {stale} baseline entr{} no longer match anything (`leakhound baseline --prune` removes them)",
                if stale == 1 { "y" } else { "ies" }
            ));
        }
    }

    /// Runs the scan with a progress display when appropriate; `total` is the number of
    /// inputs when known in advance.
    pub(super) fn scan(
        &self,
        source: &dyn Source,
        settings: &Settings,
        total: Option<u64>,
        unit: Unit,
    ) -> ScanResult {
        let diagnostics = StderrDiagnostics::new(settings, total, unit);
        let threads = settings.scan.threads;
        let result = scan::run(source, &self.engine, &self.filters, threads, &diagnostics);
        diagnostics.progress.finish_and_clear();
        result
    }
}

/// A run being recorded in the datastore (`--datastore`): begun before the scan, so a scan
/// killed half-way leaves a run without an end and the findings as they were.
pub(super) struct Recording {
    store: Store,
    run: i64,
    path: PathBuf,
}

/// Opens the datastore, if the settings name one, and records the start of a run of
/// `command` (`scan`, `history`, ...) on `target`, which is made absolute so that rescans from
/// elsewhere are the same scope.
pub(super) fn start_recording(
    settings: &Settings,
    command: &str,
    target: &Path,
) -> anyhow::Result<Option<Recording>> {
    let Some(path) = &settings.datastore else {
        return Ok(None);
    };
    let target = std::fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
    let store = Store::open(path)?;
    let run = store.begin_run(command, &target.display().to_string())?;
    Ok(Some(Recording {
        store,
        run,
        path: path.clone(),
    }))
}

/// Writes the report and the summary; returns the exit code. With a datastore, the run's
/// findings are recorded first (redacted as the report shows them, unless `--show-secrets`),
/// and the triage it holds goes into the report.
pub(super) fn finish(
    settings: &Settings,
    mut result: ScanResult,
    unit: Unit,
    mut context: ReportContext,
    recording: Option<Recording>,
) -> anyhow::Result<u8> {
    ready_for_report(settings, &mut result);
    if let Some(verify) = &settings.verify {
        verify_findings(verify, &mut result.findings, settings.quiet)?;
    }
    let exit_code = settings.scan.exit.code(&result);
    context.exit_code = exit_code;
    if let Some(mut recording) = recording {
        let outcome = recording.store.finish_run(
            recording.run,
            &mut result.findings,
            settings.scan.show_secrets,
            result.stats.files,
            result.stats.bytes,
        )?;
        if !settings.quiet {
            super::say(format_args!(
                "leakhound: datastore {}: run {} recorded: {} finding{} ({} new, {} no longer seen)",
                recording.path.display(),
                recording.run,
                outcome.seen,
                if outcome.seen == 1 { "" } else { "s" },
                outcome.new,
                outcome.gone,
            ));
        }
    }
    write_report(settings, &result, context)?;
    tell_stderr(settings, &result, unit);
    Ok(exit_code)
}

/// `--verify`: asks the vendors about the findings and records each answer on them. The hosts
/// to be contacted are said first, `-q` or not: nobody should be surprised by a request.
pub(super) fn verify_findings(
    verify: &super::args::VerifySettings,
    findings: &mut [crate::finding::Finding],
    quiet: bool,
) -> anyhow::Result<()> {
    use crate::verify::{http::Redirects, Options, Plan};
    let redirects = Redirects::from_env().map_err(anyhow::Error::msg)?;
    let plan = Plan::new(findings).map_err(anyhow::Error::msg)?;
    let hosts = plan.hosts();
    if hosts.is_empty() {
        super::say(format_args!(
            "leakhound: --verify: no finding has a live check; nothing is contacted"
        ));
    } else {
        super::say(format_args!(
            "leakhound: --verify: asking about {} credential{} with read-only requests to {}",
            plan.questions(),
            if plan.questions() == 1 { "" } else { "s" },
            hosts.join(", ")
        ));
    }
    let options = Options {
        timeout: verify.timeout,
        max_requests: verify.max_requests,
        redirects,
    };
    let counts = plan.run(findings, &options, &crate::store::now());
    if !quiet && counts.requests > 0 {
        super::say(format_args!(
            "leakhound: --verify: {} live, {} revoked, {} without an answer ({} request{})",
            counts.live,
            counts.revoked,
            counts.error,
            counts.requests,
            if counts.requests == 1 { "" } else { "s" }
        ));
    }
    Ok(())
}

/// Puts the findings in report order and, unless `--show-secrets`, redacts the secrets found
/// anywhere in their text fields (paths, commit messages: issue 15).
fn ready_for_report(settings: &Settings, result: &mut ScanResult) {
    report::sort(&mut result.findings);
    report::sort(&mut result.allowed);
    if !settings.scan.show_secrets {
        result.redact_fields();
    }
}

/// What goes to standard error after the report: the allowed findings (`-v`) and the summary
/// (unless `-q`).
fn tell_stderr(settings: &Settings, result: &ScanResult, unit: Unit) {
    if settings.verbose > 0 {
        for allowed in &result.allowed {
            super::say(format_args!(
                "leakhound: allowed {} at {}:{}:{} ({})",
                allowed.rule_id,
                allowed.path,
                allowed.location.line,
                allowed.location.column,
                allowed.secret
            ));
        }
    }
    if !settings.quiet {
        let _ = writeln!(std::io::stderr().lock(), "{}", summary(result, unit));
    }
}

/// Writes the report in the chosen format to `--output` or standard output.
fn write_report(
    settings: &Settings,
    result: &ScanResult,
    context: ReportContext,
) -> anyhow::Result<()> {
    let options = ReportOptions {
        show_secrets: settings.scan.show_secrets,
        color: settings.color,
    };
    let mut reporter = report::reporter(settings.format, options, context);
    let mut write = |out: &mut dyn Write| {
        report::write_report(reporter.as_mut(), out, &result.findings, &result.stats)
    };
    match &settings.output {
        Some(path) => write_file(path, 0o644, write),
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            ignore_broken_pipe(write(&mut out).and_then(|()| out.flush()))
                .context("cannot write the report")
        }
    }
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
    let skipped = stats.skipped_binary + stats.skipped_symlinks;
    if skipped > 0 {
        extras.push(format!("{skipped} skipped"));
    }
    if stats.skipped_too_large > 0 {
        let hint = match unit {
            Unit::Files => " (--scan-large-files scans them)",
            Unit::Blobs => "",
        };
        extras.push(format!(
            "{} over --max-file-size not scanned{hint}",
            stats.skipped_too_large
        ));
    }
    if stats.skipped_ignored > 0 {
        extras.push(format!(
            "{} ignored by .gitignore (-v lists them)",
            stats.skipped_ignored
        ));
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

/// The progress display: a bar when the number of inputs is known, else a spinner; counts
/// with their unit in the right number ("1 file") and rates rounded ("12,689 files/s").
fn progress_style(bar: bool, unit: Unit) -> ProgressStyle {
    let template = if bar {
        "{bar:30} {pos}/{len} {len_unit}, {msg} ({rate}, {eta} left)"
    } else {
        "{spinner} {pos} {pos_unit}, {msg} scanned ({elapsed})"
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key(
            "pos_unit",
            move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(unit.name(state.pos()));
            },
        )
        .with_key(
            "len_unit",
            move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = w.write_str(unit.name(state.len().unwrap_or(0)));
            },
        );
    style.with_key(
        "rate",
        move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&rate(state.per_sec(), unit));
        },
    )
}

/// `per_sec` inputs a second, for people: whole numbers with thousands separators, one decimal
/// under 10.
fn rate(per_sec: f64, unit: Unit) -> String {
    let per_sec = if per_sec.is_finite() {
        per_sec.max(0.0)
    } else {
        0.0
    };
    let number = if per_sec < 9.95 {
        format!("{per_sec:.1}")
    } else {
        let digits = format!("{:.0}", per_sec.round());
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        grouped
    };
    format!("{number} {}/s", unit.name(2))
}

/// Ctrl-C while a progress display is on screen: clear it, then exit 130 (128 + SIGINT) as
/// the default handler's death by signal would, without leaving the line behind.
fn clear_on_interrupt(bar: &ProgressBar) {
    let bar = bar.clone();
    // Only one handler per process; a second scan in the same process keeps the first's,
    // which clears the first bar (long finished): the line is then already clean.
    let _ = ctrlc::set_handler(move || {
        bar.finish_and_clear();
        let _ = std::io::stderr().flush();
        #[allow(
            clippy::exit,
            reason = "the scan's worker threads cannot be stopped mid-chunk; SIGINT ends the process"
        )]
        std::process::exit(130);
    });
}

/// Warnings (always), skipped inputs (with `-v`) and a progress spinner (on a terminal).
struct StderrDiagnostics {
    verbose: bool,
    progress: ProgressBar,
    bytes: AtomicU64,
}

impl StderrDiagnostics {
    fn new(settings: &Settings, total: Option<u64>, unit: Unit) -> Self {
        let show = !settings.no_progress && !settings.quiet && std::io::stderr().is_terminal();
        let progress = if show {
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr_with_hz(8));
            bar.set_style(progress_style(total.is_some(), unit));
            bar.set_message(human_bytes(0));
            bar.enable_steady_tick(Duration::from_millis(125));
            clear_on_interrupt(&bar);
            bar
        } else {
            ProgressBar::hidden()
        };
        StderrDiagnostics {
            verbose: settings.verbose > 0,
            progress,
            bytes: AtomicU64::new(0),
        }
    }

    fn print(&self, line: String) {
        self.progress.suspend(|| super::say(line));
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
        let path = escape(path, false);
        match reason {
            // What went unread for its size is always named: an audit must know.
            SkipReason::TooLarge(size) => self.print(format!(
                "leakhound: warning: {path}: not scanned: {size} bytes, over --max-file-size"
            )),
            SkipReason::Binary if self.verbose => {
                self.print(format!("leakhound: skipped {path}: binary"));
            }
            SkipReason::Symlink if self.verbose => {
                self.print(format!(
                    "leakhound: skipped {path}: symbolic link, not followed"
                ));
            }
            SkipReason::Ignored if self.verbose => self.print(format!(
                "leakhound: skipped {path}: ignored by .gitignore (--no-ignore scans it)"
            )),
            _ => {}
        }
    }

    fn lists_skipped(&self) -> bool {
        self.verbose
    }

    fn scanned_more(&self, bytes: u64) {
        if !self.progress.is_hidden() {
            let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
            self.progress.set_message(human_bytes(total));
        }
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
    fn rates_are_rounded_and_units_counted() {
        assert_eq!(rate(12_688.682_8, Unit::Files), "12,689 files/s");
        assert_eq!(rate(1_234_567.5, Unit::Blobs), "1,234,568 blobs/s");
        assert_eq!(rate(999.4, Unit::Files), "999 files/s");
        assert_eq!(rate(3.26, Unit::Files), "3.3 files/s");
        assert_eq!(rate(f64::NAN, Unit::Files), "0.0 files/s");
        assert_eq!(Unit::Files.name(1), "file");
        assert_eq!(Unit::Blobs.name(0), "blobs");
    }

    #[test]
    fn bytes_read_like_people_write_them() {
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1500), "1.5 KB");
        assert_eq!(human_bytes(2_500_000_000), "2.5 GB");
    }
}
