//! Changes: the lines a commit range or the index adds. Each changed file is scanned whole (so
//! multi-line secrets and line numbers are right), and only findings that touch an added line,
//! and that the previous version of the file did not already contain, are kept
//! ([`ChangeScope`]).
//!
//! - Range (`A..B`): every commit reachable from B and not from A, against its first parent.
//!   A merge commit adds only the files that differ from every parent (`git log --cc`): its
//!   conflict resolutions and "evil" edits; what it takes whole from a parent is scanned in the
//!   commits that made it.
//! - Staged: the index against HEAD (an unborn HEAD is empty), read from the index's blobs,
//!   never from the working tree.
//! - A changed archive (with [`DiffSource::with_archives`]) is opened and its members compared
//!   with the previous version's by name: only what it adds inside is scanned.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use git2::{Delta, DiffFindOptions, DiffOptions, Oid, Repository, Sort};

use super::archive::{ArchiveExpander, ArchiveLimits};
use super::content::{deliver, ArchiveFormat, Expander};
use super::git::{added_lines, commit_info, object_header, open_repository, run_workers};
use super::{
    classify, text_of, ChangeScope, Chunk, Commit, Content, Error, Provenance, SkipReason, Source,
    Visitor, VisitorFactory,
};

/// One changed file: its new blob, its previous blob, where, and in which commit.
#[derive(Debug, Clone)]
struct ChangedFile {
    new: Oid,
    old: Option<Oid>,
    path: String,
    commit: Option<Arc<Commit>>,
}

/// The changed files of a range or of the index, ready to scan.
#[derive(Debug)]
pub struct DiffSource {
    git_dir: PathBuf,
    max_file_size: u64,
    files: Vec<ChangedFile>,
    /// Changed archives are opened with these limits (see [`DiffSource::with_archives`]).
    archives: Option<ArchiveLimits>,
    /// Commits in the range (0 for staged).
    pub commits: usize,
    /// The range as resolved, for messages (`abc1234..def5678`).
    pub description: String,
}

/// A resolved range: commits reachable from `head` and not from `base` (`None`: from the root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// Excluded side.
    pub base: Option<Oid>,
    /// Included side.
    pub head: Oid,
}

fn resolve(repo: &Repository, spec: &str) -> Result<Oid, Error> {
    let object = repo.revparse_single(spec).map_err(|_| {
        let hint = if repo.is_shallow() {
            " (this is a shallow clone: fetch more history, e.g. `git fetch --deepen=100` or `fetch-depth: 0`)"
        } else {
            ""
        };
        Error::Revision(format!("revision {spec:?} not found in the repository{hint}"))
    })?;
    object
        .peel_to_commit()
        .map(|commit| commit.id())
        .map_err(|_| Error::Revision(format!("revision {spec:?} is not a commit")))
}

/// Parses `A..B`, `A...B` (meaning `merge-base(A, B)..B`, as a pull request sees it) or, with
/// `base_only`, `REF` meaning `merge-base(REF, HEAD)..HEAD`.
pub fn parse_range(repo: &Repository, spec: &str, base_only: bool) -> Result<Range, Error> {
    let merge_base = |a: Oid, b: Oid| {
        repo.merge_base(a, b).map_err(|_| {
            Error::Revision(format!(
                "no common ancestor between {} and {} (in a shallow clone, fetch more history)",
                short(a),
                short(b)
            ))
        })
    };
    if base_only {
        let head = resolve(repo, "HEAD")?;
        let base = resolve(repo, spec)?;
        return Ok(Range {
            base: Some(merge_base(base, head)?),
            head,
        });
    }
    if let Some((a, b)) = spec.split_once("...") {
        let head = resolve(repo, if b.is_empty() { "HEAD" } else { b })?;
        let base = resolve(repo, if a.is_empty() { "HEAD" } else { a })?;
        return Ok(Range {
            base: Some(merge_base(base, head)?),
            head,
        });
    }
    if let Some((a, b)) = spec.split_once("..") {
        let head = resolve(repo, if b.is_empty() { "HEAD" } else { b })?;
        let base = resolve(repo, if a.is_empty() { "HEAD" } else { a })?;
        return Ok(Range {
            base: Some(base),
            head,
        });
    }
    Err(Error::Revision(format!(
        "range {spec:?} must look like BASE..HEAD or BASE...HEAD (or use --base REF)"
    )))
}

