//! Which of a set of secrets the trees of given commits hold, at any path: what "the parent
//! already had it" means for a change (a moved, renamed or copied secret is not new, nor is
//! one a merge brings from its other parent). The finding layer asks; this module reads the
//! object database (packs directly, anything else through libgit2) and knows nothing of
//! rules or findings.
//!
//! Asked about one path of a tree ([`SecretsInTrees::holds_at`]: where an edit or a move most
//! likely left a secret), it reads that one blob. Asked about a few trees (a pull request's
//! parents), it reads each tree and blob below them once through libgit2. Asked about trees all over a history ([`SecretsInTrees::whole_history`]),
//! it searches every packed blob once for every secret and reads every packed tree once, in
//! pack order on every core, keeping only each tree's subtrees and the secrets its own blobs
//! hold: reading a long history's trees one at a time through libgit2 took most of a history
//! scan's time.

use git2::{ObjectType, Oid, Repository};
use rustc_hash::{FxHashMap, FxHashSet};

use super::history::enumerate::{
    families, for_each_in_families, loose_objects, open_packs, read_numbered_trees, release_pages,
    IdFilter, IdIndex,
};
use super::history::lists::{cut_after_tree_number, Cursor, ListSpan, Numbered, SharedLists};
use super::needles::Needles;
use super::pack::{Id, Kind, Pack, ID_LEN};
use super::Error;

/// Which secrets a set of trees hold (see the module documentation).
pub struct SecretsInTrees<'r> {
    repo: &'r Repository,
    searcher: Needles,
    secrets: usize,
    /// Per tree or blob read through libgit2: the secrets below it, as a bit set.
    held: FxHashMap<Oid, Vec<u64>>,
    /// The packs, searched and read up front (see [`SecretsInTrees::whole_history`]).
    packed: Option<Packed>,
    /// Per tree: the paths [`SecretsInTrees::holds_at`] was asked about, and the blob at each.
    paths_asked: FxHashMap<Oid, BlobsAtPaths>,
}

/// Paths in a tree, and the blob at each (if there is one).
type BlobsAtPaths = Vec<(Box<str>, Option<Oid>)>;

/// Largest blob the up-front search inflates; a larger one is read through libgit2 if asked.
const SEARCH_LIMIT: u64 = 256 << 20;
/// Largest tree the up-front pass reads; a larger one is read through libgit2 if asked.
const TREE_LIMIT: u64 = 64 << 20;

/// What reading every packed object found.
struct Packed {
    /// The blobs holding a secret, and which.
    holding: FxHashMap<Id, Vec<u64>>,
    holding_filter: IdFilter,
    /// Blobs the packs could not give, and loose ones: read through libgit2 when met.
    elsewhere: FxHashSet<Id>,
    elsewhere_filter: IdFilter,
    /// Packed trees by id.
    numbers: IdIndex,
    /// Per tree: the shard and range of its subtrees in the shard's `subtrees`, or
    /// [`UNREAD`] (read through libgit2 when met).
    spans: Vec<(u32, ListSpan)>,
    shards: Vec<TreeShard>,
    /// Per tree: whether its secrets are known yet, and the non-empty ones.
    done: Vec<bool>,
    bits: FxHashMap<u32, Vec<u64>>,
    /// The packed trees the pass could not read (malformed or too large), by number.
    unread: FxHashMap<u32, Id>,
}

const UNREAD: (u32, ListSpan) = (u32::MAX, ListSpan::EMPTY);

/// A subtree entry: a packed tree's number, or (with this bit) an index into `others`.
const OTHER: u32 = 1 << 31;

/// One thread's share of the tree pass.
#[derive(Default)]
struct TreeShard {
    spans: Vec<(u32, ListSpan)>,
    subtrees: SharedLists<u32>,
    /// The subtrees of the tree being read.
    pending: Vec<u32>,
    /// The secrets a tree's own blobs hold, when any.
    own: Vec<(u32, Vec<u64>)>,
    /// Children to read through libgit2: a tree not in the packs, or a blob from elsewhere;
    /// each once, so that versions of a tree share their runs of subtrees.
    others: Numbered<(Id, bool)>,
}

impl TreeShard {
    /// The subtree entry for a child read through libgit2.
    fn other(&mut self, id: &[u8], is_tree: bool) -> u32 {
        OTHER | self.others.number((id_from(id), is_tree))
    }
}

