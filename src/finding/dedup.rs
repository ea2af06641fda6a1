//! One leak, one finding, at the commit that introduced it: the de-duplication and provenance
//! rules of the git modes, on the findings of a scan. They ask the repository whether a
//! commit's parents already held a secret (see [`SecretsInTrees`]), never timestamps.
//!
//! - [`drop_secrets_the_parents_hold`]: a change (a range's commits, the index) adds only the
//!   secrets none of its parents held anywhere: moves, renames, copies and what a merge takes
//!   from a parent are not new.
//! - [`keep_first_of_each_secret`]: one finding per rule and secret, at its first commit in
//!   topological order, with the other places it was introduced in `also_at`.
//! - [`keep_since`]: `--since`, applied after the first introduction is known.

use std::collections::hash_map::Entry;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Finding, OtherPlace};
use crate::source::held::SecretsInTrees;
use crate::source::Error;

/// Drops the findings of a change whose secret a parent of the change already held, at any
/// path: moving, renaming or copying a file does not add its secrets, and neither does a merge
/// bring in what its other parent already had. `parent_trees` gives a finding's parents' root
/// trees (`None`: unknown, the finding is kept).
pub fn drop_secrets_the_parents_hold(
    repo: &git2::Repository,
    findings: &mut Vec<Finding>,
    parent_trees: impl Fn(&Finding) -> Option<Vec<git2::Oid>>,
) -> Result<(), Error> {
    let asked: Vec<(&Finding, Option<&str>)> = findings.iter().map(|f| (f, None)).collect();
    let mut held = held_by_parents(repo, &asked, parent_trees, false)?.into_iter();
    findings.retain(|_| !held.next().unwrap_or(false));
    Ok(())
}

/// For each finding, whether one of the trees `parent_trees` gives held its secret anywhere
/// (`parent_trees` is asked once per commit: the trees are those of the commit's parents).
/// Each finding comes with another path to look at first besides its own (where its secret
/// was first seen), if any. Whole-file findings (no secret bytes) and findings without known
/// parents are held by none. `whole_history`: the trees asked about span the history, so if
/// more than a few need reading whole, every packed blob is searched once up front rather
/// than each read on demand.
fn held_by_parents<'f>(
    repo: &git2::Repository,
    findings: &[(&'f Finding, Option<&'f str>)],
    parent_trees: impl Fn(&Finding) -> Option<Vec<git2::Oid>>,
    whole_history: bool,
) -> Result<Vec<bool>, Error> {
    // Each distinct secret numbered once (a dense history repeats each in hundreds of findings).
    let mut secrets: Vec<&[u8]> = Vec::new();
    let mut number_of: FxHashMap<&[u8], usize> = FxHashMap::default();
    let numbers: Vec<Option<usize>> = (findings.iter())
        .map(|(finding, _)| {
            let secret = finding.secret.expose();
            (!secret.is_empty()).then(|| {
                *number_of.entry(secret).or_insert_with(|| {
                    secrets.push(secret);
                    secrets.len() - 1
                })
            })
        })
        .collect();
    if secrets.is_empty() {
        return Ok(vec![false; findings.len()]);
    }
    let mut held = SecretsInTrees::new(repo, &secrets)?;
    // A dense history has dozens of findings per commit: each commit's parents are asked once.
    let mut parents_of_commit: FxHashMap<&str, usize> = FxHashMap::default();
    let mut parent_lists: Vec<Vec<git2::Oid>> = Vec::new();
    let mut parents_of = |finding: &'f Finding| {
        let mut new_list = || {
            parent_lists.push(parent_trees(finding).unwrap_or_default());
            parent_lists.len() - 1
        };
        match &finding.commit {
            Some(commit) => *parents_of_commit.entry(&commit.id).or_insert_with(new_list),
            None => new_list(),
        }
    };
    // Per finding: its secret's number and its parents' trees, or nothing to ask.
    let asked: Vec<Option<(usize, usize)>> = (findings.iter().zip(numbers))
        .map(|(&(finding, _), secret)| Some((secret?, parents_of(finding))))
        .collect();
    // The cheap question first: an edit leaves a secret where a parent had it, and a move
    // takes it from where it was first seen; one blob read answers most findings.
    let mut answers: Vec<bool> = (asked.iter().zip(findings))
        .map(|(asked, &(finding, seen_at))| {
            asked.is_some_and(|(secret, parents)| {
                let paths = std::iter::once(finding.rel_path.as_str()).chain(seen_at);
                (parent_lists[parents].iter())
                    .any(|&tree| paths.clone().any(|path| held.holds_at(tree, path, secret)))
            })
        })
        .collect();
    // The rest need their parents' trees read whole.
    let trees_to_read: FxHashSet<git2::Oid> = (answers.iter().zip(&asked))
        .filter_map(|(&answer, &asked)| asked.filter(|_| !answer))
        .flat_map(|(_, parents)| parent_lists[parents].iter().copied())
        .collect();
    if whole_history && trees_to_read.len() > FEW_TREES {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        held = held.whole_history(threads);
    }
    for (answer, asked) in answers.iter_mut().zip(&asked) {
        if let (false, Some((secret, parents))) = (*answer, *asked) {
            *answer = (parent_lists[parents].iter()).any(|&tree| held.holds(tree, secret));
        }
    }
    Ok(answers)
}

