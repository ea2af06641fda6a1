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
//! read again (through libgit2) and scanned with their path, exactly as a file would be.
//! Objects the packs cannot give (loose objects, objects in alternates, a corrupt pack) are
//! read through libgit2 during the walk, which reports what it cannot read.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use git2::{ObjectType, Oid, Repository, Sort};
use rustc_hash::{FxHashMap, FxHashSet};

use super::git::{commit_info, object_header, open_repository, run_workers};
use super::pack::{self, Id, Kind, Pack, Scratch, ID_LEN};
use super::{
    content, text_of, Commit, Error, NameFilter, NoNames, Provenance, SkipReason, Source, Visitor,
    VisitorFactory,
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
    /// Walk only the commits these revisions reach (`--branch`); empty: every ref.
    pub branches: Vec<String>,
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

fn id_of(oid: Oid) -> Id {
    id_from(oid.as_bytes())
}

/// Whether the repository uses SHA-1 object ids: the only format the pack reader reads.
fn sha1_repository(repo: &Repository) -> bool {
    repo.config()
        .and_then(|config| config.get_string("extensions.objectformat"))
        .map_or(true, |format| format.eq_ignore_ascii_case("sha1"))
}

/// Every readable pack of the object directory. One that cannot be read is left out: its
/// objects are then read (and their problems reported) through libgit2.
fn open_packs(objects: &Path) -> Vec<Pack> {
    let Ok(entries) = std::fs::read_dir(objects.join("pack")) else {
        return Vec::new();
    };
    let mut indexes: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "idx"))
        .collect();
    indexes.sort();
    indexes
        .iter()
        .filter_map(|index| Pack::open(index).ok())
        .collect()
}

/// The objects of `kind` in the packs, each once (a copy in a later pack is left out), as
/// `(pack, index position)`.
fn packed_objects<'a>(
    packs: &'a [Pack],
    duplicate: &'a [Vec<bool>],
    kind: Kind,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    packs.iter().enumerate().flat_map(move |(number, pack)| {
        (0..pack.len())
            .filter(move |&at| pack.kind(at) == kind && !duplicate[number][at])
            .map(move |at| (number, at))
    })
}

/// For each pack, which of its objects an earlier pack already holds.
fn duplicates(packs: &[Pack]) -> Vec<Vec<bool>> {
    packs
        .iter()
        .enumerate()
        .map(|(number, pack)| {
            (0..pack.len())
                .map(|at| {
                    let id = pack.id(at);
                    packs[..number]
                        .iter()
                        .any(|earlier| earlier.find(&id).is_some())
                })
                .collect()
        })
        .collect()
}

/// Loose objects not also in a pack, by kind (only the kinds the scan needs).
#[derive(Default)]
struct Loose {
    blobs: Vec<Id>,
    commits: Vec<Id>,
}

fn loose_objects(repo: &Repository, objects: &Path, packs: &[Pack]) -> Loose {
    let mut loose = Loose::default();
    let Ok(odb) = repo.odb() else {
        return loose;
    };
    let mut ids = Vec::new();
    for fan in 0..=255u8 {
        let Ok(entries) = std::fs::read_dir(objects.join(format!("{fan:02x}"))) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(rest) = name.to_str().filter(|n| n.len() == 2 * ID_LEN - 2) else {
                continue;
            };
            if let Ok(oid) = Oid::from_str(&format!("{fan:02x}{rest}")) {
                ids.push(oid);
            }
        }
    }
    ids.sort_unstable();
    for oid in ids {
        let id = id_of(oid);
        if packs.iter().any(|pack| pack.find(&id).is_some()) {
            continue;
        }
        match odb.read_header(oid) {
            Ok((_, ObjectType::Blob)) => loose.blobs.push(id),
            Ok((_, ObjectType::Commit)) => loose.commits.push(id),
            _ => {}
        }
    }
    loose
}

/// A set of object ids that may say yes wrongly but never no wrongly: one bit per value of an
/// id's first three bytes, probed for every entry of every tree before an exact lookup.
struct IdFilter {
    bits: Vec<u64>,
}

