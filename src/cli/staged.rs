//! `leakhound staged`: what the commit being made adds (the pre-commit hook's command).

use super::args::StagedArgs;
use super::run::{finish, repository_root, start_recording, Setup, Unit};
use crate::finding::dedup;
use crate::source::archive::ArchiveLimits;
use crate::source::diff::DiffSource;
use crate::source::git::open_repository;

pub(super) fn staged(args: StagedArgs) -> anyhow::Result<u8> {
    let settings = args.common.settings();
    let mut repo = open_repository(&args.repo)?;
    // Loading the rules and diffing the index against HEAD take a few milliseconds each and
    // need nothing of each other: on a hook's clock, they run side by side.
    let (setup, source) = std::thread::scope(|scope| {
        let diff = scope.spawn(|| DiffSource::staged(&args.repo, settings.scan.max_file_size));
        let setup = Setup::new(&settings, &repository_root(&repo));
        let source = diff
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (setup, source)
    });
    let setup = setup?;
    let archives = (!args.no_archives).then(|| ArchiveLimits::new(settings.scan.max_file_size));
    let source = source?.with_archives(archives);
    let recording = start_recording(&settings, "staged", &repository_root(&repo))?;
    let mut result = setup.scan(&source, &settings, None, Unit::Files);
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
    dedup::drop_secrets_the_parents_hold(&repo, &mut result.findings, |_| Some(parents.clone()))?;
    result.stats.findings = result.findings.len() as u64;
    let scope = format!("staged changes in {}", repository_root(&repo).display());
    let context = setup.report_context(&result, None, scope);
    let code = finish(&settings, result, Unit::Files, context, recording)?;
    if code != super::EXIT_CLEAN && code != super::EXIT_ERROR {
        super::say(format_args!(
            "leakhound: the commit adds secrets. Remove them (and rotate them if they were ever pushed), \
             mark a false positive with a `leakhound:allow` comment, or skip the scan once with `git commit --no-verify` (or LEAKHOUND_SKIP=1)."
        ));
    }
    Ok(code)
}