impl<'r> SecretsInTrees<'r> {
    /// A searcher for `secrets` (each non-empty) in the trees of `repo`.
    pub fn new(repo: &'r Repository, secrets: &[&[u8]]) -> Result<Self, Error> {
        let searcher = Needles::new(secrets).map_err(|err| Error::Git {
            context: "cannot search for the found secrets".to_string(),
            message: err.to_string(),
        })?;
        Ok(SecretsInTrees {
            repo,
            searcher,
            secrets: secrets.len(),
            held: FxHashMap::default(),
            packed: None,
            paths_asked: FxHashMap::default(),
        })
    }

    /// Prepares for questions about trees all over the history: every packed blob is
    /// searched once for the secrets and every packed tree read once, in pack order on
    /// `threads` threads, instead of each tree and blob asked about read through libgit2.
    pub fn whole_history(mut self, threads: usize) -> Self {
        let objects = self.repo.path().join("objects");
        let packs = open_packs(&objects);
        if packs.is_empty() {
            return self;
        }
        let threads = threads.max(1);
        let (holding, unreadable) = self.search_blobs(&packs, threads);
        release_pages(&packs);
        let mut holding_filter = IdFilter::new();
        holding.keys().for_each(|id| holding_filter.insert(id));
        let elsewhere: FxHashSet<Id> = unreadable
            .into_iter()
            .chain(loose_objects(self.repo, &objects, &packs).blobs)
            .collect();
        let mut elsewhere_filter = IdFilter::new();
        elsewhere.iter().for_each(|id| elsewhere_filter.insert(id));
        let mut packed = Packed {
            holding,
            holding_filter,
            elsewhere,
            elsewhere_filter,
            numbers: IdIndex::default(),
            spans: Vec::new(),
            shards: Vec::new(),
            done: Vec::new(),
            bits: FxHashMap::default(),
            unread: FxHashMap::default(),
        };
        packed.read_trees(&packs, threads, self.secrets.div_ceil(64));
        release_pages(&packs);
        self.packed = Some(packed);
        self
    }

    /// Searches every packed blob for the secrets: the blobs holding some, and the blobs the
    /// packs could not give.
    fn search_blobs(&self, packs: &[Pack], threads: usize) -> (FxHashMap<Id, Vec<u64>>, Vec<Id>) {
        type Found = (Vec<(Id, Vec<u64>)>, Vec<Id>);
        let (searcher, words) = (&self.searcher, self.secrets.div_ceil(64));
        let found: Vec<Found> = for_each_in_families(
            packs,
            &families(packs, Kind::Blob),
            SEARCH_LIMIT,
            threads,
            |(holding, unreadable): &mut Found, pack, at, content| {
                let Ok(bytes) = content else {
                    unreadable.push(packs[pack].id(at));
                    return;
                };
                let Some(text) = super::text_of(bytes) else {
                    return;
                };
                let mut bits = vec![0u64; words];
                if searcher.search(text.as_ref(), &mut bits) {
                    holding.push((packs[pack].id(at), bits));
                }
            },
        );
        let mut all = (FxHashMap::default(), Vec::new());
        for (holding, unreadable) in found {
            all.0.extend(holding);
            all.1.extend(unreadable);
        }
        all
    }

    /// Whether any blob below the tree `tree` holds secret number `secret`. An object that
    /// cannot be read holds nothing (the finding is then kept: report rather than miss).
    pub fn holds(&mut self, tree: Oid, secret: usize) -> bool {
        has_bit(&self.tree(tree), secret)
    }

    /// Whether the blob at `path` in the tree `tree` holds secret number `secret`: one blob
    /// read, where [`SecretsInTrees::holds`] may read the whole tree. A yes means the tree
    /// holds it; a no does not mean it does not (another of its blobs may).
    pub fn holds_at(&mut self, tree: Oid, path: &str, secret: usize) -> bool {
        let Some(blob) = self.blob_at(tree, path) else {
            return false;
        };
        if let Some(bits) = self.held.get(&blob) {
            return has_bit(bits, secret);
        }
        let bits = self.blob(blob);
        let holds = has_bit(&bits, secret);
        self.held.insert(blob, bits);
        holds
    }

