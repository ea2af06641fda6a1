//! Pass 3, the walk: commits oldest first, each distinct tree entered once, only where a
//! blob of interest lies below, so that each blob is first seen in the commit that
//! introduced it, at its path there.

use super::*;

/// `contains` states of a packed tree: whether anything below it is of interest.
pub(super) const UNKNOWN: u8 = 0;
pub(super) const COMPUTING: u8 = 1;
pub(super) const NOTHING: u8 = 2;
pub(super) const SOMETHING: u8 = 3;

/// Pass 3: commits oldest first, each distinct tree entered once, only where a blob of
/// interest lies below.
pub(super) struct Walk<'a> {
    pub(super) source: &'a HistorySource,
    pub(super) repo: &'a Repository,
    pub(super) blobs: &'a Blobs,
    pub(super) trees: &'a Trees,
    pub(super) file_names: &'a dyn NameFilter,
    pub(super) contains: Vec<u8>,
    pub(super) entered: Vec<bool>,
    pub(super) entered_foreign: FxHashSet<Id>,
    pub(super) blob_index: FxHashMap<Id, usize>,
    pub(super) entries: Vec<BlobEntry>,
    /// Every directory entered and every blob entry's file, as a name and its parent: a path
    /// costs its own name only, and is spelled out once, when its blob is delivered.
    pub(super) nodes: Vec<PathNode>,
    pub(super) problems: Vec<(String, String)>,
}

/// A name in a path, and its directory's node (or [`ROOT`]).
#[derive(Debug)]
pub(super) struct PathNode {
    pub(super) parent: u32,
    pub(super) name: Box<str>,
}

/// The parent of a top-level name.
pub(super) const ROOT: u32 = u32::MAX;

