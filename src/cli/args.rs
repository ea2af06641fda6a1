//! Command-line arguments (clap derive). No clap type leaves `cli/`: `cli::mod` turns these into
//! plain options.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::run::Settings;
use crate::report::Format;
use crate::scan::{ExitPolicy, ScanOptions};

/// Finds leaked secrets and API keys in files, git history and staged changes, and reports
/// them redacted.
#[derive(Debug, Parser)]
#[command(name = "leakhound", version, about, long_about = None, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (default: the current directory); `-` reads standard input.
    Scan(ScanArgs),
    /// Scan every blob reachable in a git repository's history, once; or only the lines a
    /// commit range adds (--range, --base).
    History(HistoryArgs),
    /// Scan the lines staged in the index (what `git commit` would add): the pre-commit hook.
    Staged(StagedArgs),
    /// Install the git pre-commit hook that runs `leakhound staged` (or, with --pre-push, the
    /// pre-push hook that scans the commits being pushed).
    InstallHook(InstallHookArgs),
    /// Write the current findings as a baseline file (`--output FILE`), to be passed to later
    /// scans with `--baseline FILE`; `--prune` drops the entries that no longer match.
    Baseline(BaselineArgs),
    /// Show the rules, or check every rule against its own examples.
    Rules(RulesArgs),
    /// Validate a config (.leakhound.toml or a gitleaks config).
    Config(ConfigArgs),
    /// Scan a container image tarball (`docker save IMAGE -o FILE.tar`, or an OCI layout in a
    /// tar): every layer's files, deleted ones included, and the image config.
    Image(ImageArgs),
    /// List and triage the findings of a datastore (see --datastore).
    Triage(super::datastore::TriageArgs),
    /// Render a datastore's findings in any report format, without scanning again.
    Report(super::datastore::ReportArgs),
}

/// `leakhound config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ConfigAction,
}

/// `leakhound config check`.
#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Parse the config and compile its rules and allowlists; report every problem.
    Check {
        /// The config file (default: .leakhound.toml, else .gitleaks.toml, at the project root).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Where to look for the config (its project root).
        #[arg(value_name = "PATH", default_value = ".")]
        path: PathBuf,
    },
}

/// `leakhound history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The repository: a work tree, a directory inside one, or a bare repository.
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Only lines added by the commits in BASE..HEAD (a pull request). `A...B` means
    /// `merge-base(A, B)..B`.
    #[arg(long, value_name = "BASE..HEAD", conflicts_with_all = ["base", "all_objects"])]
    pub range: Option<String>,
    /// Only lines added since the merge base of REF and HEAD (`merge-base(REF, HEAD)..HEAD`).
    #[arg(long, value_name = "REF", conflicts_with = "all_objects")]
    pub base: Option<String>,
    /// Also scan objects that no ref reaches (force-pushed-away commits, dropped stashes).
    #[arg(long)]
    pub all_objects: bool,
    /// Scan the whole history even in a CI pull-request job (where, without --range or
    /// --base, the pull request's base is taken from GITHUB_BASE_REF or
    /// CI_MERGE_REQUEST_DIFF_BASE_SHA).
    #[arg(long, conflicts_with_all = ["range", "base"])]
    pub full_history: bool,
    /// Scan what a push adds, from the ref lines git gives a pre-push hook (`<local ref>
    /// <local oid> <remote ref> <remote oid>`) or a pre-receive hook (`<old oid> <new oid>
    /// <ref>`) on standard input; a new branch counts against everything the other side has
    #[arg(long, conflicts_with_all = ["range", "base", "all_objects", "full_history"])]
    pub refs_from_stdin: bool,
    /// Walk only the commits REF reaches (a branch, tag or commit) instead of every ref;
    /// repeatable
    #[arg(long, value_name = "REF", conflicts_with_all = ["range", "base", "refs_from_stdin"])]
    pub branch: Vec<String>,
    /// Do not open committed archives and compressed files (whole-history scans open them);
    /// skip them as binary
    #[arg(long)]
    pub no_archives: bool,
    /// Report only secrets introduced by commits made on or after DATE (committer date;
    /// `2024-05-01`, `2024-05-01T12:00:00+02:00`, or seconds since the epoch)
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// With --refs-from-stdin in a pre-push hook: the remote pushed to (git's first hook
    /// argument), whose remote-tracking branches it already has
    #[arg(long, value_name = "NAME", requires = "refs_from_stdin")]
    pub remote: Option<String>,
    /// Options shared with the other scanning commands.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `leakhound image`.