    /// The blob at `path` in the tree `tree`, if there is one. Remembered: a dense history asks
    /// about the same file for each of the dozens of secrets it holds.
    fn blob_at(&mut self, tree: Oid, path: &str) -> Option<Oid> {
        let known = self.paths_asked.entry(tree).or_default();
        if let Some((_, blob)) = known.iter().find(|(known, _)| **known == *path) {
            return *blob;
        }
        let blob = (self.repo.find_tree(tree).ok())
            .and_then(|tree| tree.get_path(std::path::Path::new(path)).ok())
            .filter(|entry| entry.kind() == Some(ObjectType::Blob))
            .map(|entry| entry.id());
        known.push((path.into(), blob));
        blob
    }

    fn empty(&self) -> Vec<u64> {
        vec![0; self.secrets.div_ceil(64)]
    }

    /// The secrets below the tree `root`.
    fn tree(&mut self, root: Oid) -> Vec<u64> {
        let number = self.packed.as_ref().and_then(|packed| {
            let id: Id = root.as_bytes().try_into().ok()?;
            let number = packed.numbers.get(&id)?;
            (packed.spans[number as usize] != UNREAD).then_some(number)
        });
        match number {
            Some(number) => self.packed_tree(number),
            None => self.read_tree(root).to_vec(),
        }
    }

    /// The secrets below packed tree `root`, from what the tree pass kept, depth first without
    /// recursion (a hostile repository may nest trees deeper than any stack).
    fn packed_tree(&mut self, root: u32) -> Vec<u64> {
        if let Some(known) = self.known(root) {
            return known.map_or_else(|| self.empty(), <[u64]>::to_vec);
        }
        let mut stack: Vec<(u32, Cursor, Vec<u64>)> =
            vec![(root, Cursor::default(), self.own_bits(root))];
        loop {
            let Some((tree, next, bits)) = stack.last_mut() else {
                return self.empty(); // not reached: the root's frame returns below
            };
            let Some(child) = self.packed_child(*tree, next) else {
                let (tree, _, bits) = stack.pop().expect("the stack has this frame");
                let Some((_, _, parent_bits)) = stack.last_mut() else {
                    self.finish(tree, &bits);
                    return bits;
                };
                or_into(parent_bits, &bits);
                self.finish(tree, &bits);
                continue;
            };
            if child & OTHER != 0 {
                let below = self.other(*tree, child & !OTHER);
                or_into(bits, &below);
            } else if let Some(id) = self.unread_tree(child) {
                if let Ok(oid) = Oid::from_bytes(&id) {
                    or_into(bits, &self.tree(oid));
                }
            } else if let Some(known) = self.known(child) {
                if let Some(below) = known {
                    or_into(bits, below);
                }
            } else if !stack.iter().any(|(open, _, _)| *open == child) {
                // (A tree already open below is a forged cycle: nothing new below.)
                let own = self.own_bits(child);
                stack.push((child, Cursor::default(), own));
            }
        }
    }

    /// The id of packed tree `tree` if the pass could not read it (libgit2 reads it then).
    fn unread_tree(&self, tree: u32) -> Option<Id> {
        let packed = self.packed.as_ref()?;
        if packed.spans[tree as usize] != UNREAD {
            return None;
        }
        packed.unread.get(&tree).copied()
    }

    /// The secrets below packed tree `tree` once known: `Some(None)` for none.
    fn known(&self, tree: u32) -> Option<Option<&[u64]>> {
        let packed = self.packed.as_ref()?;
        packed.done[tree as usize].then(|| packed.bits.get(&tree).map(Vec::as_slice))
    }

    fn finish(&mut self, tree: u32, bits: &[u64]) {
        if let Some(packed) = &mut self.packed {
            packed.done[tree as usize] = true;
            if bits.iter().any(|&word| word != 0) {
                packed.bits.insert(tree, bits.to_vec());
            }
        }
    }

    /// The secrets packed tree `tree`'s own blobs hold.
    fn own_bits(&self, tree: u32) -> Vec<u64> {
        let mut bits = self.empty();
        if let Some(packed) = &self.packed {
            let (shard, _) = packed.spans[tree as usize];
            if let Some(shard) = packed.shards.get(shard as usize) {
                if let Ok(at) = shard.own.binary_search_by_key(&tree, |(number, _)| *number) {
                    or_into(&mut bits, &shard.own[at].1);
                }
            }
        }
        bits
    }

