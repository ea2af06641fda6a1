//! `leakhound history`: a repository's whole history, a range (a pull request), or what a push
//! adds (pre-push and pre-receive hooks).

use std::path::Path;

use anyhow::Context;

use super::args::HistoryArgs;
use super::base_config::BaseConfig;
use super::run::Settings;
use super::run::{finish, repository_root, start_recording, Setup, Unit};
use crate::finding::dedup;
use crate::report::human::escape;
use crate::report::RepositoryInfo;
use crate::scan::ScanResult;
use crate::source::archive::ArchiveLimits;
use crate::source::diff::{parse_range, DiffSource, Range};
use crate::source::git::{open_repository, parse_date};
use crate::source::history::{HistoryOptions, HistorySource};

pub(super) fn history(args: HistoryArgs) -> anyhow::Result<u8> {
    let settings = args.common.settings();
    let repo = open_repository(&args.repo)?;
    let root = repository_root(&repo);
    let repository = repository_info(&repo);
    let detected =
        if args.range.is_none() && args.base.is_none() && !args.full_history && !args.all_objects {
            ci_pull_request_base(&repo)
        } else {
            None
        };
    if let Some((base, variable)) = &detected {
        if !settings.quiet {
            super::say(format_args!(
                "leakhound: CI pull request detected ({variable}): scanning what merge-base({base}, HEAD)..HEAD adds (--full-history scans everything)"
            ));
        }
    }
    let since = match &args.since {
        Some(text) => Some(parse_date(text).ok_or_else(|| {
            anyhow::anyhow!(
                "--since {:?}: expected a date such as 2024-05-01 or 2024-05-01T12:00:00+02:00",
                escape(text, false)
            )
        })?),
        None => None,
    };
    let base = args.base.clone().or(detected.map(|(base, _)| base));
    let range = match (&args.range, &base) {
        (Some(range), _) => Some(parse_range(&repo, range, false)?),
        (None, Some(base)) => Some(parse_range(&repo, base, true)?),
        (None, None) => None,
    };
    // A change is judged by the config of the commit it starts from, never by its own.
    let judge = match range {
        Some(Range {
            base: Some(base),
            head,
        }) => Some(BaseConfig::extract(
            &repo,
            base,
            head,
            &settings,
            repo.workdir(),
        )?),
        _ => None,
    };
    let setup = match &judge {
        Some(judge) => Setup::new(&judge.settings, judge.root())?,
        None => Setup::new(&settings, &root)?,
    };
    let archives = (!args.no_archives).then(|| ArchiveLimits::new(settings.scan.max_file_size));
    let changes = if args.refs_from_stdin {
        Some(pushed_changes(&repo, &args)?.with_archives(archives))
    } else if let Some(range) = range {
        Some(
            DiffSource::range(&args.repo, range, settings.scan.max_file_size)?
                .with_archives(archives),
        )
    } else {
        None
    };
    if let Some(source) = changes {
        if !settings.quiet {
            super::say(format_args!(
                "leakhound: scanning lines added by {} commit{} in {}",
                source.commits,
                if source.commits == 1 { "" } else { "s" },
                source.description
            ));
        }
        let recording = start_recording(&settings, "history-range", &root)?;
        let mut result = setup.scan(&source, &settings, Some(source.len() as u64), Unit::Files);
        dedup::drop_secrets_the_parents_hold(&repo, &mut result.findings, |finding| {
            dedup::parent_trees_of(&repo, finding)
        })?;
        dedup::keep_first_of_each_secret(&repo, &mut result.findings)?;
        if let Some(since) = since {
            dedup::keep_since(&mut result.findings, since);
        }
        result.stats.findings = result.findings.len() as u64;
        let scope = format!("history {} (lines the range adds)", root.display());
        let context = setup.report_context(&result, repository, scope);
        return finish(&settings, result, Unit::Files, context, recording);
    }
    drop(repo);
    let recording = start_recording(&settings, "history", &root)?;
    let mut result = full_history(
        &setup,
        &args.repo,
        args.all_objects,
        &args.branch,
        args.no_archives,
        &settings,
    )?;
    if let Some(since) = since {
        dedup::keep_since(&mut result.findings, since);
        result.stats.findings = result.findings.len() as u64;
    }
    setup.warn_stale_baseline(&result, &settings);
    let context = setup.report_context(&result, repository, format!("history {}", root.display()));
    finish(&settings, result, Unit::Blobs, context, recording)
}

