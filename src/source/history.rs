//! Git history: every blob reachable from any ref (branches, tags, remotes, stash, a detached
//! HEAD), scanned exactly once, in parallel, with one `Repository` per worker thread.
//!
//! Enumeration walks commits oldest first and visits each distinct tree once, so the first time
//! a blob is seen is in the commit that introduced it, at the path it had there. Memory holds
//! ids, an interned path and a commit index per blob, never content. Commit metadata is kept
//! per commit (author, date, subject), so a finding's provenance costs nothing extra.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use git2::{ObjectType, Oid, Repository, Sort};
use rustc_hash::{FxHashMap, FxHashSet};

use super::git::{commit_info, object_header, open_repository};
use super::{
    text_of, Chunk, Commit, Error, Provenance, SkipReason, Source, Visitor, VisitorFactory,
};

/// Options of a history scan.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    /// The repository (work tree, subdirectory or bare repository).
    pub repo: PathBuf,
    /// Also scan objects no ref reaches (force-pushed-away commits, dropped stashes).
    pub all_objects: bool,
    /// Blobs larger than this many bytes are skipped.
    pub max_file_size: u64,
}

/// A blob to scan and where it first appeared.
#[derive(Debug, Clone, Copy)]
struct BlobEntry {
    oid: Oid,
    path: u32,
    /// Index into `commits`; `u32::MAX` for a blob no commit holds (`--all-objects`).
    commit: u32,
    also_in: u32,
}

/// Counts from enumerating a history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistoryCounts {
    /// Commits walked.
    pub commits: usize,
    /// Distinct blobs to scan.
    pub blobs: usize,
    /// Submodule entries seen (never followed).
    pub submodules: usize,
    /// Objects that could not be read during enumeration.
    pub unreadable: usize,
}

/// The blobs of a repository's history, enumerated and ready to scan.
#[derive(Debug)]
pub struct HistorySource {
    git_dir: PathBuf,
    max_file_size: u64,
    blobs: Vec<BlobEntry>,
    paths: Vec<String>,
    commits: Vec<Arc<Commit>>,
    counts: HistoryCounts,
    /// Objects that could not be read while enumerating: `(object id, message)`.
    problems: Vec<(String, String)>,
}

/// An object id as a plain key: `Oid`'s own equality goes through an FFI call, which shows up
/// in profiles of large histories.
type Key = [u8; 32];

fn key(oid: Oid) -> Key {
    key_of_bytes(oid.as_bytes())
}

fn key_of_bytes(bytes: &[u8]) -> Key {
    let mut key = [0u8; 32];
    let len = bytes.len().min(32);
    key[..len].copy_from_slice(&bytes[..len]);
    key
}

struct Enumeration<'r> {
    repo: &'r Repository,
    /// Kept apart from the rest so that a tree read from it can be parsed in place while the
    /// enumeration records what the tree holds.
    odb: &'r git2::Odb<'r>,
    seen_trees: FxHashSet<Key>,
    blob_index: FxHashMap<Key, usize>,
    blobs: Vec<BlobEntry>,
    path_index: FxHashMap<String, u32>,
    paths: Vec<String>,
    commits: Vec<Arc<Commit>>,
    counts: HistoryCounts,
    problems: Vec<(String, String)>,
}