pub(crate) fn short(oid: Oid) -> String {
    oid.to_string()[..12].to_string()
}

fn diff_options() -> DiffOptions {
    let mut options = DiffOptions::new();
    options
        .ignore_submodules(true)
        .skip_binary_check(true)
        .context_lines(0);
    options
}

/// The files a diff adds or modifies (deleted files add nothing; submodules are skipped).
fn changed_files(
    diff: &mut git2::Diff<'_>,
    commit: Option<Arc<Commit>>,
    out: &mut Vec<ChangedFile>,
) -> Result<(), git2::Error> {
    diff.find_similar(Some(DiffFindOptions::new().renames(true).copies(false)))?;
    for delta in diff.deltas() {
        if !matches!(
            delta.status(),
            Delta::Added | Delta::Modified | Delta::Renamed | Delta::Copied | Delta::Typechange
        ) {
            continue;
        }
        let new = delta.new_file();
        if new.mode() == git2::FileMode::Commit || new.mode() == git2::FileMode::Link {
            continue;
        }
        let old = delta.old_file();
        let old_id =
            (!old.id().is_zero() && old.mode() != git2::FileMode::Commit).then(|| old.id());
        let path = new
            .path_bytes()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
        out.push(ChangedFile {
            new: new.id(),
            old: old_id,
            path,
            commit: commit.clone(),
        });
    }
    Ok(())
}

impl DiffSource {
    /// The files changed by the non-merge commits of `range` in the repository at `path`.
    pub fn range(path: &Path, range: Range, max_file_size: u64) -> Result<DiffSource, Error> {
        let description = match range.base {
            Some(base) => format!("{}..{}", short(base), short(range.head)),
            None => short(range.head),
        };
        let hidden: Vec<Oid> = range.base.into_iter().collect();
        Self::commits(path, &[range.head], &hidden, max_file_size, description)
    }