impl IdFilter {
    fn new() -> IdFilter {
        IdFilter {
            bits: vec![0; (1 << 24) / 64],
        }
    }

    fn slot(id: &[u8]) -> usize {
        usize::from(id[0]) << 16 | usize::from(id[1]) << 8 | usize::from(id[2])
    }

    fn insert(&mut self, id: &[u8]) {
        let slot = Self::slot(id);
        self.bits[slot / 64] |= 1 << (slot % 64);
    }

    fn may_contain(&self, id: &[u8]) -> bool {
        let slot = Self::slot(id);
        self.bits[slot / 64] & (1 << (slot % 64)) != 0
    }
}

/// What the blob pass found.
struct Blobs {
    /// Blobs of interest (every class but `Clean`).
    interesting: FxHashMap<Id, BlobClass>,
    interesting_filter: IdFilter,
    /// Every blob the packs or loose objects hold.
    known_filter: IdFilter,
}

/// Bytes a tree may have for the tree pass to read it from a pack (larger ones go through
/// libgit2).
const TREE_LIMIT: u64 = 64 << 20;

/// A tree entry kept for the walk. `target` says what it points at in its top two bits:
const TO_TREE: u32 = 0;
const TO_BLOB: u32 = 1 << 30;
const TO_FOREIGN_TREE: u32 = 2 << 30;
const TARGET_INDEX: u32 = (1 << 30) - 1;

#[derive(Debug, Clone, Copy)]
struct Rec {
    target: u32,
    name: u32,
}

/// Trees read from the packs, in compact form: each tree's subdirectories and the blobs of
/// interest it holds, in tree order.
#[derive(Default)]
struct Trees {
    /// Tree id to its number, and back.
    numbers: FxHashMap<Id, u32>,
    ids_by_number: Vec<Id>,
    /// Per tree: `(start, len)` in `recs`, or `NOT_READ`.
    spans: Vec<(u32, u32)>,
    recs: Vec<Rec>,
    names: Vec<Box<[u8]>>,
    /// Targets of `TO_BLOB` and `TO_FOREIGN_TREE` entries.
    ids: Vec<Id>,
}

const NOT_READ: (u32, u32) = (u32::MAX, 0);

impl Trees {
    fn recs(&self, tree: u32) -> Option<&[Rec]> {
        let (start, len) = self.spans[tree as usize];
        (start != u32::MAX).then(|| &self.recs[start as usize..(start + len) as usize])
    }
}

/// One thread's share of the tree pass.
#[derive(Default)]
struct TreeShard {
    spans: Vec<(u32, u32, u32)>,
    recs: Vec<Rec>,
    names: Vec<Box<[u8]>>,
    name_ids: FxHashMap<Box<[u8]>, u32>,
    ids: Vec<Id>,
    submodules: usize,
}

impl TreeShard {
    fn name(&mut self, name: &[u8]) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.name_ids.insert(name.into(), id);
        id
    }

    /// Keeps what the walk needs of one tree; `false` if the tree is malformed.
    fn add(
        &mut self,
        number: u32,
        data: &[u8],
        numbers: &FxHashMap<Id, u32>,
        blobs: &Blobs,
        file_names: &dyn NameFilter,
    ) -> bool {
        let start = self.recs.len();
        let mut rest = data;
        while !rest.is_empty() {
            let Some(entry) = parse_tree_entry(rest, ID_LEN) else {
                self.recs.truncate(start);
                return false;
            };
            rest = &rest[entry.len..];
            let target = match entry.mode {
                0o040000 => match numbers.get(entry.id) {
                    Some(&tree) => TO_TREE | tree,
                    None => {
                        self.ids.push(id_from(entry.id));
                        TO_FOREIGN_TREE | (self.ids.len() as u32 - 1)
                    }
                },
                0o160000 => {
                    self.submodules += 1;
                    continue;
                }
                _ => {
                    let of_interest = (blobs.interesting_filter.may_contain(entry.id)
                        && blobs.interesting.contains_key(entry.id))
                        || !blobs.known_filter.may_contain(entry.id)
                        || file_names.may_match_name(entry.name);
                    if !of_interest {
                        continue;
                    }
                    self.ids.push(id_from(entry.id));
                    TO_BLOB | (self.ids.len() as u32 - 1)
                }
            };
            let name = self.name(entry.name);
            self.recs.push(Rec { target, name });
        }
        self.spans
            .push((number, start as u32, (self.recs.len() - start) as u32));
        true
    }
}