#[derive(Debug, Args)]
pub struct ImageArgs {
    /// The image tarball.
    #[arg(value_name = "FILE.tar")]
    pub file: PathBuf,
    /// Do not open archives found inside the layers (a `.jar`, a `.whl`).
    #[arg(long)]
    pub no_archives: bool,
    /// Options every scanning command takes.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `leakhound staged`.
#[derive(Debug, Args)]
pub struct StagedArgs {
    /// The repository (a work tree or a directory inside one).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Do not open staged archives; skip them as binary.
    #[arg(long)]
    pub no_archives: bool,
    /// Options shared with the other scanning commands.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `leakhound baseline`: its own options, not the scanning commands' (it writes no report, so
/// `--format`, `--show-secrets`, `--exit-code`, `--fail-on` and `--baseline` mean nothing to it).
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// Files and directories to scan (or, with --history, the repository).
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The baseline file to write (with --prune, the one to read and rewrite).
    #[arg(long, short = 'o', value_name = "FILE", required = true)]
    pub output: PathBuf,
    /// Take the findings from the repository's whole history instead of the files.
    #[arg(long)]
    pub history: bool,
    /// Rewrite the baseline at --output keeping only the entries that still match a finding
    /// (a version 1 baseline comes out in the current format).
    #[arg(long, conflicts_with = "import")]
    pub prune: bool,
    /// Start from another tool's accepted findings: keep only the current findings that this
    /// gitleaks JSON report or detect-secrets `.secrets.baseline` also lists (by path, line and
    /// secret; the format is told from the content). Nothing from the file is copied.
    #[arg(long, value_name = "FILE")]
    pub import: Option<PathBuf>,
    /// Take the findings a datastore's triage settled instead of scanning: those marked
    /// false-positive, accepted or revoked (see `leakhound triage`).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["import", "prune", "history"])]
    pub from_datastore: Option<PathBuf>,
    /// Also scan files that .gitignore excludes.
    #[arg(long)]
    pub no_ignore: bool,
    /// Which files to scan (not with --history).
    #[command(flatten)]
    pub select: SelectArgs,
    /// Config file (default: .leakhound.toml at the project root, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Layers of base64 and hex encoding to decode and scan (0 turns decoding off).
    #[arg(long, value_name = "N", default_value_t = crate::scan::DEFAULT_DECODE_DEPTH)]
    pub decode_depth: usize,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print nothing on standard error but errors and warnings.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also list skipped inputs on standard error.
    #[arg(long, short = 'v', action = clap::ArgAction::Count)]
    pub verbose: u8,
}

impl BaselineArgs {
    /// The scan options the baseline's scan runs with: no report, no baseline filtering it.
    pub(super) fn scan_options(&self) -> Settings {
        CommonArgs {
            format: FormatArg::Human,
            output: None,
            config: self.config.clone(),
            baseline: None,
            show_secrets: false,
            datastore: None,
            exit_code: 1,
            fail_on: None,
            min_confidence: crate::rule::Confidence::Low,
            max_file_size: self.max_file_size,
            threads: self.threads,
            decode_depth: self.decode_depth,
            strict: false,
            verify: VerifyArgs::default(),
            color: ColorArg::Never,
            no_progress: self.no_progress,
            quiet: self.quiet,
            verbose: self.verbose,
        }
        .settings()
    }
}

/// `leakhound install-hook`.
#[derive(Debug, Args)]
pub struct InstallHookArgs {
    /// The repository (a work tree or a directory inside one).
    #[arg(value_name = "REPO", default_value = ".")]
    pub repo: PathBuf,
    /// Install over a hook that leakhound did not write: the old hook is kept beside it as
    /// `<hook>.before-leakhound` and runs after leakhound's.
    #[arg(long)]
    pub force: bool,
    /// Install the pre-push hook (scans the commits being pushed) instead of pre-commit.
    #[arg(long)]
    pub pre_push: bool,
}

/// `leakhound scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files and directories to scan; `-` for standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Also scan files that .gitignore excludes.
    #[arg(long)]
    pub no_ignore: bool,
    /// Which files to scan.
    #[command(flatten)]
    pub select: SelectArgs,
    /// Options shared with the other scanning commands.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `--include` / `--exclude`, for the commands that walk files.
#[derive(Debug, Clone, Default, Args)]
pub struct SelectArgs {
    /// Scan only files matching GLOB (.gitignore syntax, relative to the project root; `src/`,
    /// `*.py`); repeatable.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Do not scan files or directories matching GLOB (as --include); repeatable; wins over
    /// --include.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Scan files over --max-file-size in overlapping windows (bounded memory) instead of
    /// skipping them.
    #[arg(long)]
    pub scan_large_files: bool,
    /// Do not open archives and compressed files (zip, jar, apk, whl, tar, gz, bz2, xz, zst):
    /// skip them as binary.
    #[arg(long)]
    pub no_archives: bool,
}

/// Options every scanning command takes.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    pub format: FormatArg,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Config file (default: .leakhound.toml at the project root, if present).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not report findings already in this baseline file (see `leakhound baseline`).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print secrets in full. Without it every format shows them redacted.
    #[arg(long)]
    pub show_secrets: bool,
    /// Record this run and its findings in a SQLite datastore (created if missing): a rescan
    /// adds new findings, marks the ones gone, and keeps every triage decision. Secrets are
    /// kept redacted unless --show-secrets is given.
    #[arg(long, value_name = "FILE")]
    pub datastore: Option<PathBuf>,
    /// Colour in the human report: `auto` (on a terminal, unless NO_COLOR is set; FORCE_COLOR
    /// or CLICOLOR_FORCE turn it on anywhere, as in CI logs), `always` or `never`.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorArg::Auto)]
    pub color: ColorArg,
    /// Exit code when there are findings.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: u8,
    /// Fail (exit with --exit-code) only for findings of this severity or higher; lower ones
    /// are still reported.
    #[arg(long, value_name = "SEVERITY", value_parser = clap::value_parser!(crate::rule::Severity))]
    pub fail_on: Option<crate::rule::Severity>,
    /// Report only findings at least this sure: `high` (checksum or structure verified),
    /// `medium` (a vendor's shape, with its context where needed) or `low` (everything, the
    /// default; generic evidence included).
    #[arg(long, value_name = "LEVEL", default_value_t = crate::rule::Confidence::Low, value_parser = clap::value_parser!(crate::rule::Confidence))]
    pub min_confidence: crate::rule::Confidence,
    /// Skip files larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 25 * 1024 * 1024)]
    pub max_file_size: u64,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Layers of base64 and hex encoding to decode and scan (0 turns decoding off).
    #[arg(long, value_name = "N", default_value_t = crate::scan::DEFAULT_DECODE_DEPTH)]
    pub decode_depth: usize,
    /// Exit with code 2 when any input could not be read (default: warn and go on).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    pub verify: VerifyArgs,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Print nothing on standard error but errors and warnings.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Also list skipped inputs and allowed findings on standard error.
    #[arg(long, short = 'v', action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Live verification (opt-in).
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Ask each vendor whether the credentials found are live, with one read-only request per
    /// distinct credential to the vendor's own API host (see README, "Live verification").
    /// Off by default; says which hosts it contacts before it does.
    #[arg(long)]
    pub verify: bool,
    /// Fail (exit with --exit-code) only for credentials a vendor said are live.
    #[arg(long, requires = "verify")]
    pub fail_on_live: bool,
    /// Seconds to wait for each vendor's answer.
    #[arg(long, value_name = "SECS", default_value_t = 10, requires = "verify", value_parser = clap::value_parser!(u64).range(1..=120))]
    pub verify_timeout: u64,
    /// Most requests a run sends; credentials past it are reported `error`.
    #[arg(long, value_name = "N", default_value_t = 500, requires = "verify")]
    pub verify_max_requests: usize,
}