/// What a push adds, from git's ref lines on standard input: a pre-push hook's `<local ref>
/// <local oid> <remote ref> <remote oid>` or a pre-receive hook's `<old oid> <new oid> <ref>`.
/// The commits reachable from the new tips and not from what the other side already has: the
/// old tips, and for a new branch (old tip zero) every remote-tracking branch of the remote
/// (pre-push) or every ref of the receiving repository (pre-receive, whose refs are not yet
/// updated). Deleted refs add nothing.
fn pushed_changes(repo: &git2::Repository, args: &HistoryArgs) -> anyhow::Result<DiffSource> {
    let mut input = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut input)
        .context("cannot read the ref lines on standard input")?;
    let present = |oid: git2::Oid| !oid.is_zero() && repo.find_commit(oid).is_ok();
    let mut heads = Vec::new();
    let mut hidden = Vec::new();
    let mut receiving = false;
    for (number, line) in input.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (new, old) = match fields.as_slice() {
            [] => continue,
            [_, local, _, remote] => (*local, *remote),
            [old, new, _] => {
                receiving = true;
                (*new, *old)
            }
            _ => anyhow::bail!(
                "standard input line {}: expected git's pre-push (`<local ref> <local oid> <remote ref> <remote oid>`) or pre-receive (`<old oid> <new oid> <ref>`) ref line",
                number + 1
            ),
        };
        let parse = |text: &str| {
            git2::Oid::from_str(text).with_context(|| {
                format!(
                    "standard input line {}: {:?} is not an object id",
                    number + 1,
                    escape(text, false)
                )
            })
        };
        let (new, old) = (parse(new)?, parse(old)?);
        if new.is_zero() {
            continue; // a deleted ref adds nothing
        }
        if !present(new) {
            anyhow::bail!("commit {new} being pushed is not in the repository");
        }
        heads.push(new);
        if present(old) {
            hidden.push(old);
        }
    }
    // What the other side already has: its remote-tracking branches, or (receiving) its refs.
    let prefix = match (&args.remote, receiving) {
        (_, true) => "refs/".to_string(),
        (Some(remote), false) => format!("refs/remotes/{remote}/"),
        (None, false) => "refs/remotes/".to_string(),
    };
    let references = repo
        .references()
        .context("cannot list the repository's references")?;
    for reference in references.flatten() {
        let under = reference.name_bytes().starts_with(prefix.as_bytes());
        if let (true, Ok(commit)) = (under, reference.peel_to_commit()) {
            hidden.push(commit.id());
        }
    }
    let description = match heads.as_slice() {
        [] => "the push (no new commits)".to_string(),
        [one] => format!("the push of {}", crate::source::diff::short(*one)),
        many => format!("the push of {} refs", many.len()),
    };
    Ok(DiffSource::commits(
        &args.repo,
        &heads,
        &hidden,
        args.common.max_file_size,
        description,
    )?)
}

/// Scans a repository's whole history with `setup`.
fn full_history(
    setup: &Setup,
    repo: &Path,
    all_objects: bool,
    branches: &[String],
    no_archives: bool,
    settings: &Settings,
) -> anyhow::Result<ScanResult> {
    let source = HistorySource::open(&HistoryOptions {
        repo: repo.to_path_buf(),
        all_objects,
        max_file_size: settings.scan.max_file_size,
        branches: branches.to_vec(),
        archives: (!no_archives).then(|| ArchiveLimits::new(settings.scan.max_file_size)),
    })?;
    let counts = source.counts();
    if !settings.quiet {
        super::say(format_args!(
            "leakhound: {} commit{}, {} unique blob{} to scan",
            counts.commits,
            if counts.commits == 1 { "" } else { "s" },
            counts.blobs,
            if counts.blobs == 1 { "" } else { "s" },
        ));
    }
    let mut result = setup.scan(&source, settings, Some(counts.blobs as u64), Unit::Blobs);
    let submodules = source.counts().submodules;
    if settings.verbose > 0 && submodules > 0 {
        super::say(format_args!(
            "leakhound: {submodules} submodule entries not followed (their commits live in other repositories)"
        ));
    }
    // Its packs and object sets are done with; the de-duplication maps the packs again.
    drop(source);
    dedup::keep_first_of_each_secret(&open_repository(repo)?, &mut result.findings)?;
    result.stats.findings = result.findings.len() as u64;
    Ok(result)
}

/// The findings of a repository's whole history, with the repository's config (for
/// `leakhound baseline --history`).
pub(super) fn history_result(repo: &Path, settings: &Settings) -> anyhow::Result<ScanResult> {
    let root = repository_root(&open_repository(repo)?);
    let setup = Setup::new(settings, &root)?;
    full_history(&setup, repo, false, &[], false, settings)
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