/// An id from raw bytes (always `ID_LEN` of them here; shorter ones are zero-padded).
fn id_from(bytes: &[u8]) -> Id {
    let mut id = [0u8; ID_LEN];
    let len = bytes.len().min(ID_LEN);
    id[..len].copy_from_slice(&bytes[..len]);
    id
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
        let trees = if file_names.by_name() {
            self.tree_pass(threads, &blobs, &*file_names)
        } else {
            // A file rule that looks at directories needs every blob's full path: every tree
            // is then read during the walk, through libgit2.
            Trees::default()
        };
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
        let next = AtomicUsize::new(0);
        run_workers(&self.git_dir, threads, make_visitor, |repo, visitor| loop {
            let at = next.fetch_add(1, Ordering::Relaxed);
            let Some(entry) = entries.get(at) else {
                break;
            };
            self.deliver(repo, entry, &nodes, visitor);
        });
    }
}

impl HistorySource {
    /// Work items: `(pack, root)` for each delta family of `kind`, in pack order.
    fn families(&self, kind: Kind) -> Vec<(usize, u32)> {
        self.packs
            .iter()
            .enumerate()
            .flat_map(|(number, pack)| pack.roots(kind).into_iter().map(move |root| (number, root)))
            .collect()
    }

    /// Pass 1: prescreens every packed blob on every thread; returns the blobs of interest.
    fn blob_pass<'v>(&self, threads: usize, make_visitor: &VisitorFactory<'v>) -> Blobs {
        let families = self.families(Kind::Blob);
        let next = AtomicUsize::new(0);
        let found: Mutex<Vec<(Id, BlobClass)>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let mut visitor = make_visitor();
                    let mut scratch = Scratch::default();
                    let mut local = Vec::new();
                    while let Some(&(number, root)) =
                        families.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let pack = &self.packs[number];
                        let duplicate = &self.duplicate[number];
                        pack.resolve_family(
                            root,
                            self.max_file_size,
                            &mut scratch,
                            &mut |at, content| {
                                if duplicate[at] {
                                    return;
                                }
                                let class = match content {
                                    Ok(bytes) => match text_of(bytes) {
                                        Some(text) if visitor.prescreen(&text) => {
                                            BlobClass::Candidate
                                        }
                                        Some(_) => return,
                                        None if visitor.prescreen_skipped(SkipReason::Binary) => {
                                            BlobClass::Binary
                                        }
                                        None => return,
                                    },
                                    Err(pack::Failure::TooLarge(size)) => {
                                        if !visitor.prescreen_skipped(SkipReason::TooLarge(size)) {
                                            return;
                                        }
                                        BlobClass::TooLarge(size)
                                    }
                                    Err(_) => BlobClass::Unread,
                                };
                                local.push((pack.id(at), class));
                            },
                        );
                    }
                    found
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .append(&mut local);
                });
            }
        });
        let mut blobs = Blobs {
            interesting: FxHashMap::default(),
            interesting_filter: IdFilter::new(),
            known_filter: IdFilter::new(),
        };
        for (number, at) in packed_objects(&self.packs, &self.duplicate, Kind::Blob) {
            blobs.known_filter.insert(&self.packs[number].id(at));
        }
        let found = found
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let loose = self.loose_blobs.iter().map(|&id| (id, BlobClass::Unread));
        for (id, class) in found.into_iter().chain(loose) {
            blobs.known_filter.insert(&id);
            blobs.interesting_filter.insert(&id);
            blobs.interesting.insert(id, class);
        }
        blobs
    }

    /// Pass 2: reads every packed tree on every thread, keeping what the walk needs.
    fn tree_pass(&self, threads: usize, blobs: &Blobs, file_names: &dyn NameFilter) -> Trees {
        let mut trees = Trees::default();
        let mut numbers_by_pack: Vec<Vec<u32>> = self
            .packs
            .iter()
            .map(|pack| vec![u32::MAX; pack.len()])
            .collect();
        for (pack, at) in packed_objects(&self.packs, &self.duplicate, Kind::Tree) {
            let number = trees.ids_by_number.len() as u32;
            let id = self.packs[pack].id(at);
            numbers_by_pack[pack][at] = number;
            trees.numbers.insert(id, number);
            trees.ids_by_number.push(id);
        }
        let families = self.families(Kind::Tree);
        let next = AtomicUsize::new(0);
        let shards: Mutex<Vec<TreeShard>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let mut shard = TreeShard::default();
                    let mut scratch = Scratch::default();
                    while let Some(&(pack_number, root)) =
                        families.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let numbers = &numbers_by_pack[pack_number];
                        self.packs[pack_number].resolve_family(
                            root,
                            TREE_LIMIT,
                            &mut scratch,
                            &mut |at, content| {
                                if let (Ok(data), Some(&number)) = (content, numbers.get(at)) {
                                    if number != u32::MAX {
                                        // A malformed tree is left unread: the walk reads it
                                        // through libgit2, which reports it.
                                        shard.add(number, data, &trees.numbers, blobs, file_names);
                                    }
                                }
                            },
                        );
                    }
                    shards
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push(shard);
                });
            }
        });
        trees.spans = vec![NOT_READ; trees.numbers.len()];
        let shards = shards
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for shard in shards {
            let (name_base, id_base, rec_base) = (
                trees.names.len() as u32,
                trees.ids.len() as u32,
                trees.recs.len() as u32,
            );
            self.submodules
                .fetch_add(shard.submodules, Ordering::Relaxed);
            trees.names.extend(shard.names);
            trees.ids.extend(shard.ids);
            trees.recs.extend(shard.recs.into_iter().map(|rec| {
                let kind = rec.target & !TARGET_INDEX;
                let target = if kind == TO_TREE {
                    rec.target
                } else {
                    rec.target + id_base
                };
                Rec {
                    target,
                    name: rec.name + name_base,
                }
            }));
            for (number, start, len) in shard.spans {
                trees.spans[number as usize] = (start + rec_base, len);
            }
        }
        trees
    }

    fn provenance(&self, entry: &BlobEntry, nodes: &[PathNode]) -> Provenance {
        let path = path_of(nodes, entry.path, "");
        Provenance {
            rel_path: path.clone(),
            path,
            commit: self.commits.get(entry.commit as usize).cloned(),
            also_in: Some(entry.also_in),
        }
    }

    /// Delivers one blob of interest with its provenance.
    fn deliver(
        &self,
        repo: &Repository,
        entry: &BlobEntry,
        nodes: &[PathNode],
        visitor: &mut dyn Visitor,
    ) {
        let provenance = self.provenance(entry, nodes);
        let oid = match Oid::from_bytes(&entry.id) {
            Ok(oid) => oid,
            Err(err) => return visitor.error(&provenance.path, err.message()),
        };
        let read_error = |visitor: &mut dyn Visitor, err: git2::Error| {
            visitor.error(&format!("{} (blob {oid})", provenance.path), err.message());
        };
        // The blob, or its size when over `--max-file-size` (then it is not read).
        let read_within_limit = || -> Result<Result<git2::Blob<'_>, u64>, git2::Error> {
            match object_header(repo, oid)? {
                (size, _) if size as u64 > self.max_file_size => Ok(Err(size as u64)),
                _ => repo.find_blob(oid).map(Ok),
            }
        };
        match (entry.class, read_within_limit) {
            (BlobClass::Binary, _) => visitor.skipped(&provenance, SkipReason::Binary),
            (BlobClass::TooLarge(size), _) => {
                visitor.skipped(&provenance, SkipReason::TooLarge(size));
            }
            // Prescreened (and counted) already; here for its name only. An oversized one is
            // not read: file rules need its path, not its content.
            (BlobClass::Clean, read) => match read() {
                Ok(Ok(blob)) => visitor.path_checks(&provenance, blob.content()),
                Ok(Err(_)) => visitor.path_checks(&provenance, b""),
                Err(err) => read_error(visitor, err),
            },
            (BlobClass::Candidate | BlobClass::Unread, read) => match read() {
                Ok(Ok(blob)) => content::deliver(blob.content(), &provenance, None, visitor, None),
                Ok(Err(size)) => visitor.skipped(&provenance, SkipReason::TooLarge(size)),
                Err(err) => read_error(visitor, err),
            },
        }
    }
}