impl Enumeration<'_> {
    fn intern(&mut self, path: String) -> u32 {
        if let Some(&id) = self.path_index.get(&path) {
            return id;
        }
        let id = self.paths.len() as u32;
        self.paths.push(path.clone());
        self.path_index.insert(path, id);
        id
    }

    fn add_blob(&mut self, oid: Oid, path: &str, commit: u32) {
        if let Some(&at) = self.blob_index.get(&key(oid)) {
            self.blobs[at].also_in += 1;
            return;
        }
        let path = self.intern(path.to_string());
        self.blob_index.insert(key(oid), self.blobs.len());
        self.blobs.push(BlobEntry {
            oid,
            path,
            commit,
            also_in: 0,
        });
    }

    fn visit_commit(&mut self, oid: Oid) {
        let commit = match self.repo.find_commit(oid) {
            Ok(commit) => commit,
            Err(err) => {
                self.problems
                    .push((oid.to_string(), err.message().to_string()));
                return;
            }
        };
        let index = self.commits.len() as u32;
        self.commits.push(Arc::new(commit_info(&commit)));
        self.counts.commits += 1;
        self.visit_tree(commit.tree_id(), "", index);
    }

    fn visit_tree(&mut self, oid: Oid, prefix: &str, commit: u32) {
        if !self.seen_trees.insert(key(oid)) {
            return; // an identical tree was visited already: nothing in it is new
        }
        // The raw tree is parsed here rather than through `git2::Tree`: a history walk reads
        // millions of entries, and most of them are unchanged and need no path or allocation.
        let odb = self.odb;
        let raw = match odb.read(oid) {
            Ok(object) if object.kind() == ObjectType::Tree => object,
            Ok(_) => return,
            Err(err) => {
                self.problems
                    .push((oid.to_string(), err.message().to_string()));
                return;
            }
        };
        let data = raw.data();
        let id_len = oid.as_bytes().len();
        let mut rest = data;
        while !rest.is_empty() {
            let Some(entry) = parse_tree_entry(rest, id_len) else {
                self.problems
                    .push((oid.to_string(), "malformed tree".to_string()));
                return;
            };
            rest = &rest[entry.len..];
            let join = |name: &[u8]| {
                let name = String::from_utf8_lossy(name);
                if prefix.is_empty() {
                    name.into_owned()
                } else {
                    format!("{prefix}/{name}")
                }
            };
            // Look up by the raw id first: an `Oid` is made only for what is new.
            let entry_key = key_of_bytes(entry.id);
            let new_oid = || Oid::from_bytes(entry.id).ok();
            match entry.mode {
                // Directory.
                0o040000 => {
                    if !self.seen_trees.contains(&entry_key) {
                        if let Some(oid) = new_oid() {
                            self.visit_tree(oid, &join(entry.name), commit);
                        }
                    }
                }
                // A submodule: its commit lives in another repository; never followed.
                0o160000 => self.counts.submodules += 1,
                // Regular, executable and symlink blobs.
                _ => match self.blob_index.get(&entry_key) {
                    Some(&at) => self.blobs[at].also_in += 1,
                    None => {
                        if let Some(oid) = new_oid() {
                            self.add_blob(oid, &join(entry.name), commit);
                        }
                    }
                },
            }
        }
    }
}

/// One entry of a raw tree object: `<octal mode> <name>\0<object id>`.
struct TreeEntry<'a> {
    mode: u32,
    name: &'a [u8],
    id: &'a [u8],
    /// Bytes the entry takes.
    len: usize,
}

fn parse_tree_entry(data: &[u8], id_len: usize) -> Option<TreeEntry<'_>> {
    let space = memchr::memchr(b' ', data)?;
    let nul = space + 1 + memchr::memchr(0, &data[space + 1..])?;
    let end = nul + 1 + id_len;
    if end > data.len() {
        return None;
    }
    let mode = data[..space].iter().try_fold(0u32, |mode, &digit| {
        (b'0'..=b'7')
            .contains(&digit)
            .then(|| mode * 8 + u32::from(digit - b'0'))
    })?;
    Some(TreeEntry {
        mode,
        name: &data[space + 1..nul],
        id: &data[nul + 1..end],
        len: end,
    })
}

impl HistorySource {
    /// Opens the repository and enumerates the blobs to scan.
    pub fn open(options: &HistoryOptions) -> Result<HistorySource, Error> {
        let repo = open_repository(&options.repo)?;
        let mut walk = repo
            .revwalk()
            .map_err(|err| Error::git("cannot walk the history", &err))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .map_err(|err| Error::git("cannot walk the history", &err))?;
        let mut problems = Vec::new();
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
        let odb = repo
            .odb()
            .map_err(|err| Error::git("cannot open the object database", &err))?;
        let mut enumeration = Enumeration {
            repo: &repo,
            odb: &odb,
            seen_trees: FxHashSet::default(),
            blob_index: FxHashMap::default(),
            blobs: Vec::new(),
            path_index: FxHashMap::default(),
            paths: Vec::new(),
            commits: Vec::new(),
            counts: HistoryCounts::default(),
            problems,
        };
        let mut seen_commits = FxHashSet::default();
        for oid in walk {
            match oid {
                Ok(oid) => {
                    seen_commits.insert(key(oid));
                    enumeration.visit_commit(oid);
                }
                Err(err) => enumeration
                    .problems
                    .push(("revwalk".to_string(), err.message().to_string())),
            }
        }
        if options.all_objects {
            add_unreachable(&mut enumeration, &seen_commits)?;
        }
        let Enumeration {
            blobs,
            paths,
            commits,
            mut counts,
            problems,
            ..
        } = enumeration;
        counts.blobs = blobs.len();
        counts.unreadable = problems.len();
        Ok(HistorySource {
            git_dir: repo.path().to_path_buf(),
            max_file_size: options.max_file_size,
            blobs,
            paths,
            commits,
            counts,
            problems,
        })
    }

