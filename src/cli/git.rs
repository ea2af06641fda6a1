//! `leakhound history`, `staged` and `install-hook`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::{CommonArgs, HistoryArgs, InstallHookArgs, StagedArgs};
use super::base_config::BaseConfig;
use super::output::{refuse_links, write_file_below};
use super::scan::{finish, Setup, Unit};
use crate::finding::{Finding, OtherPlace};
use crate::report::human::escape;
use crate::report::RepositoryInfo;
use crate::scan::ScanResult;
use crate::source::diff::{parse_range, DiffSource, Range};
use crate::source::git::{open_repository, parse_date, SecretsInTrees};
use crate::source::history::{HistoryOptions, HistorySource};

/// The hook scripts `install-hook` writes (also in the repository, under `hooks/`).
pub const PRE_COMMIT_HOOK: &str = include_str!("../../hooks/pre-commit");
/// See [`PRE_COMMIT_HOOK`].
pub const PRE_PUSH_HOOK: &str = include_str!("../../hooks/pre-push");
/// The line of a hook script that `install-hook` fills in with its own binary's path.
const INSTALLED_PATH_LINE: &str = "installed=''";
/// Where `install-hook --force` keeps a hook it replaces, next to the hook (`pre-commit` ->
/// `pre-commit.before-leakhound`); leakhound's hook runs it afterwards.
const PREVIOUS_HOOK_SUFFIX: &str = ".before-leakhound";

/// Where config and allowlists are relative to: the work tree, or the git directory of a bare
/// repository.
fn repository_root(repo: &git2::Repository) -> PathBuf {
    repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf()
}

pub(super) fn history(args: HistoryArgs) -> anyhow::Result<u8> {
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
        if !args.common.quiet {
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
            &args.common,
            repo.workdir(),
        )?),
        _ => None,
    };
    let setup = match &judge {
        Some(judge) => Setup::new(&judge.common, judge.root())?,
        None => Setup::new(&args.common, &root)?,
    };
    let changes = if args.refs_from_stdin {
        Some(pushed_changes(&repo, &args)?)
    } else if let Some(range) = range {
        Some(DiffSource::range(
            &args.repo,
            range,
            args.common.max_file_size,
        )?)
    } else {
        None
    };
    if let Some(source) = changes {
        if !args.common.quiet {
            super::say(format_args!(
                "leakhound: scanning lines added by {} commit{} in {}",
                source.commits,
                if source.commits == 1 { "" } else { "s" },
                source.description
            ));
        }
        let mut result = setup.scan(
            &source,
            &args.common,
            Some(source.len() as u64),
            Unit::Files,
        );
        drop_secrets_the_parents_hold(&repo, &mut result, |finding| {
            parent_trees_of(&repo, finding)
        })?;
        keep_first_of_each_secret(&repo, &mut result)?;
        keep_since(&mut result, since);
        return finish(
            &args.common,
            result,
            Unit::Files,
            setup.report_context(repository),
        );
    }
    drop(repo);
    let mut result = full_history(
        &setup,
        &args.repo,
        args.all_objects,
        &args.branch,
        &args.common,
    )?;
    keep_since(&mut result, since);
    setup.warn_stale_baseline(&result, &args.common);
    finish(
        &args.common,
        result,
        Unit::Blobs,
        setup.report_context(repository),
    )
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
    common: &CommonArgs,
) -> anyhow::Result<ScanResult> {
    let source = HistorySource::open(&HistoryOptions {
        repo: repo.to_path_buf(),
        all_objects,
        max_file_size: common.max_file_size,
        branches: branches.to_vec(),
    })?;
    let counts = source.counts();
    if !common.quiet {
        super::say(format_args!(
            "leakhound: {} commit{}, {} unique blob{} to scan",
            counts.commits,
            if counts.commits == 1 { "" } else { "s" },
            counts.blobs,
            if counts.blobs == 1 { "" } else { "s" },
        ));
    }
    let mut result = setup.scan(&source, common, Some(counts.blobs as u64), Unit::Blobs);
    let submodules = source.counts().submodules;
    if common.verbose > 0 && submodules > 0 {
        super::say(format_args!(
            "leakhound: {submodules} submodule entries not followed (their commits live in other repositories)"
        ));
    }
    keep_first_of_each_secret(&open_repository(repo)?, &mut result)?;
    Ok(result)
}