impl Default for VerifyArgs {
    fn default() -> VerifyArgs {
        VerifyArgs {
            verify: false,
            fail_on_live: false,
            verify_timeout: 10,
            verify_max_requests: 500,
        }
    }
}

impl VerifyArgs {
    /// What `--verify` asks for, if given.
    pub(super) fn settings(&self) -> Option<VerifySettings> {
        self.verify.then(|| VerifySettings {
            timeout: std::time::Duration::from_secs(self.verify_timeout),
            max_requests: self.verify_max_requests,
        })
    }
}

/// `--verify` and its limits.
#[derive(Debug, Clone)]
pub struct VerifySettings {
    pub timeout: std::time::Duration,
    pub max_requests: usize,
}

impl CommonArgs {
    /// The settings these arguments ask for: where clap's types end.
    pub(super) fn settings(&self) -> Settings {
        let format = self.format.format();
        let to_terminal = self.output.is_none() && std::io::stdout().is_terminal();
        Settings {
            scan: ScanOptions {
                config: self.config.clone(),
                baseline: self.baseline.clone(),
                decode_depth: self.decode_depth.min(crate::scan::MAX_DECODE_DEPTH),
                min_confidence: self.min_confidence,
                threads: self
                    .threads
                    .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
                max_file_size: self.max_file_size,
                show_secrets: self.show_secrets,
                exit: ExitPolicy {
                    fail_on: self.fail_on,
                    findings_code: self.exit_code,
                    strict: self.strict,
                    only_live: self.verify.fail_on_live,
                },
            },
            format,
            output: self.output.clone(),
            datastore: self.datastore.clone(),
            verify: self.verify.settings(),
            color: format == Format::Human
                && self
                    .color
                    .enabled(to_terminal, |name| std::env::var(name).ok()),
            no_progress: self.no_progress,
            quiet: self.quiet,
            verbose: self.verbose,
        }
    }
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    /// On a terminal, or where FORCE_COLOR / CLICOLOR_FORCE ask for it; never with NO_COLOR.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl ColorArg {
    /// Whether to colour, given whether the output is a terminal and the environment
    /// (`var(name)`). `CLICOLOR_FORCE` and `FORCE_COLOR` (set, not empty, not `0`) win over
    /// `NO_COLOR` (set, not empty), which wins over the terminal; `always` and `never` over all.
    pub fn enabled(self, terminal: bool, var: impl Fn(&str) -> Option<String>) -> bool {
        let set = |name: &str| var(name).is_some_and(|value| !value.is_empty());
        let forced = |name: &str| var(name).is_some_and(|value| !value.is_empty() && value != "0");
        match self {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto if forced("CLICOLOR_FORCE") || forced("FORCE_COLOR") => true,
            ColorArg::Auto => terminal && !set("NO_COLOR"),
        }
    }
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// For people, colour on a terminal.
    Human,
    /// One JSON document with findings and stats.
    Json,
    /// One JSON finding per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// CSV (RFC 4180; formula cells defused).
    Csv,
    /// JUnit XML, for CI test reports.
    Junit,
    /// GitHub Actions annotations (`::error file=...`).
    Github,
    /// One self-contained HTML page with a summary, a filterable table and remediation.
    Html,
}