    /// The files changed by the non-merge commits reachable from `heads` and from none of
    /// `hidden` (what a push adds: `hidden` are the tips the other side already has).
    pub fn commits(
        path: &Path,
        heads: &[Oid],
        hidden: &[Oid],
        max_file_size: u64,
        description: String,
    ) -> Result<DiffSource, Error> {
        let repo = open_repository(path)?;
        let walk_error = |err: git2::Error| Error::git("cannot walk the range", &err);
        let mut walk = repo.revwalk().map_err(walk_error)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .map_err(walk_error)?;
        for &head in heads {
            walk.push(head).map_err(walk_error)?;
        }
        for &tip in hidden {
            walk.hide(tip).map_err(walk_error)?;
        }
        let mut files = Vec::new();
        let mut commits = 0;
        for oid in walk {
            let oid = oid.map_err(walk_error)?;
            let commit = repo
                .find_commit(oid)
                .map_err(|err| Error::git(format!("commit {oid}"), &err))?;
            commits += 1;
            let parent_tree = match commit.parent(0) {
                Ok(parent) => Some(
                    parent
                        .tree()
                        .map_err(|err| Error::git(format!("commit {}", parent.id()), &err))?,
                ),
                Err(_) => None, // a root commit adds everything in it
            };
            let tree = commit
                .tree()
                .map_err(|err| Error::git(format!("commit {oid}"), &err))?;
            let mut diff = repo
                .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut diff_options()))
                .map_err(|err| Error::git(format!("cannot diff commit {oid}"), &err))?;
            let info = commit_info(&commit, commits as u32);
            let first = files.len();
            changed_files(&mut diff, Some(Arc::new(info)), &mut files)
                .map_err(|err| Error::git(format!("cannot diff commit {oid}"), &err))?;
            // A merge adds only what differs from every parent (`git log --cc`): a file taken
            // whole from another parent is that parent's commits' to answer for. What is left
            // is the resolution of conflicts and any "evil" edit; secrets another parent held
            // are dropped later, like moved ones.
            let other_parents: Vec<git2::Tree<'_>> = commit
                .parents()
                .skip(1)
                .filter_map(|parent| parent.tree().ok())
                .collect();
            if !other_parents.is_empty() {
                let mut merged = files.split_off(first);
                merged.retain(|file| {
                    !other_parents.iter().any(|tree| {
                        tree.get_path(Path::new(&file.path))
                            .is_ok_and(|entry| entry.id() == file.new)
                    })
                });
                files.append(&mut merged);
            }
        }
        Ok(DiffSource {
            git_dir: repo.path().to_path_buf(),
            max_file_size,
            files,
            commits,
            description,
            archives: None,
        })
    }

    /// The files staged in the index of the repository at `path`, against HEAD.
    pub fn staged(path: &Path, max_file_size: u64) -> Result<DiffSource, Error> {
        let repo = open_repository(path)?;
        if repo.is_bare() {
            return Err(Error::Revision(format!(
                "{}: a bare repository has no index to scan",
                path.display()
            )));
        }
        let head_tree = match repo.head() {
            Ok(head) => Some(
                head.peel_to_tree()
                    .map_err(|err| Error::git("cannot read HEAD", &err))?,
            ),
            Err(err)
                if matches!(
                    err.code(),
                    git2::ErrorCode::UnbornBranch | git2::ErrorCode::NotFound
                ) =>
            {
                None
            }
            Err(err) => return Err(Error::git("cannot read HEAD", &err)),
        };
        let index = repo
            .index()
            .map_err(|err| Error::git("cannot read the index", &err))?;
        let mut diff = repo
            .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut diff_options()))
            .map_err(|err| Error::git("cannot diff the index against HEAD", &err))?;
        let mut files = Vec::new();
        changed_files(&mut diff, None, &mut files)
            .map_err(|err| Error::git("cannot diff the index against HEAD", &err))?;
        Ok(DiffSource {
            git_dir: repo.path().to_path_buf(),
            max_file_size,
            files,
            commits: 0,
            description: "staged changes".to_string(),
            archives: None,
        })
    }

    /// Opens changed archives (`None`: skips them as binary). A changed archive's members are
    /// compared with the previous version's, by name: an unchanged member is not scanned, a
    /// changed text member only for the lines it adds, a new one whole.
    pub fn with_archives(mut self, limits: Option<ArchiveLimits>) -> DiffSource {
        self.archives = limits;
        self
    }

    /// Number of changed files to scan.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl Source for DiffSource {
    fn run<'v>(&self, threads: usize, make_visitor: &VisitorFactory<'v>) {
        if self.files.is_empty() {
            return;
        }
        let next = AtomicUsize::new(0);
        let threads = threads.min(self.files.len());
        run_workers(&self.git_dir, threads, make_visitor, |repo, visitor| loop {
            let at = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = self.files.get(at) else {
                break;
            };
            let where_ = |oid: Oid| format!("{} (blob {oid})", file.path);
            let provenance = Provenance {
                path: file.path.clone(),
                rel_path: file.path.clone(),
                commit: file.commit.clone(),
                also_in: None,
            };
            match object_header(repo, file.new) {
                Ok((size, _)) if size as u64 > self.max_file_size => {
                    visitor.skipped(&provenance, SkipReason::TooLarge(size as u64));
                    continue;
                }
                Ok(_) => {}
                Err(err) => {
                    visitor.error(&where_(file.new), err.message());
                    continue;
                }
            }
            let new = match repo.find_blob(file.new) {
                Ok(blob) => blob,
                Err(err) => {
                    visitor.error(&where_(file.new), err.message());
                    continue;
                }
            };
            let text = match (classify(new.content()), self.archives) {
                (Content::Text(text), _) => text,
                (Content::Archive(format), Some(limits)) => {
                    let old = file.old.and_then(|oid| repo.find_blob(oid).ok());
                    let old = old.as_ref().map(git2::Blob::content);
                    archive_change(limits, format, new.content(), old, &provenance, visitor);
                    continue;
                }
                _ => {
                    visitor.skipped(&provenance, SkipReason::Binary);
                    continue;
                }
            };
            // Both sides as text (UTF-16 decoded), so lines compare like for like.
            let previous = match file.old.map(|oid| repo.find_blob(oid)) {
                None => Vec::new(),
                Some(Ok(blob)) if blob.size() as u64 <= self.max_file_size => {
                    text_of(blob.content()).map_or_else(Vec::new, Cow::into_owned)
                }
                Some(Ok(_)) => Vec::new(),
                Some(Err(err)) => {
                    // Without the old version every line counts as added: report rather than miss.
                    visitor.error(&where_(file.old.unwrap_or(file.new)), err.message());
                    Vec::new()
                }
            };
            let added = match added_lines(&previous, &text) {
                Ok(added) => added,
                Err(err) => {
                    visitor.error(&file.path, err.message());
                    continue;
                }
            };
            if added.is_empty() {
                continue;
            }
            let scope = ChangeScope {
                added_lines: added,
                previous,
            };
            visitor.chunk(Chunk {
                bytes: &text,
                provenance: &provenance,
                scope: Some(&scope),
                window: None,
            });
        });
    }
}