/// The findings of a repository's whole history, with the repository's config (for
/// `leakhound baseline --history`).
pub(super) fn history_result(repo: &Path, common: &CommonArgs) -> anyhow::Result<ScanResult> {
    let root = repository_root(&open_repository(repo)?);
    let setup = Setup::new(common, &root)?;
    full_history(&setup, repo, false, &[], common)
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

/// Drops the findings of a change whose secret a parent of the change already held, at any
/// path: moving, renaming or copying a file does not add its secrets, and neither does a merge
/// bring in what its other parent already had. `parent_trees` gives a finding's parents' root
/// trees (`None`: unknown, the finding is kept).
fn drop_secrets_the_parents_hold(
    repo: &git2::Repository,
    result: &mut ScanResult,
    parent_trees: impl Fn(&Finding) -> Option<Vec<git2::Oid>>,
) -> anyhow::Result<()> {
    let mut held = held_by_parents(repo, &result.findings, parent_trees)?.into_iter();
    result.findings.retain(|_| !held.next().unwrap_or(false));
    result.stats.findings = result.findings.len() as u64;
    Ok(())
}

/// For each finding, whether one of the trees `parent_trees` gives held its secret anywhere.
/// Whole-file findings (no secret bytes) and findings without known parents are held by none.
fn held_by_parents<'f>(
    repo: &git2::Repository,
    findings: impl IntoIterator<Item = &'f Finding> + Clone,
    parent_trees: impl Fn(&Finding) -> Option<Vec<git2::Oid>>,
) -> anyhow::Result<Vec<bool>> {
    let mut secrets: Vec<&[u8]> = findings
        .clone()
        .into_iter()
        .map(|finding| finding.secret.expose())
        .filter(|secret| !secret.is_empty())
        .collect();
    secrets.sort_unstable();
    secrets.dedup();
    let mut held = (!secrets.is_empty())
        .then(|| SecretsInTrees::new(repo, &secrets))
        .transpose()?;
    Ok(findings
        .into_iter()
        .map(|finding| {
            let (Some(held), Ok(at)) = (&mut held, secrets.binary_search(&finding.secret.expose()))
            else {
                return false;
            };
            parent_trees(finding)
                .unwrap_or_default()
                .into_iter()
                .any(|tree| held.holds(tree, at))
        })
        .collect())
}

/// `--since`: drops the findings whose secret was introduced before `since` (seconds since the
/// epoch, committer time). The first introduction is decided on the whole history first, so
/// an old secret touched by a recent commit stays old.
fn keep_since(result: &mut ScanResult, since: Option<i64>) {
    let Some(since) = since else {
        return;
    };
    result
        .findings
        .retain(|finding| finding.commit.as_ref().is_none_or(|c| c.time >= since));
    result.stats.findings = result.findings.len() as u64;
}

/// One leak, one finding: the same secret found by the same rule in several blobs, commits or
/// paths is reported once, at its first commit in topological order (parents before children,
/// never by timestamp), with `also_in` counting the other snapshots that hold it and
/// `also_at` listing the other places it was introduced: other paths (a move, a copy) and
/// commits where it came back after it was removed (no parent held it). Whole-file findings
/// (a keystore by name) have no secret bytes and group by fingerprint.
fn keep_first_of_each_secret(
    repo: &git2::Repository,
    result: &mut ScanResult,
) -> anyhow::Result<()> {
    let mut findings = std::mem::take(&mut result.findings);
    findings.sort_by(|a, b| {
        let order = |f: &Finding| f.commit.as_ref().map(|c| c.sequence);
        order(a)
            .cmp(&order(b))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.location.line.cmp(&b.location.line))
    });
    let key = |f: &Finding| {
        let identity = if f.is_whole_file() {
            f.fingerprint.as_bytes().to_vec()
        } else {
            f.secret.expose().to_vec()
        };
        (f.rule_id.clone(), identity)
    };
    let mut first: HashMap<(String, Vec<u8>), usize> = HashMap::new();
    let mut kept: Vec<Finding> = Vec::with_capacity(findings.len());
    // Later introductions: (index of the kept finding, the finding).
    let mut later: Vec<(usize, Finding)> = Vec::new();
    for finding in findings {
        match first.get(&key(&finding)) {
            Some(&at) => later.push((at, finding)),
            None => {
                first.insert(key(&finding), kept.len());
                kept.push(finding);
            }
        }
    }
    // A later introduction that no parent of its commit held came back (or arrived again on
    // another branch); otherwise it was edited, moved or copied from where it already was.
    let held = held_by_parents(repo, later.iter().map(|(_, finding)| finding), |finding| {
        parent_trees_of(repo, finding)
    })?;
    let came_back: Vec<bool> = held
        .into_iter()
        .zip(&later)
        .map(|(held, (_, finding))| !held && !finding.is_whole_file())
        .collect();
    for ((at, finding), reintroduced) in later.into_iter().zip(came_back) {
        let first = &mut kept[at];
        if let Some(also_in) = first.also_in.as_mut() {
            *also_in += 1 + finding.also_in.unwrap_or(0);
        }
        let Some(commit) = finding.commit else {
            continue;
        };
        let new_path = finding.path != first.path
            && !first.also_at.iter().any(|place| place.path == finding.path);
        if reintroduced || new_path {
            first.also_at.push(OtherPlace {
                path: finding.path,
                commit,
                reintroduced,
            });
        }
    }
    result.stats.findings = kept.len() as u64;
    result.findings = kept;
    Ok(())
}

