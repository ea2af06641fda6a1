//! Git history: every blob reachable from any ref (branches, tags, remotes, stash, a detached
//! HEAD), scanned exactly once, with the commit that introduced it and its path there.
//!
//! Walking every commit's trees to find each blob's path reads every tree of the history, one
//! at a time, which bounds a scan of a long history to one core. So the work runs in pack
//! order instead, in three passes:
//!
//! 1. **Blobs.** Every blob in the pack files is inflated once, its delta family base first
//!    (see [`pack`]), on every thread, and prescreened by the engine *without* its path
//!    ([`Visitor::prescreen`]). Almost every blob holds nothing under any path and is done.
//!    Binary, oversized and unreadable blobs, and the few that hold a match, are "of interest".
//! 2. **Trees.** Every tree is inflated the same way and kept in a compact form: its
//!    subdirectories, and its entries that are of interest (or whose name a file rule flags).
//! 3. **The walk.** Commits oldest first; each distinct tree is entered once, so the first time
//!    a blob is seen is in the commit that introduced it, at the path it had there. Only trees
//!    that lead to a blob of interest are entered, from memory.
//!
//! The blobs of interest are then delivered with their provenance: the ones with a match are
//! read again (from the packs, family by family on every thread, entering only the deltas on
//! the way to them) and scanned with their path, exactly as a file would be.
//! Objects the packs cannot give (loose objects, objects in alternates, a corrupt pack) are
//! read through libgit2 during the walk, which reports what it cannot read.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use git2::{ObjectType, Oid, Repository, Sort};
use rustc_hash::{FxHashMap, FxHashSet};

use super::archive::{ArchiveExpander, ArchiveLimits};
use super::content::ArchiveFormat;
use super::git::{commit_info, object_header, open_repository, run_workers};
use super::pack::{self, Id, Kind, Pack, Scratch, ID_LEN};
use super::{
    content, text_of, Commit, Error, NameFilter, NoNames, Provenance, SkipReason, Source, Visitor,
    VisitorFactory,
};

mod blobs;
mod delivery;
pub(crate) mod enumerate;
pub(crate) mod lists;
mod trees;
mod walk;

pub(crate) use trees::parse_tree_entry;

use blobs::*;
use enumerate::*;
use lists::{cut_after_tree_number, Cursor, ListSpan, Numbered, SharedLists};
use trees::*;
use walk::*;

/// Options of a history scan.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// The repository (work tree, subdirectory or bare repository).
    pub repo: PathBuf,
    /// Also scan objects no ref reaches (force-pushed-away commits, dropped stashes).
    pub all_objects: bool,
    /// Blobs larger than this many bytes are skipped.
    pub max_file_size: u64,
    /// Walk only the commits these revisions reach (`--branch`); empty: every ref.
    pub branches: Vec<String>,
    /// Open committed archives and compressed files within these limits; `None` skips them
    /// as binary (`--no-archives`).
    pub archives: Option<ArchiveLimits>,
}

/// Counts from enumerating a history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryCounts {
    /// Commits walked.
    pub commits: usize,
    /// Distinct blobs in the object database.
    pub blobs: usize,
    /// Submodule entries seen (never followed); known once the scan has run.
    pub submodules: usize,
    /// Objects that could not be read during enumeration.
    pub unreadable: usize,
}

/// What the blob pass learned of a blob before its path is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BlobClass {
    /// Prescreened: nothing to find under any path.
    Clean,
    /// Holds a match under some path: scanned again with its provenance.
    Candidate,
    /// Binary: skipped.
    Binary,
    /// Over `--max-file-size`: skipped.
    TooLarge(u64),
    /// Not read from a pack (loose, elsewhere, corrupt or missing): read through libgit2.
    Unread,
}

/// A blob to deliver and where it first appeared.
#[derive(Debug, Clone, Copy)]
struct BlobEntry {
    id: Id,
    class: BlobClass,
    /// Its path: a node of the walk's path tree.
    path: u32,
    /// Index into `commits`; `u32::MAX` for a blob no commit holds (`--all-objects`).
    commit: u32,
    also_in: u32,
}

/// The history of a repository, ready to scan.
#[derive(Debug)]
pub struct HistorySource {
    git_dir: PathBuf,
    max_file_size: u64,
    archives: Option<ArchiveLimits>,
    all_objects: bool,
    commits: Vec<Arc<Commit>>,
    /// Each walked commit's root tree, oldest first (unreachable commits last).
    roots: Vec<(u32, Oid)>,
    packs: Vec<Pack>,
    /// Per pack and object: whether an earlier pack holds the same object.
    duplicate: Vec<Vec<bool>>,
    /// Blobs stored as loose objects (not in any pack).
    loose_blobs: Vec<Id>,
    counts: HistoryCounts,
    submodules: AtomicUsize,
    /// Objects that could not be read while enumerating: `(object id, message)`.
    problems: Vec<(String, String)>,
}