/// Delivers what a changed archive adds: each member of `new` that `old` (the previous
/// version, when it was an archive too) did not hold as it is; a text member `old` held in
/// another version is scoped to the lines it adds, like a changed file.
fn archive_change(
    limits: ArchiveLimits,
    format: ArchiveFormat,
    new: &[u8],
    old: Option<&[u8]>,
    provenance: &Provenance,
    visitor: &mut dyn Visitor,
) {
    let mut old_members: HashMap<String, Vec<u8>> = HashMap::new();
    if let Some(old) = old {
        if let Content::Archive(old_format) = classify(old) {
            // The old version's own budget; a member it cannot give is simply new.
            let _ = ArchiveExpander::new(limits).expand(old_format, old, &mut |name, bytes| {
                old_members.insert(name.to_string(), bytes.to_vec());
            });
        }
    }
    let expander = ArchiveExpander::new(limits);
    let mut each = |name: &str, bytes: &[u8]| {
        let inner = if name.is_empty() {
            provenance.clone()
        } else {
            provenance.member(name)
        };
        let previous = old_members.get(name);
        if previous.is_some_and(|previous| previous.as_slice() == bytes) {
            return;
        }
        let scoped = previous
            .and_then(|previous| text_of(previous))
            .zip(match classify(bytes) {
                Content::Text(text) => Some(text),
                _ => None,
            });
        match scoped {
            Some((previous, text)) => {
                let Ok(added) = added_lines(&previous, &text) else {
                    return deliver(bytes, &inner, None, visitor, Some(&expander));
                };
                if added.is_empty() {
                    return;
                }
                let scope = ChangeScope {
                    added_lines: added,
                    previous: previous.into_owned(),
                };
                visitor.chunk(Chunk {
                    bytes: &text,
                    provenance: &inner,
                    scope: Some(&scope),
                    window: None,
                });
            }
            None => deliver(bytes, &inner, None, visitor, Some(&expander)),
        }
    };
    if let Err(why) = expander.expand(format, new, &mut each) {
        visitor.error(&provenance.path, &why);
    }
}