/// `contains` states of a packed tree: whether anything below it is of interest.
const UNKNOWN: u8 = 0;
const COMPUTING: u8 = 1;
const NOTHING: u8 = 2;
const SOMETHING: u8 = 3;

/// Pass 3: commits oldest first, each distinct tree entered once, only where a blob of
/// interest lies below.
struct Walk<'a> {
    source: &'a HistorySource,
    repo: &'a Repository,
    blobs: &'a Blobs,
    trees: &'a Trees,
    file_names: &'a dyn NameFilter,
    contains: Vec<u8>,
    entered: Vec<bool>,
    entered_foreign: FxHashSet<Id>,
    blob_index: FxHashMap<Id, usize>,
    entries: Vec<BlobEntry>,
    /// Every directory entered and every blob entry's file, as a name and its parent: a path
    /// costs its own name only, and is spelled out once, when its blob is delivered.
    nodes: Vec<PathNode>,
    problems: Vec<(String, String)>,
}

/// A name in a path, and its directory's node (or [`ROOT`]).
#[derive(Debug)]
struct PathNode {
    parent: u32,
    name: Box<str>,
}

/// The parent of a top-level name.
const ROOT: u32 = u32::MAX;

/// The path of `name` in directory `parent` (`name` empty: of `parent` itself).
fn path_of(nodes: &[PathNode], parent: u32, name: &str) -> String {
    let mut names = Vec::new();
    let mut at = parent;
    while let Some(node) = nodes.get(at as usize) {
        names.push(&*node.name);
        at = node.parent;
    }
    names.reverse();
    if !name.is_empty() {
        names.push(name);
    }
    names.join("/")
}