/// The path of `name` in directory `parent` (`name` empty: of `parent` itself).
pub(super) fn path_of(nodes: &[PathNode], parent: u32, name: &str) -> String {
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
pub(super) enum Step {
    /// A tree the tree pass read, by number.
    Packed(u32, String),
    /// A tree by id (read from the packs if they hold it, else through libgit2).
    Tree(Id, String),
    Blob(Id, String),
}

/// A tree being walked, and its node in the path tree (deep trees with long names cost each
/// frame its own name only, not a copy of the path leading to it: issue 15).
pub(super) struct Frame {
    pub(super) node: u32,
    pub(super) tree: Entered,
}

/// What entering a tree gives.
pub(super) enum Entered {
    /// A tree the tree pass read, and the next of its entries.
    Packed { number: u32, next: Cursor },
    /// A tree read through libgit2: its entries of interest.
    Read(std::vec::IntoIter<Step>),
}

impl Walk<'_> {
    pub(super) fn walk_tree(&mut self, root: Id, commit: u32) {
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

    pub(super) fn node(&mut self, parent: u32, name: String) -> u32 {
        self.nodes.push(PathNode {
            parent,
            name: name.into_boxed_str(),
        });
        self.nodes.len() as u32 - 1
    }

    /// The next entry of packed tree `number` worth a step: subtrees not entered yet, foreign
    /// trees, and blobs of interest.
    pub(super) fn next_packed_step(&mut self, number: u32, next: &mut Cursor) -> Option<Step> {
        let trees = self.trees;
        while let Some(rec) = trees.next_rec(number, next) {
            let index = rec.target & TARGET_INDEX;
            let name = || String::from_utf8_lossy(&trees.names[rec.name as usize]).into_owned();
            match rec.target & !TARGET_INDEX {
                TO_TREE => {
                    let readable = trees.is_read(index);
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
    pub(super) fn enter_id(&mut self, id: Id, parent: u32, name: &str) -> Option<Entered> {
        if let Some(number) = self.trees.numbers.get(&id) {
            if self.trees.is_read(number) {
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
    pub(super) fn enter_packed(&mut self, number: u32, parent: u32, name: &str) -> Option<Entered> {
        if !self.trees.is_read(number) {
            let &id = self.trees.numbers.id(number)?;
            return self.enter_id(id, parent, name);
        }
        if std::mem::replace(&mut self.entered[number as usize], true) || !self.contains(number) {
            return None;
        }
        Some(Entered::Packed {
            number,
            next: Cursor::default(),
        })
    }

    /// Reads a tree the packs did not give (loose, elsewhere, corrupt) through libgit2.
    pub(super) fn read_foreign(
        &mut self,
        id: Id,
        parent: u32,
        tree_name: &str,
    ) -> Option<Vec<Step>> {
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
    pub(super) fn class_of(&self, id: &[u8]) -> BlobClass {
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
    pub(super) fn contains(&mut self, number: u32) -> bool {
        let trees = self.trees;
        let mut stack: Vec<(u32, Cursor)> = vec![(number, Cursor::default())];
        while let Some((tree, next)) = stack.last_mut() {
            let state = &mut self.contains[*tree as usize];
            if *state == NOTHING || *state == SOMETHING {
                stack.pop();
                continue;
            }
            *state = COMPUTING;
            let mut verdict = None;
            let mut unknown_child = None;
            loop {
                let before = *next;
                let Some(rec) = trees.next_rec(*tree, next) else {
                    break;
                };
                let kind = rec.target & !TARGET_INDEX;
                if kind != TO_TREE {
                    verdict = Some(SOMETHING); // a blob of interest, or a tree read later
                    break;
                }
                let child = rec.target & TARGET_INDEX;
                if !trees.is_read(child) {
                    verdict = Some(SOMETHING);
                    break;
                }
                match self.contains[child as usize] {
                    SOMETHING => {
                        verdict = Some(SOMETHING);
                        break;
                    }
                    UNKNOWN => {
                        // Asked again once the child is known.
                        *next = before;
                        unknown_child = Some(child);
                        break;
                    }
                    _ => {} // nothing there, or a cycle (only in a forged pack)
                }
            }
            let tree = *tree;
            match (verdict, unknown_child) {
                (Some(state), _) => {
                    self.contains[tree as usize] = state;
                    stack.pop();
                }
                (None, Some(child)) => stack.push((child, Cursor::default())),
                (None, None) => {
                    self.contains[tree as usize] = NOTHING;
                    stack.pop();
                }
            }
        }
        self.contains[number as usize] == SOMETHING
    }

    /// A blob named `name` in directory `parent`: the first time it is seen, an entry to
    /// deliver; after that, one more place it is in.
    pub(super) fn add_blob(&mut self, id: Id, parent: u32, name: String, commit: u32) {
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
    pub(super) fn add_unreachable_blobs(&mut self) {
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

pub(super) fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::{HistoryOptions, HistorySource};
    use super::{join, path_of, PathNode, ROOT};
    use crate::source::{Chunk, Provenance, SkipReason, Source, Visitor};
    use std::sync::Mutex;

    /// Keeps the blobs that hold `tok_`; records each delivery as (content, path, message).
    struct Recorder<'a>(&'a Mutex<Vec<(String, String, String)>>);

    impl Visitor for Recorder<'_> {
        fn chunk(&mut self, chunk: Chunk<'_>) {
            let text = String::from_utf8_lossy(chunk.bytes).into_owned();
            if text.contains("tok_") {
                let message = chunk.provenance.commit.as_ref().map(|c| c.message.clone());
                let path = chunk.provenance.path.clone();
                self.0
                    .lock()
                    .unwrap()
                    .push((text, path, message.unwrap_or_default()));
            }
        }
        fn skipped(&mut self, _: &Provenance, _: SkipReason) {}
        fn error(&mut self, path: &str, message: &str) {
            panic!("{path}: {message}");
        }
        fn prescreen(&mut self, bytes: &[u8]) -> bool {
            bytes.windows(4).any(|w| w == b"tok_")
        }
    }

    /// A history where one secret is renamed and another deleted and added back elsewhere,
    /// every commit in the same second; packed or left as loose objects.
    fn history(packed: bool) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let when = git2::Time::new(1_700_000_000, 0);
        let sig = git2::Signature::new("t", "t@example.com", &when).unwrap();
        let steps: [(&str, &[(&str, &str)]); 4] = [
            ("first", &[("a.txt", "tok_one\n"), ("b.txt", "plain\n")]),
            (
                "rename",
                &[
                    ("dir/a2.txt", "tok_one\n"),
                    ("b.txt", "plain\n"),
                    ("c.txt", "tok_two\n"),
                ],
            ),
            (
                "delete",
                &[("dir/a2.txt", "tok_one\n"), ("b.txt", "plain 2\n")],
            ),
            (
                "re-add",
                &[
                    ("dir/a2.txt", "tok_one\n"),
                    ("b.txt", "plain 2\n"),
                    ("d.txt", "tok_two\n"),
                ],
            ),
        ];
        let mut parent: Option<git2::Oid> = None;
        for (message, files) in steps {
            let mut index = git2::Index::new().unwrap();
            for (path, text) in files {
                let blob = repo.blob(text.as_bytes()).unwrap();
                let mut entry = git2::IndexEntry {
                    ctime: git2::IndexTime::new(0, 0),
                    mtime: git2::IndexTime::new(0, 0),
                    dev: 0,
                    ino: 0,
                    mode: 0o100644,
                    uid: 0,
                    gid: 0,
                    file_size: text.len() as u32,
                    id: blob,
                    flags: 0,
                    flags_extended: 0,
                    path: path.as_bytes().to_vec(),
                };
                entry.flags = (path.len() as u16) & 0xfff;
                index.add(&entry).unwrap();
            }
            let tree = repo.find_tree(index.write_tree_to(&repo).unwrap()).unwrap();
            let parents: Vec<git2::Commit> = parent
                .iter()
                .map(|id| repo.find_commit(*id).unwrap())
                .collect();
            let parents: Vec<&git2::Commit> = parents.iter().collect();
            let id = repo
                .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
                .unwrap();
            parent = Some(id);
        }
        if packed {
            let mut builder = repo.packbuilder().unwrap();
            builder.insert_commit(parent.unwrap()).unwrap();
            let mut walk = repo.revwalk().unwrap();
            walk.push_head().unwrap();
            builder.insert_walk(&mut walk).unwrap();
            let objects = dir.path().join(".git/objects");
            builder.write(&objects.join("pack"), 0).unwrap();
            // Only the pack holds the objects now.
            for entry in std::fs::read_dir(&objects).unwrap().flatten() {
                if entry.file_name().len() == 2 {
                    std::fs::remove_dir_all(entry.path()).unwrap();
                }
            }
        }
        dir
    }

    #[test]
    fn each_secret_is_delivered_once_at_the_commit_and_path_that_introduced_it() {
        for packed in [false, true] {
            let dir = history(packed);
            let source = HistorySource::open(&HistoryOptions {
                repo: dir.path().to_path_buf(),
                all_objects: false,
                max_file_size: 1 << 20,
                branches: Vec::new(),
                archives: None,
            })
            .unwrap();
            assert_eq!(source.counts().commits, 4);
            let seen = Mutex::new(Vec::new());
            source.run(2, &|| Box::new(Recorder(&seen)));
            let mut seen = seen.into_inner().unwrap();
            seen.sort();
            assert_eq!(
                seen,
                [
                    ("tok_one\n".into(), "a.txt".into(), "first".into()),
                    ("tok_two\n".into(), "c.txt".into(), "rename".into()),
                ],
                "packed: {packed}"
            );
        }
    }

    #[test]
    fn paths_are_spelled_from_their_nodes() {
        let nodes = [
            PathNode {
                parent: ROOT,
                name: "src".into(),
            },
            PathNode {
                parent: 0,
                name: "lib".into(),
            },
        ];
        assert_eq!(path_of(&nodes, 1, "a.rs"), "src/lib/a.rs");
        assert_eq!(path_of(&nodes, 1, ""), "src/lib");
        assert_eq!(path_of(&nodes, ROOT, "top.txt"), "top.txt");
        assert_eq!(join("", "a"), "a");
        assert_eq!(join("d", "a"), "d/a");
    }
}