/// How many trees a whole-history de-duplication reads whole through libgit2, one at a time,
/// before it searches every packed blob up front instead (which costs about what the scan
/// does, and pays off only when many trees are asked about).
const FEW_TREES: usize = 4;

/// `--since`: drops the findings whose secret was introduced before `since` (seconds since the
/// epoch, committer time). The first introduction is decided on the whole history first, so
/// an old secret touched by a recent commit stays old.
pub fn keep_since(findings: &mut Vec<Finding>, since: i64) {
    findings.retain(|finding| finding.commit.as_ref().is_none_or(|c| c.time >= since));
}

/// One leak, one finding: the same secret found by the same rule in several blobs, commits or
/// paths is reported once, at its first commit in topological order (parents before children,
/// never by timestamp), with `also_in` counting the other snapshots that hold it and
/// `also_at` listing the other places it was introduced: other paths (a move, a copy) and
/// commits where it came back after it was removed (no parent held it). Whole-file findings
/// (a keystore by name) have no secret bytes and group by fingerprint.
pub fn keep_first_of_each_secret(
    repo: &git2::Repository,
    findings: &mut Vec<Finding>,
) -> Result<(), Error> {
    // Indices only: a finding-dense history has a hundred thousand findings of a few hundred
    // bytes each, and moving them (and faulting in the memory to move them to) cost more than
    // the decisions.
    let order = first_order(findings);
    let mut all: Vec<Option<Finding>> = std::mem::take(findings).into_iter().map(Some).collect();
    let finding = |index: usize| all[index].as_ref();
    // In that order: the first finding of each rule and secret, and the later ones with the
    // index of their first.
    let mut firsts: Vec<usize> = Vec::new();
    let mut later: Vec<(usize, usize)> = Vec::new();
    let mut first_of: FxHashMap<(&str, &[u8]), usize> = FxHashMap::default();
    for (index, f) in order
        .iter()
        .filter_map(|&index| Some((index, finding(index)?)))
    {
        let identity = if f.is_whole_file() {
            f.fingerprint.as_bytes()
        } else {
            f.secret.expose()
        };
        match first_of.entry((f.rule_id.as_str(), identity)) {
            Entry::Occupied(first) => later.push((*first.get(), index)),
            Entry::Vacant(new) => {
                new.insert(index);
                firsts.push(index);
            }
        }
    }
    drop(first_of);
    // A later introduction that no parent of its commit held came back (or arrived again on
    // another branch); otherwise it was edited, moved or copied from where it already was.
    let asked: Vec<(&Finding, Option<&str>)> = (later.iter())
        .filter_map(|&(first, index)| {
            let seen_at = finding(first).map(|first| first.rel_path.as_str());
            Some((finding(index)?, seen_at))
        })
        .collect();
    let held = held_by_parents(repo, &asked, |f| parent_trees_of(repo, f), true)?;
    for ((first, index), held) in later.into_iter().zip(held) {
        let Some(finding) = all[index].take() else {
            continue;
        };
        let Some(first) = all[first].as_mut() else {
            continue;
        };
        if let Some(also_in) = first.also_in.as_mut() {
            *also_in += 1 + finding.also_in.unwrap_or(0);
        }
        let whole_file = finding.is_whole_file();
        let Some(commit) = finding.commit else {
            continue;
        };
        // No parent held it, and it is not the first introduction's own commit (a copy added
        // with it, at another path): it came back, or arrived again on another branch.
        let with_first = first.commit.as_ref().is_some_and(|c| c.id == commit.id);
        let reintroduced = !held && !whole_file && !with_first;
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
    *findings = firsts
        .into_iter()
        .filter_map(|index| all[index].take())
        .collect();
    Ok(())
}

/// The indices of `findings` in topological order of their commits, then by path and line.
fn first_order(findings: &[Finding]) -> Vec<usize> {
    let order_key = |index: usize| {
        let f = &findings[index];
        let sequence = f.commit.as_ref().map(|c| c.sequence);
        (sequence, f.path.as_str(), f.location.line)
    };
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| order_key(a).cmp(&order_key(b)));
    order
}

/// The root trees of the parents of the commit that introduced `finding`.
pub fn parent_trees_of(repo: &git2::Repository, finding: &Finding) -> Option<Vec<git2::Oid>> {
    let id = finding.commit.as_ref()?.id.parse().ok()?;
    let commit = repo.find_commit(id).ok()?;
    Some(commit.parents().map(|parent| parent.tree_id()).collect())
}
