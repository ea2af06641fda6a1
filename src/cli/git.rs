//! `leakhound history`, `staged` and `install-hook`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{CommonArgs, HistoryArgs, InstallHookArgs, StagedArgs};
use super::scan::{finish, Setup, Unit};
use crate::finding::Finding;
use crate::report::human::escape;
use crate::scan::ScanResult;
use crate::source::diff::{parse_range, DiffSource};
use crate::source::git::open_repository;
use crate::source::history::{HistoryOptions, HistorySource};

/// The hook script `install-hook` writes (also in the repository as `hooks/pre-commit`).
pub const HOOK_SCRIPT: &str = include_str!("../../hooks/pre-commit");
/// The line that marks a hook as leakhound's own.
const HOOK_MARKER: &str = "# leakhound pre-commit hook";

/// Where config and allowlists are relative to: the work tree, or the git directory of a bare
/// repository.
fn repository_root(repo: &git2::Repository) -> PathBuf {
    repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf()
}

pub(super) fn history(args: HistoryArgs) -> anyhow::Result<u8> {
    let repo = open_repository(&args.repo)?;
    let root = repository_root(&repo);
    let setup = Setup::new(&args.common, &root)?;
    let mut err = std::io::stderr().lock();
    if args.range.is_some() || args.base.is_some() {
        let (spec, base_only) = match (&args.range, &args.base) {
            (Some(range), _) => (range.as_str(), false),
            (None, Some(base)) => (base.as_str(), true),
            (None, None) => unreachable!("checked above"),
        };
        let range = parse_range(&repo, spec, base_only)?;
        drop(repo);
        let source = DiffSource::range(&args.repo, range, args.common.max_file_size)?;
        if !args.common.quiet {
            writeln!(
                err,
                "leakhound: scanning lines added by {} commit{} in {}",
                source.commits,
                if source.commits == 1 { "" } else { "s" },
                source.description
            )?;
        }
        drop(err);
        let mut result = setup.scan(
            &source,
            &args.common,
            Some(source.len() as u64),
            Unit::Files,
        );
        keep_first_of_each_secret(&mut result);
        return finish(&args.common, result, Unit::Files);
    }
    drop(repo);
    drop(err);
    let result = full_history(&setup, &args.repo, args.all_objects, &args.common)?;
    setup.warn_stale_baseline(&result, &args.common);
    finish(&args.common, result, Unit::Blobs)
}

/// Scans a repository's whole history with `setup`.
fn full_history(
    setup: &Setup,
    repo: &Path,
    all_objects: bool,
    common: &CommonArgs,
) -> anyhow::Result<ScanResult> {
    let source = HistorySource::open(&HistoryOptions {
        repo: repo.to_path_buf(),
        all_objects,
        max_file_size: common.max_file_size,
    })?;
    let counts = source.counts();
    let mut err = std::io::stderr().lock();
    if common.verbose > 0 && counts.submodules > 0 {
        writeln!(
            err,
            "leakhound: {} submodule entries not followed (their commits live in other repositories)",
            counts.submodules
        )?;
    }
    if !common.quiet {
        writeln!(
            err,
            "leakhound: {} commits, {} unique blobs to scan",
            counts.commits, counts.blobs
        )?;
    }
    drop(err);
    let mut result = setup.scan(&source, common, Some(counts.blobs as u64), Unit::Blobs);
    keep_first_of_each_secret(&mut result);
    Ok(result)
}

/// The findings of a repository's whole history, with the repository's config (for
/// `leakhound baseline --history`).
pub(super) fn history_result(repo: &Path, common: &CommonArgs) -> anyhow::Result<ScanResult> {
    let root = repository_root(&open_repository(repo)?);
    let setup = Setup::new(common, &root)?;
    full_history(&setup, repo, false, common)
}

/// The same secret at the same path for the same rule (one fingerprint) in several blobs or
/// commits is one leak: keep the earliest commit's finding and count the others in `also_in`.
fn keep_first_of_each_secret(result: &mut ScanResult) {
    let order = |f: &Finding| f.commit.as_ref().map(|c| (c.time, c.id.clone()));
    let mut first: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<Finding> = Vec::with_capacity(result.findings.len());
    let mut findings = std::mem::take(&mut result.findings);
    findings.sort_by_key(order);
    for finding in findings {
        match first.get(&finding.fingerprint) {
            Some(&at) => {
                let extra = 1 + finding.also_in.unwrap_or(0);
                if let Some(also_in) = kept[at].also_in.as_mut() {
                    *also_in += extra;
                }
            }
            None => {
                first.insert(finding.fingerprint.clone(), kept.len());
                kept.push(finding);
            }
        }
    }
    result.stats.findings = kept.len() as u64;
    result.findings = kept;
}

pub(super) fn staged(args: StagedArgs) -> anyhow::Result<u8> {
    let repo = open_repository(&args.repo)?;
    let root = repository_root(&repo);
    drop(repo);
    let setup = Setup::new(&args.common, &root)?;
    let source = DiffSource::staged(&args.repo, args.common.max_file_size)?;
    let result = setup.scan(&source, &args.common, None, Unit::Files);
    let code = finish(&args.common, result, Unit::Files)?;
    if code != super::EXIT_CLEAN && code != super::EXIT_ERROR {
        let _ = writeln!(
            std::io::stderr().lock(),
            "leakhound: the commit adds secrets. Remove them (and rotate them if they were ever pushed), \
             mark a false positive with a `leakhound:allow` comment, or bypass once with `git commit --no-verify`."
        );
    }
    Ok(code)
}

/// The hooks directory: `core.hooksPath` (relative to the work tree) or `.git/hooks`.
fn hooks_dir(repo: &git2::Repository) -> PathBuf {
    let configured = repo
        .config()
        .ok()
        .and_then(|config| config.get_path("core.hooksPath").ok());
    match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => repository_root(repo).join(path),
        None => repo.path().join("hooks"),
    }
}

pub(super) fn install_hook(args: InstallHookArgs) -> anyhow::Result<u8> {
    let repo = open_repository(&args.repo)?;
    if repo.is_bare() {
        anyhow::bail!(
            "{}: a bare repository has no commits to hook",
            args.repo.display()
        );
    }
    let dir = hooks_dir(&repo);
    let hook = dir.join("pre-commit");
    if let Ok(existing) = std::fs::read_to_string(&hook) {
        if !existing.contains(HOOK_MARKER) && !args.force {
            anyhow::bail!(
                "{}: a pre-commit hook exists that leakhound did not write; use --force to replace it",
                escape(&hook.display().to_string(), false)
            );
        }
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the hooks directory", dir.display()))?;
    write_executable(&hook, HOOK_SCRIPT)?;
    writeln!(
        std::io::stdout().lock(),
        "installed {}",
        escape(&hook.display().to_string(), false)
    )?;
    Ok(super::EXIT_CLEAN)
}

fn write_executable(path: &Path, content: &str) -> anyhow::Result<()> {
    std::fs::write(path, content)
        .with_context(|| format!("{}: cannot write the hook", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("{}: cannot make the hook executable", path.display()))?;
    }
    Ok(())
}