    /// The next subtree of packed tree `tree` from `cursor`, which it moves past it.
    fn packed_child(&self, tree: u32, cursor: &mut Cursor) -> Option<u32> {
        let packed = self.packed.as_ref()?;
        let (shard, span) = packed.spans[tree as usize];
        packed
            .shards
            .get(shard as usize)?
            .subtrees
            .next(span, cursor)
    }

    /// The secrets below a child of packed tree `tree` that the pass could not read.
    fn other(&mut self, tree: u32, index: u32) -> Vec<u64> {
        let Some((id, is_tree)) = self.packed.as_ref().and_then(|packed| {
            let (shard, _) = packed.spans[tree as usize];
            packed
                .shards
                .get(shard as usize)?
                .others
                .values()
                .get(index as usize)
                .copied()
        }) else {
            return self.empty();
        };
        let Ok(oid) = Oid::from_bytes(&id) else {
            return self.empty();
        };
        if is_tree {
            self.tree(oid)
        } else {
            self.blob(oid)
        }
    }

    /// The secrets below `root`, read through libgit2 depth first without recursion.
    fn read_tree(&mut self, root: Oid) -> &[u64] {
        let mut stack: Vec<OpenTree> = Vec::new();
        if !self.held.contains_key(&root) {
            stack.push(self.open(root));
        }
        while let Some(top) = stack.last_mut() {
            if let Some(&(child, is_tree)) = top.children.get(top.next) {
                top.next += 1;
                if let Some(bits) = self.held.get(&child) {
                    or_into(&mut top.bits, bits);
                } else if is_tree {
                    if stack.iter().any(|open| open.id == child) {
                        continue; // a forged cycle: nothing new below
                    }
                    let open = self.open(child);
                    stack.push(open);
                } else {
                    let bits = self.blob(child);
                    or_into(&mut top.bits, &bits);
                    self.held.insert(child, bits);
                }
                continue;
            }
            let done = stack
                .pop()
                .expect("the loop runs while the stack is not empty");
            if let Some(parent) = stack.last_mut() {
                or_into(&mut parent.bits, &done.bits);
            }
            self.held.insert(done.id, done.bits);
        }
        self.held.get(&root).map_or(&[], Vec::as_slice)
    }