/// The root trees of the parents of the commit that introduced `finding`.
fn parent_trees_of(repo: &git2::Repository, finding: &Finding) -> Option<Vec<git2::Oid>> {
    let id = finding.commit.as_ref()?.id.parse().ok()?;
    let commit = repo.find_commit(id).ok()?;
    Some(commit.parents().map(|parent| parent.tree_id()).collect())
}

pub(super) fn staged(args: StagedArgs) -> anyhow::Result<u8> {
    let mut repo = open_repository(&args.repo)?;
    let setup = Setup::new(&args.common, &repository_root(&repo))?;
    let source = DiffSource::staged(&args.repo, args.common.max_file_size)?;
    let mut result = setup.scan(&source, &args.common, None, Unit::Files);
    // The commit being made has HEAD as its parent, and in a merge also MERGE_HEAD's commits.
    let mut parents: Vec<git2::Oid> = repo
        .head()
        .and_then(|head| head.peel_to_tree())
        .map(|tree| tree.id())
        .into_iter()
        .collect();
    let mut merged = Vec::new();
    let _ = repo.mergehead_foreach(|id| {
        merged.push(*id);
        true
    });
    parents.extend(
        merged
            .iter()
            .filter_map(|id| repo.find_commit(*id).ok().map(|commit| commit.tree_id())),
    );
    drop_secrets_the_parents_hold(&repo, &mut result, |_| Some(parents.clone()))?;
    let code = finish(
        &args.common,
        result,
        Unit::Files,
        setup.report_context(None),
    )?;
    if code != super::EXIT_CLEAN && code != super::EXIT_ERROR {
        super::say(format_args!(
            "leakhound: the commit adds secrets. Remove them (and rotate them if they were ever pushed), \
             mark a false positive with a `leakhound:allow` comment, or skip the scan once with `git commit --no-verify` (or LEAKHOUND_SKIP=1)."
        ));
    }
    Ok(code)
}

/// The hooks directory: `core.hooksPath` (relative to the work tree) or the hooks of the
/// repository's common directory (shared by every worktree, as git uses it).
fn hooks_dir(repo: &git2::Repository) -> PathBuf {
    let configured = repo
        .config()
        .ok()
        .and_then(|config| config.get_path("core.hooksPath").ok());
    match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => repository_root(repo).join(path),
        None => repo.commondir().join("hooks"),
    }
}

/// A hook script with this binary's absolute path filled in, so the hook works where `PATH`
/// is short (GUI git clients); the script falls back to `PATH`, and fails closed.
fn hook_script(template: &str) -> String {
    let Ok(binary) = std::env::current_exe() else {
        return template.to_string();
    };
    let quoted = binary.to_string_lossy().replace('\'', "'\\''");
    template.replacen(INSTALLED_PATH_LINE, &format!("installed='{quoted}'"), 1)
}

pub(super) fn install_hook(args: InstallHookArgs) -> anyhow::Result<u8> {
    let repo = open_repository(&args.repo)?;
    if repo.is_bare() {
        anyhow::bail!(
            "{}: a bare repository has no commits to hook (for a server, see hooks/pre-receive in the README)",
            args.repo.display()
        );
    }
    let (name, template) = if args.pre_push {
        ("pre-push", PRE_PUSH_HOOK)
    } else {
        ("pre-commit", PRE_COMMIT_HOOK)
    };
    let dir = hooks_dir(&repo);
    let hook = dir.join(name);
    let shown = |path: &Path| escape(&path.display().to_string(), false);
    let mut kept = None;
    // Before anything is read or moved: a hook that is a link may point anywhere.
    refuse_links(&hook, &repository_root(&repo))?;
    if let Ok(existing) = std::fs::read(&hook) {
        let ours = String::from_utf8_lossy(&existing).contains(&format!("# leakhound {name} hook"));
        if !ours {
            if !args.force {
                anyhow::bail!(
                    "{}: a {name} hook exists that leakhound did not write; use --force to install leakhound's and run the existing one after it",
                    shown(&hook)
                );
            }
            let previous = dir.join(format!("{name}{PREVIOUS_HOOK_SUFFIX}"));
            if previous.exists() {
                anyhow::bail!(
                    "{}: already holds an earlier hook; move it away first so that neither is lost",
                    shown(&previous)
                );
            }
            std::fs::rename(&hook, &previous)
                .with_context(|| format!("{}: cannot keep the existing hook", shown(&hook)))?;
            kept = Some(previous);
        }
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("{}: cannot create the hooks directory", shown(&dir)))?;
    write_executable(&hook, &repository_root(&repo), &hook_script(template))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "installed {}", shown(&hook))?;
    if let Some(previous) = kept {
        writeln!(
            out,
            "kept the existing hook as {}; it runs after leakhound's",
            shown(&previous)
        )?;
    }
    Ok(super::EXIT_CLEAN)
}

/// Writes a hook: never through a symbolic link, also among the directories below `root`
/// (a `core.hooksPath` inside the work tree is the repository's to shape).
fn write_executable(path: &Path, root: &Path, content: &str) -> anyhow::Result<()> {
    write_file_below(path, root, 0o755, |out| out.write_all(content.as_bytes()))
}