impl HistorySource {
    /// Opens the repository, lists its commits and reads its pack indexes.
    pub fn open(options: &HistoryOptions) -> Result<HistorySource, Error> {
        let repo = open_repository(&options.repo)?;
        let mut problems = Vec::new();
        let walk_error = |err: git2::Error| Error::git("cannot walk the history", &err);
        let mut walk = repo.revwalk().map_err(walk_error)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .map_err(walk_error)?;
        if options.branches.is_empty() {
            let references = repo
                .references()
                .map_err(|err| Error::git("cannot list references", &err))?;
            for reference in references.flatten() {
                // Refs to trees or blobs (rare) hold no commit; tags are peeled to their commit.
                if let Ok(commit) = reference.peel_to_commit() {
                    if let Err(err) = walk.push(commit.id()) {
                        problems.push((commit.id().to_string(), err.message().to_string()));
                    }
                }
            }
            if let Ok(head) = repo.head().and_then(|head| head.peel_to_commit()) {
                let _ = walk.push(head.id()); // a detached HEAD; unborn HEAD has nothing to push
            }
        }
        for branch in &options.branches {
            let commit = repo
                .revparse_single(branch)
                .and_then(|object| object.peel_to_commit())
                .map_err(|_| Error::Revision(format!("--branch {branch:?}: no such commit")))?;
            walk.push(commit.id()).map_err(walk_error)?;
        }
        let mut commits = Vec::new();
        let mut roots = Vec::new();
        let mut seen_commits = FxHashSet::default();
        let mut add_commit =
            |oid: Oid, problems: &mut Vec<(String, String)>| match repo.find_commit(oid) {
                Ok(commit) => {
                    roots.push((commits.len() as u32, commit.tree_id()));
                    let sequence = commits.len() as u32;
                    commits.push(Arc::new(commit_info(&commit, sequence)));
                }
                Err(err) => problems.push((oid.to_string(), err.message().to_string())),
            };
        for oid in walk {
            match oid {
                Ok(oid) => {
                    seen_commits.insert(id_of(oid));
                    add_commit(oid, &mut problems);
                }
                Err(err) => problems.push(("revwalk".to_string(), err.message().to_string())),
            }
        }
        let objects = repo.commondir().join("objects");
        let packs = if sha1_repository(&repo) {
            open_packs(&objects)
        } else {
            Vec::new()
        };
        let duplicate = duplicates(&packs);
        let loose = loose_objects(&repo, &objects, &packs);
        if options.all_objects {
            // Commits no ref reaches, oldest first, then (in the walk) blobs no commit holds.
            let packed_commits = packed_objects(&packs, &duplicate, Kind::Commit)
                .map(|(number, at)| packs[number].id(at));
            let mut unreachable: Vec<(i64, Oid)> = packed_commits
                .chain(loose.commits.iter().copied())
                .filter(|id| !seen_commits.contains(id))
                .filter_map(|id| {
                    let oid = Oid::from_bytes(&id).ok()?;
                    repo.find_commit(oid)
                        .ok()
                        .map(|c| (c.time().seconds(), oid))
                })
                .collect();
            unreachable.sort_unstable();
            for (_, oid) in unreachable {
                add_commit(oid, &mut problems);
            }
        }
        let packed_blobs = packed_objects(&packs, &duplicate, Kind::Blob).count();
        let counts = HistoryCounts {
            commits: commits.len(),
            blobs: packed_blobs + loose.blobs.len(),
            submodules: 0,
            unreadable: problems.len(),
        };
        Ok(HistorySource {
            git_dir: repo.path().to_path_buf(),
            max_file_size: options.max_file_size,
            archives: options.archives,
            all_objects: options.all_objects,
            commits,
            roots,
            packs,
            duplicate,
            loose_blobs: loose.blobs,
            counts,
            submodules: AtomicUsize::new(0),
            problems,
        })
    }

    /// What enumeration found (submodule entries are counted by the scan).
    pub fn counts(&self) -> HistoryCounts {
        HistoryCounts {
            submodules: self.submodules.load(Ordering::Relaxed),
            ..self.counts
        }
    }

    /// The number of distinct blobs (for progress).
    pub fn len(&self) -> usize {
        self.counts.blobs
    }

    /// Whether there is no blob to scan.
    pub fn is_empty(&self) -> bool {
        self.counts.blobs == 0
    }
}

impl Source for HistorySource {
    fn run<'v>(&self, threads: usize, make_visitor: &VisitorFactory<'v>) {
        let threads = threads.max(1);
        let file_names = {
            let mut visitor = make_visitor();
            for (oid, message) in &self.problems {
                visitor.error(&format!("object {oid}"), message);
            }
            visitor.file_names()
        };
        let file_names = file_names.unwrap_or_else(|| Box::new(NoNames));
        let blobs = self.blob_pass(threads, make_visitor);
        release_pages(&self.packs);
        let trees = if file_names.by_name() {
            self.tree_pass(threads, &blobs, &*file_names)
        } else {
            // A file rule that looks at directories needs every blob's full path: every tree
            // is then read during the walk, through libgit2.
            Trees::default()
        };
        release_pages(&self.packs);
        let repo = match Repository::open(&self.git_dir) {
            Ok(repo) => repo,
            Err(err) => {
                make_visitor().error(&self.git_dir.display().to_string(), err.message());
                return;
            }
        };
        let mut walk = Walk {
            source: self,
            repo: &repo,
            blobs: &blobs,
            trees: &trees,
            file_names: &*file_names,
            contains: vec![UNKNOWN; trees.spans.len()],
            entered: vec![false; trees.spans.len()],
            entered_foreign: FxHashSet::default(),
            blob_index: FxHashMap::default(),
            entries: Vec::new(),
            nodes: Vec::new(),
            problems: Vec::new(),
        };
        for &(commit, tree) in &self.roots {
            walk.walk_tree(id_of(tree), commit);
        }
        if self.all_objects {
            walk.add_unreachable_blobs();
        }
        let Walk {
            entries,
            nodes,
            problems,
            ..
        } = walk;
        drop(repo);
        if !problems.is_empty() {
            let mut visitor = make_visitor();
            for (id, message) in &problems {
                visitor.error(&format!("object {id}"), message);
            }
        }
        self.deliver_all(threads, make_visitor, &entries, &nodes);
    }
}