/// An entry of a tree being walked.
enum Step {
    /// A tree the tree pass read, by number.
    Packed(u32, String),
    /// A tree by id (read from the packs if they hold it, else through libgit2).
    Tree(Id, String),
    Blob(Id, String),
}

/// A tree being walked, and its node in the path tree (deep trees with long names cost each
/// frame its own name only, not a copy of the path leading to it: issue 15).
struct Frame {
    node: u32,
    tree: Entered,
}

/// What entering a tree gives.
enum Entered {
    /// A tree the tree pass read, and the next of its entries.
    Packed { number: u32, next: usize },
    /// A tree read through libgit2: its entries of interest.
    Read(std::vec::IntoIter<Step>),
}

impl Walk<'_> {
    fn walk_tree(&mut self, root: Id, commit: u32) {
        let mut stack: Vec<Frame> = Vec::new();
        if let Some(tree) = self.enter_id(root, ROOT, "") {
            stack.push(Frame { node: ROOT, tree });
        }
        while let Some(frame) = stack.last_mut() {
            let node = frame.node;
            let step = match &mut frame.tree {
                Entered::Packed { number, next } => self.next_packed_step(*number, next),
                Entered::Read(steps) => steps.next(),
            };
            let Some(step) = step else {
                stack.pop();
                continue;
            };
            match step {
                Step::Packed(number, name) => {
                    if let Some(tree) = self.enter_packed(number, node, &name) {
                        let node = self.node(node, name);
                        stack.push(Frame { node, tree });
                    }
                }
                Step::Tree(id, name) => {
                    if let Some(tree) = self.enter_id(id, node, &name) {
                        let node = self.node(node, name);
                        stack.push(Frame { node, tree });
                    }
                }
                Step::Blob(id, name) => self.add_blob(id, node, name, commit),
            }
        }
    }

    fn node(&mut self, parent: u32, name: String) -> u32 {
        self.nodes.push(PathNode {
            parent,
            name: name.into_boxed_str(),
        });
        self.nodes.len() as u32 - 1
    }

    /// The next entry of packed tree `number` worth a step: subtrees not entered yet, foreign
    /// trees, and blobs of interest.
    fn next_packed_step(&mut self, number: u32, next: &mut usize) -> Option<Step> {
        let trees = self.trees;
        let recs = trees.recs(number)?;
        while let Some(rec) = recs.get(*next) {
            *next += 1;
            let index = rec.target & TARGET_INDEX;
            let name = || String::from_utf8_lossy(&trees.names[rec.name as usize]).into_owned();
            match rec.target & !TARGET_INDEX {
                TO_TREE => {
                    let readable = trees.recs(index).is_some();
                    if readable && (self.entered[index as usize] || !self.contains(index)) {
                        continue;
                    }
                    return Some(Step::Packed(index, name()));
                }
                TO_FOREIGN_TREE => return Some(Step::Tree(trees.ids[index as usize], name())),
                _ => return Some(Step::Blob(trees.ids[index as usize], name())),
            }
        }
        None
    }

    /// Enters a tree (named `name` in directory `parent`) not entered before, if anything below
    /// it is of interest.
    fn enter_id(&mut self, id: Id, parent: u32, name: &str) -> Option<Entered> {
        if let Some(&number) = self.trees.numbers.get(&id) {
            if self.trees.recs(number).is_some() {
                return self.enter_packed(number, parent, name);
            }
        }
        if !self.entered_foreign.insert(id) {
            return None;
        }
        let steps = self.read_foreign(id, parent, name)?;
        Some(Entered::Read(steps.into_iter()))
    }

    /// Enters a tree the tree pass read (or, if it could not, reads it through libgit2).
    fn enter_packed(&mut self, number: u32, parent: u32, name: &str) -> Option<Entered> {
        if self.trees.recs(number).is_none() {
            let id = self.trees.ids_by_number[number as usize];
            return self.enter_id(id, parent, name);
        }
        if std::mem::replace(&mut self.entered[number as usize], true) || !self.contains(number) {
            return None;
        }
        Some(Entered::Packed { number, next: 0 })
    }

    /// Reads a tree the packs did not give (loose, elsewhere, corrupt) through libgit2.
    fn read_foreign(&mut self, id: Id, parent: u32, tree_name: &str) -> Option<Vec<Step>> {
        let oid = Oid::from_bytes(&id).ok()?;
        let odb = match self.repo.odb() {
            Ok(odb) => odb,
            Err(err) => {
                self.problems
                    .push((oid.to_string(), err.message().to_string()));
                return None;
            }
        };
        let object = match odb.read(oid) {
            Ok(object) if object.kind() == ObjectType::Tree => object,
            Ok(_) => return None,
            Err(err) => {
                self.problems
                    .push((oid.to_string(), err.message().to_string()));
                return None;
            }
        };
        // Only a file rule on whole paths needs the tree's path, spelled out once per tree.
        let prefix = if self.file_names.is_empty() || self.file_names.by_name() {
            String::new()
        } else {
            path_of(&self.nodes, parent, tree_name)
        };
        let mut steps = Vec::new();
        let mut rest = object.data();
        while !rest.is_empty() {
            let Some(entry) = parse_tree_entry(rest, ID_LEN) else {
                self.problems
                    .push((oid.to_string(), "malformed tree".to_string()));
                break;
            };
            rest = &rest[entry.len..];
            let name = String::from_utf8_lossy(entry.name).into_owned();
            match entry.mode {
                0o040000 => steps.push(Step::Tree(id_from(entry.id), name)),
                0o160000 => {
                    self.source.submodules.fetch_add(1, Ordering::Relaxed);
                }
                _ => {
                    let wanted = self.class_of(entry.id) != BlobClass::Clean
                        || !self.file_names.is_empty()
                            && if self.file_names.by_name() {
                                self.file_names.may_match_name(entry.name)
                            } else {
                                self.file_names.matches_path(&join(&prefix, &name))
                            };
                    if wanted {
                        steps.push(Step::Blob(id_from(entry.id), name));
                    }
                }
            }
        }
        Some(steps)
    }

    /// What the blob pass learned of a blob; a blob no pack or loose object holds is `Unread`
    /// (libgit2 then says what is wrong with it).
    fn class_of(&self, id: &[u8]) -> BlobClass {
        if let Some(&class) = self.blobs.interesting.get(id) {
            return class;
        }
        let packed = self
            .source
            .packs
            .iter()
            .any(|pack| pack.find(id).is_some_and(|at| pack.kind(at) == Kind::Blob));
        if packed {
            BlobClass::Clean
        } else {
            BlobClass::Unread
        }
    }

    /// Whether a blob of interest lies below packed tree `number` (memoized; iterative, since
    /// a hostile repository can nest trees deeply).
    fn contains(&mut self, number: u32) -> bool {
        let trees = self.trees;
        let mut stack: Vec<(u32, usize)> = vec![(number, 0)];
        while let Some((tree, next)) = stack.last_mut() {
            let state = &mut self.contains[*tree as usize];
            if *state == NOTHING || *state == SOMETHING {
                stack.pop();
                continue;
            }
            *state = COMPUTING;
            let recs = trees.recs(*tree).unwrap_or(&[]);
            let mut verdict = None;
            while let Some(rec) = recs.get(*next) {
                let kind = rec.target & !TARGET_INDEX;
                if kind != TO_TREE {
                    verdict = Some(SOMETHING); // a blob of interest, or a tree read later
                    break;
                }
                let child = rec.target & TARGET_INDEX;
                if trees.recs(child).is_none() {
                    verdict = Some(SOMETHING);
                    break;
                }
                match self.contains[child as usize] {
                    SOMETHING => {
                        verdict = Some(SOMETHING);
                        break;
                    }
                    UNKNOWN => break,
                    _ => *next += 1, // nothing there, or a cycle (only in a forged pack)
                }
            }
            let tree = *tree;
            match verdict {
                Some(state) => {
                    self.contains[tree as usize] = state;
                    stack.pop();
                }
                None if *next < recs.len() => {
                    let child = recs[*next].target & TARGET_INDEX;
                    stack.push((child, 0));
                }
                None => {
                    self.contains[tree as usize] = NOTHING;
                    stack.pop();
                }
            }
        }
        self.contains[number as usize] == SOMETHING
    }

    /// A blob named `name` in directory `parent`: the first time it is seen, an entry to
    /// deliver; after that, one more place it is in.
    fn add_blob(&mut self, id: Id, parent: u32, name: String, commit: u32) {
        if let Some(&at) = self.blob_index.get(&id) {
            self.entries[at].also_in += 1;
            return;
        }
        let class = self.class_of(&id);
        let path = self.node(parent, name);
        self.blob_index.insert(id, self.entries.len());
        self.entries.push(BlobEntry {
            id,
            class,
            path,
            commit,
            also_in: 0,
        });
    }

    /// `--all-objects`: blobs of interest no commit holds, by id.
    fn add_unreachable_blobs(&mut self) {
        let mut unreached: Vec<Id> = self
            .blobs
            .interesting
            .keys()
            .filter(|id| !self.blob_index.contains_key(*id))
            .copied()
            .collect();
        unreached.sort_unstable();
        for id in unreached {
            let name = Oid::from_bytes(&id).map_or_else(|_| String::new(), |oid| oid.to_string());
            let path = format!("<unreachable blob {name}>");
            self.add_blob(id, ROOT, path, u32::MAX);
        }
    }
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
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