impl FormatArg {
    /// The report format.
    pub(super) fn format(self) -> Format {
        match self {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Jsonl => Format::Jsonl,
            FormatArg::Sarif => Format::Sarif,
            FormatArg::Csv => Format::Csv,
            FormatArg::Junit => Format::Junit,
            FormatArg::Github => Format::Github,
            FormatArg::Html => Format::Html,
        }
    }
}

/// `leakhound rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `list` (default) or `check`.
    #[command(subcommand)]
    pub action: Option<RulesAction>,
}

/// `leakhound rules list|check`.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Show every rule: id, severity, name, keywords.
    List {
        /// `human` or `json`.
        #[arg(long, value_enum, default_value_t = ListFormat::Human)]
        format: ListFormat,
        /// Include rules from this config file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Run every rule's examples and negative examples through the full engine.
    Check {
        /// Check the rule files in this directory instead of the built-in rules.
        #[arg(long, value_name = "DIR")]
        patterns: Option<PathBuf>,
        /// Also check the rules of this config file.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

/// `rules list --format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table.
    Human,
    /// A JSON array.
    Json,
    /// The Markdown table of docs/RULES.md.
    Markdown,
}

#[cfg(test)]
mod tests {
    use super::ColorArg;

    #[test]
    fn colour_follows_the_flag_then_the_environment_then_the_terminal() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        type Vars = &'static [(&'static str, &'static str)];
        let cases: &[(ColorArg, bool, Vars, bool)] = &[
            (ColorArg::Auto, true, &[], true),
            (ColorArg::Auto, false, &[], false),
            (ColorArg::Auto, true, &[("NO_COLOR", "1")], false),
            (ColorArg::Auto, true, &[("NO_COLOR", "")], true),
            (ColorArg::Auto, false, &[("FORCE_COLOR", "1")], true),
            (ColorArg::Auto, false, &[("FORCE_COLOR", "0")], false),
            (ColorArg::Auto, false, &[("FORCE_COLOR", "")], false),
            (ColorArg::Auto, false, &[("CLICOLOR_FORCE", "1")], true),
            (
                ColorArg::Auto,
                false,
                &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
                true,
            ),
            (ColorArg::Always, false, &[("NO_COLOR", "1")], true),
            (ColorArg::Never, true, &[("FORCE_COLOR", "1")], false),
        ];
        for &(choice, terminal, vars, expected) in cases {
            assert_eq!(
                choice.enabled(terminal, env(vars)),
                expected,
                "{choice:?} terminal={terminal} {vars:?}"
            );
        }
    }
}