    fn open(&self, id: Oid) -> OpenTree {
        let children = match self.repo.find_tree(id) {
            Ok(tree) => tree
                .iter()
                .filter_map(|entry| match entry.kind() {
                    Some(ObjectType::Tree) => Some((entry.id(), true)),
                    Some(ObjectType::Blob) => Some((entry.id(), false)),
                    _ => None,
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        OpenTree {
            id,
            children,
            next: 0,
            bits: self.empty(),
        }
    }

    /// The secrets blob `id` holds: from the up-front search when it covered the blob, else
    /// read through libgit2.
    fn blob(&self, id: Oid) -> Vec<u64> {
        if let Some(packed) = &self.packed {
            let key: Id = id.as_bytes().try_into().unwrap_or([0; ID_LEN]);
            if !packed.elsewhere.contains(&key) {
                return packed
                    .holding
                    .get(&key)
                    .cloned()
                    .unwrap_or_else(|| self.empty());
            }
        }
        let mut bits = self.empty();
        if let Ok(blob) = self.repo.find_blob(id) {
            if let Some(text) = super::text_of(blob.content()) {
                self.searcher.search(text.as_ref(), &mut bits);
            }
        }
        bits
    }
}

impl Packed {
    /// Reads every packed tree once, on `threads` threads, keeping its subtrees and the
    /// secrets its own blobs hold (`words` words of bits).
    fn read_trees(&mut self, packs: &[Pack], threads: usize, words: usize) {
        let is_tree = |pack: &Pack, at: usize| pack.kind(at) == Kind::Tree;
        self.numbers = IdIndex::new(
            (packs.iter())
                .flat_map(|pack| {
                    (0..pack.len())
                        .filter(|&at| is_tree(pack, at))
                        .map(|at| pack.id(at))
                })
                .collect(),
        );
        // A tree in two packs has one number, and is read twice: either copy will do.
        let numbers_by_pack: Vec<Vec<u32>> = (packs.iter())
            .map(|pack| {
                (0..pack.len())
                    .map(|at| {
                        (is_tree(pack, at)
                            .then(|| self.numbers.get(&pack.id(at)))
                            .flatten())
                        .unwrap_or(u32::MAX)
                    })
                    .collect()
            })
            .collect();
        // Numbering read every tree's id from the indexes.
        release_pages(packs);
        let families = families(packs, Kind::Tree);
        let this = &*self;
        let mut shards = read_numbered_trees(
            packs,
            &families,
            &numbers_by_pack,
            TREE_LIMIT,
            threads,
            |shard: &mut TreeShard, number, data| this.keep_tree(shard, number, data, words),
        );
        self.spans = vec![UNREAD; self.numbers.len()];
        self.done = vec![false; self.numbers.len()];
        for (index, shard) in shards.iter_mut().enumerate() {
            for &(number, span) in &shard.spans {
                self.spans[number as usize] = (index as u32, span);
            }
            shard.spans = Vec::new();
            shard.pending = Vec::new();
            shard.others.finish();
            shard.subtrees.finish();
            shard.own.sort_unstable_by_key(|(number, _)| *number);
        }
        self.shards = shards;
        self.unread = (0..self.numbers.len() as u32)
            .filter(|&number| self.spans[number as usize] == UNREAD)
            .filter_map(|number| Some((number, *self.numbers.id(number)?)))
            .collect();
    }

    /// Keeps tree `number`'s subtrees and the secrets its own blobs hold; a malformed tree is
    /// left unread (libgit2 reads it when asked, and finds nothing it cannot parse).
    fn keep_tree(&self, shard: &mut TreeShard, number: u32, data: &[u8], words: usize) {
        shard.pending.clear();
        let mut own: Option<Vec<u64>> = None;
        let mut rest = data;
        while !rest.is_empty() {
            let Some(entry) = super::history::parse_tree_entry(rest, ID_LEN) else {
                return;
            };
            rest = &rest[entry.len..];
            match entry.mode {
                0o040000 => match self.numbers.get(entry.id) {
                    Some(subtree) => shard.pending.push(subtree),
                    None => {
                        let other = shard.other(entry.id, true);
                        shard.pending.push(other);
                    }
                },
                0o160000 => {}
                _ => {
                    if self.holding_filter.may_contain(entry.id) {
                        if let Some(bits) = self.holding.get(entry.id) {
                            or_into(own.get_or_insert_with(|| vec![0; words]), bits);
                        }
                    }
                    if self.elsewhere_filter.may_contain(entry.id)
                        && self.elsewhere.contains(entry.id)
                    {
                        let other = shard.other(entry.id, false);
                        shard.pending.push(other);
                    }
                }
            }
        }
        let span = shard.subtrees.add(&shard.pending, cut_after_tree_number);
        shard.spans.push((number, span));
        if let Some(bits) = own {
            shard.own.push((number, bits));
        }
    }
}

/// An id from raw bytes (always `ID_LEN` of them in a tree entry).
fn id_from(bytes: &[u8]) -> Id {
    let mut id = [0u8; ID_LEN];
    let len = bytes.len().min(ID_LEN);
    id[..len].copy_from_slice(&bytes[..len]);
    id
}

/// A tree being read: its subtrees and blobs, the next to read, and the secrets found so far.
struct OpenTree {
    id: Oid,
    children: Vec<(Oid, bool)>,
    next: usize,
    bits: Vec<u64>,
}

fn has_bit(bits: &[u64], number: usize) -> bool {
    bits.get(number / 64)
        .is_some_and(|word| word & (1 << (number % 64)) != 0)
}

fn or_into(into: &mut [u64], bits: &[u64]) {
    for (word, more) in into.iter_mut().zip(bits) {
        *word |= more;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let status = Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .status()
            .unwrap();
        assert!(status.success(), "git {args:?}");
    }

    /// Every secret under every tree of a repository, read the obvious way: each blob of
    /// each tree, recursively.
    fn obvious(repo: &Repository, tree: Oid, secrets: &[&[u8]], into: &mut Vec<bool>) {
        let tree = repo.find_tree(tree).unwrap();
        for entry in tree.iter() {
            match entry.kind() {
                Some(ObjectType::Tree) => obvious(repo, entry.id(), secrets, into),
                Some(ObjectType::Blob) => {
                    let blob = repo.find_blob(entry.id()).unwrap();
                    for (held, secret) in into.iter_mut().zip(secrets) {
                        *held |= blob.content().windows(secret.len()).any(|w| w == *secret);
                    }
                }
                _ => {}
            }
        }
    }

    /// The oracle: for every commit of a history whose secrets move between files and
    /// directories, come and go, half packed and half loose, both ways of asking (through
    /// libgit2, and from the packs read up front) agree with reading every blob.
    #[test]
    fn packed_and_libgit2_answers_agree_with_reading_every_blob() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        git(root, &["init", "-q"]);
        let secrets: Vec<Vec<u8>> = (0..5)
            .map(|i| format!("s3cr3t-{i}-{}", "Qx7".repeat(i * 3 + 1)).into_bytes())
            .collect();
        let mut next = crate::test_rng(0x2545_F491_4F6C_DD1D);
        let places = ["a.txt", "b/c.txt", "b/d/e.txt", "f/g.txt", "b/d/h.txt"];
        for commit in 0..40 {
            for place in places {
                let path = root.join(place);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                let mut text = format!("commit {commit} {place}\n").into_bytes();
                if next().is_multiple_of(3) {
                    let secret = &secrets[(next() % 5) as usize];
                    text.extend_from_slice(b"key = ");
                    text.extend_from_slice(secret);
                    text.push(b'\n');
                }
                if !next().is_multiple_of(4) {
                    std::fs::write(&path, text).unwrap();
                } else if path.exists() {
                    std::fs::remove_file(&path).unwrap();
                }
            }
            git(root, &["add", "-A"]);
            git(root, &["commit", "-q", "--allow-empty", "-m", "c"]);
            if commit == 25 {
                git(root, &["repack", "-a", "-d", "-q"]);
            }
        }
        let repo = Repository::open(root).unwrap();
        let secret_refs: Vec<&[u8]> = secrets.iter().map(Vec::as_slice).collect();
        let mut walk = repo.revwalk().unwrap();
        walk.push_head().unwrap();
        let trees: Vec<Oid> = walk
            .map(|id| repo.find_commit(id.unwrap()).unwrap().tree_id())
            .collect();
        let mut through_libgit2 = SecretsInTrees::new(&repo, &secret_refs).unwrap();
        let mut up_front = SecretsInTrees::new(&repo, &secret_refs)
            .unwrap()
            .whole_history(2);
        assert!(up_front.packed.is_some(), "the repository has a pack");
        let mut held_somewhere = 0;
        for &tree in &trees {
            let mut expected = vec![false; secrets.len()];
            obvious(&repo, tree, &secret_refs, &mut expected);
            for (secret, &expected) in expected.iter().enumerate() {
                assert_eq!(
                    through_libgit2.holds(tree, secret),
                    expected,
                    "{tree} {secret}"
                );
                assert_eq!(up_front.holds(tree, secret), expected, "{tree} {secret}");
                held_somewhere += usize::from(expected);
            }
        }
        assert!(held_somewhere > 20 && held_somewhere < trees.len() * secrets.len());

        // Asked about one path: yes exactly when the blob there holds the secret, both before
        // and after the packs are read up front.
        let mut yes = 0;
        for &tree in &trees {
            for place in places {
                let blob = (repo
                    .find_tree(tree)
                    .unwrap()
                    .get_path(Path::new(place))
                    .ok())
                .map(|entry| repo.find_blob(entry.id()).unwrap().content().to_vec());
                for (number, secret) in secret_refs.iter().enumerate() {
                    let expected = blob.as_ref().is_some_and(|blob| {
                        blob.windows(secret.len()).any(|window| window == *secret)
                    });
                    assert_eq!(through_libgit2.holds_at(tree, place, number), expected);
                    assert_eq!(up_front.holds_at(tree, place, number), expected);
                    yes += usize::from(expected);
                }
            }
        }
        assert!(yes > 20, "{yes}");
        assert!(!through_libgit2.holds_at(trees[0], "no/such/file", 0));
        assert!(
            !through_libgit2.holds_at(trees[0], "b", 0),
            "a directory holds no blob"
        );
    }
}