    /// What enumeration found.
    pub fn counts(&self) -> HistoryCounts {
        self.counts
    }

    /// The sum of the sizes of the blobs to scan is not known before reading their headers;
    /// this is the number of blobs (for progress).
    pub fn len(&self) -> usize {
        self.blobs.len()
    }

    /// Whether there is no blob to scan.
    pub fn is_empty(&self) -> bool {
        self.blobs.is_empty()
    }
}

/// `--all-objects`: commits no ref reaches (oldest first) and then blobs no commit holds.
fn add_unreachable(
    enumeration: &mut Enumeration<'_>,
    seen_commits: &FxHashSet<Key>,
) -> Result<(), Error> {
    let odb = enumeration
        .repo
        .odb()
        .map_err(|err| Error::git("cannot open the object database", &err))?;
    let mut commits = Vec::new();
    let mut blobs = Vec::new();
    odb.foreach(|oid| {
        match odb.read_header(*oid) {
            Ok((_, ObjectType::Commit)) if !seen_commits.contains(&key(*oid)) => commits.push(*oid),
            Ok((_, ObjectType::Blob)) => blobs.push(*oid),
            _ => {}
        }
        true
    })
    .map_err(|err| Error::git("cannot list the object database", &err))?;
    let mut dated: Vec<(i64, Oid)> = commits
        .into_iter()
        .filter_map(|oid| {
            enumeration
                .repo
                .find_commit(oid)
                .ok()
                .map(|c| (c.time().seconds(), oid))
        })
        .collect();
    dated.sort_unstable();
    for (_, oid) in dated {
        enumeration.visit_commit(oid);
    }
    blobs.sort_unstable();
    for oid in blobs {
        if !enumeration.blob_index.contains_key(&key(oid)) {
            enumeration.add_blob(oid, &format!("<unreachable blob {oid}>"), u32::MAX);
        }
    }
    Ok(())
}

impl Source for HistorySource {
    fn run<'v>(&self, threads: usize, make_visitor: &VisitorFactory<'v>) {
        let mut visitor = make_visitor();
        for (oid, message) in &self.problems {
            visitor.error(&format!("object {oid}"), message);
        }
        drop(visitor);
        let next = AtomicUsize::new(0);
        run_workers(&self.git_dir, threads, make_visitor, |repo, visitor| loop {
            let at = next.fetch_add(1, Ordering::Relaxed);
            let Some(entry) = self.blobs.get(at) else {
                break;
            };
            self.scan_blob(repo, entry, visitor);
        });
    }
}

impl HistorySource {
    fn scan_blob(&self, repo: &Repository, entry: &BlobEntry, visitor: &mut dyn Visitor) {
        let path = &self.paths[entry.path as usize];
        let provenance = Provenance {
            path: path.clone(),
            rel_path: path.clone(),
            commit: self.commits.get(entry.commit as usize).cloned(),
            also_in: Some(entry.also_in),
        };
        match object_header(repo, entry.oid) {
            Ok((size, _)) if size as u64 > self.max_file_size => {
                visitor.skipped(&provenance, SkipReason::TooLarge(size as u64));
                return;
            }
            Ok(_) => {}
            Err(err) => {
                visitor.error(&format!("{path} (blob {})", entry.oid), err.message());
                return;
            }
        }
        let blob = match repo.find_blob(entry.oid) {
            Ok(blob) => blob,
            Err(err) => {
                visitor.error(&format!("{path} (blob {})", entry.oid), err.message());
                return;
            }
        };
        let Some(text) = text_of(blob.content()) else {
            visitor.skipped(&provenance, SkipReason::Binary);
            return;
        };
        visitor.chunk(Chunk {
            bytes: &text,
            provenance: &provenance,
            scope: None,
        });
    }
}

/// Runs `work` on `threads` threads, each with its own `Repository` (git2's `Repository` is
/// `Send` but not `Sync`) and its own visitor.
pub(super) fn run_workers<'v, F>(
    git_dir: &Path,
    threads: usize,
    make_visitor: &VisitorFactory<'v>,
    work: F,
) where
    F: Fn(&Repository, &mut dyn Visitor) + Sync,
{
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut visitor = make_visitor();
                match Repository::open(git_dir) {
                    Ok(repo) => work(&repo, &mut *visitor),
                    Err(err) => visitor.error(&git_dir.display().to_string(), err.message()),
                }
            });
        }
    });
}
