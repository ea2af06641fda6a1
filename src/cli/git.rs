//! `leakhound history`, `staged` and `install-hook`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{CommonArgs, HistoryArgs, InstallHookArgs, StagedArgs};
use super::scan::{finish, Setup, Unit};
use crate::finding::Finding;
use crate::report::human::escape;
use crate::report::RepositoryInfo;
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
    let repository = repository_info(&repo);
    let mut err = std::io::stderr().lock();
    let detected =
        if args.range.is_none() && args.base.is_none() && !args.full_history && !args.all_objects {
            ci_pull_request_base(&repo)
        } else {
            None
        };
    if let Some((base, variable)) = &detected {
        if !args.common.quiet {
            writeln!(
                err,
                "leakhound: CI pull request detected ({variable}): scanning what merge-base({base}, HEAD)..HEAD adds (--full-history scans everything)"
            )?;
        }
    }
    let base = args.base.clone().or(detected.map(|(base, _)| base));
    if args.range.is_some() || base.is_some() {
        let (spec, base_only) = match (&args.range, &base) {
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
        return finish(
            &args.common,
            result,
            Unit::Files,
            setup.report_context(repository),
        );
    }
    drop(repo);
    drop(err);
    let result = full_history(&setup, &args.repo, args.all_objects, &args.common)?;
    setup.warn_stale_baseline(&result, &args.common);
    finish(
        &args.common,
        result,
        Unit::Blobs,
        setup.report_context(repository),
    )
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
    if !common.quiet {
        writeln!(
            std::io::stderr().lock(),
            "leakhound: {} commits, {} unique blobs to scan",
            counts.commits,
            counts.blobs
        )?;
    }
    let mut result = setup.scan(&source, common, Some(counts.blobs as u64), Unit::Blobs);
    let submodules = source.counts().submodules;
    if common.verbose > 0 && submodules > 0 {
        writeln!(
            std::io::stderr().lock(),
            "leakhound: {submodules} submodule entries not followed (their commits live in other repositories)"
        )?;
    }
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

/// In a CI pull-request job, the base to diff against and the variable it came from:
/// GitHub Actions' `GITHUB_BASE_REF` (a branch name: `origin/<name>` when that exists) or
/// GitLab's `CI_MERGE_REQUEST_DIFF_BASE_SHA`.
fn ci_pull_request_base(repo: &git2::Repository) -> Option<(String, &'static str)> {
    let non_empty = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
    };
    if non_empty("GITHUB_ACTIONS").is_some() {
        if let Some(branch) = non_empty("GITHUB_BASE_REF") {
            let remote = format!("origin/{branch}");
            let base = if repo.revparse_single(&remote).is_ok() {
                remote
            } else {
                branch
            };
            return Some((base, "GITHUB_BASE_REF"));
        }
    }
    if non_empty("GITLAB_CI").is_some() {
        if let Some(sha) = non_empty("CI_MERGE_REQUEST_DIFF_BASE_SHA") {
            return Some((sha, "CI_MERGE_REQUEST_DIFF_BASE_SHA"));
        }
    }
    None
}

/// The repository as SARIF describes it: `origin`'s URL as an `https://` URI (never with
/// credentials), HEAD and its branch.
fn repository_info(repo: &git2::Repository) -> Option<RepositoryInfo> {
    let head = repo.head().ok()?;
    let revision = head.peel_to_commit().ok()?.id().to_string();
    let branch = head
        .shorthand()
        .ok()
        .filter(|_| head.is_branch())
        .map(str::to_string);
    let uri = repo.find_remote("origin").ok().and_then(|remote| {
        remote
            .url()
            .ok()
            .and_then(crate::report::sarif::repository_uri)
    });
    Some(RepositoryInfo {
        uri,
        revision,
        branch,
    })
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
    let code = finish(
        &args.common,
        result,
        Unit::Files,
        setup.report_context(None),
    )?;
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
