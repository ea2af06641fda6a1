//! Pass 2, trees: every packed tree read and kept in a compact form (its subdirectories and
//! the entries of interest), and the raw tree entry parser.
//!
//! A long history has millions of trees and tens of millions of subdirectory entries, almost
//! all leading to nothing of interest; keeping them all with their names cost most of a
//! history scan's memory. So the trees are read twice: first keeping only each tree's
//! subtrees (by number), to learn which trees lead to something of interest; then keeping
//! names and entries only for those, and only the entries that lead somewhere.

use super::*;

/// Bytes a tree may have for the tree pass to read it from a pack (larger ones go through
/// libgit2).
pub(super) const TREE_LIMIT: u64 = 64 << 20;

/// A tree entry kept for the walk. `target` says what it points at in its top two bits:
pub(super) const TO_TREE: u32 = 0;
pub(super) const TO_BLOB: u32 = 1 << 30;
pub(super) const TO_FOREIGN_TREE: u32 = 2 << 30;
pub(super) const TARGET_INDEX: u32 = (1 << 30) - 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Rec {
    pub(super) target: u32,
    pub(super) name: u32,
}

/// Trees read from the packs, in compact form: each tree's subdirectories and the blobs of
/// interest it holds, in tree order.
#[derive(Default)]
pub(super) struct Trees {
    /// Every packed tree, numbered.
    pub(super) numbers: IdIndex,
    /// Per tree: its entries in `recs`, or `None` if it was not read.
    pub(super) spans: Vec<Option<ListSpan>>,
    pub(super) recs: SharedLists<Rec>,
    pub(super) names: Vec<Box<[u8]>>,
    /// Targets of `TO_BLOB` and `TO_FOREIGN_TREE` entries.
    pub(super) ids: Vec<Id>,
}

impl Trees {
    /// Whether the tree pass read tree `tree` (else the walk reads it through libgit2).
    pub(super) fn is_read(&self, tree: u32) -> bool {
        self.spans[tree as usize].is_some()
    }

    /// The next of tree `tree`'s entries from `cursor`, which it moves past it.
    pub(super) fn next_rec(&self, tree: u32, cursor: &mut Cursor) -> Option<Rec> {
        self.recs.next(self.spans[tree as usize]?, cursor)
    }
}

/// Where the lists of entries are cut into runs to share (see [`SharedLists`]).
fn cut_after_rec(rec: Rec) -> bool {
    cut_after_tree_number(rec.target & TARGET_INDEX)
}

/// One thread's share of the tree pass.
#[derive(Default)]
pub(super) struct TreeShard {
    pub(super) spans: Vec<(u32, ListSpan)>,
    pub(super) recs: SharedLists<Rec>,
    pub(super) names: Vec<Box<[u8]>>,
    pub(super) name_ids: FxHashMap<Box<[u8]>, u32>,
    /// Targets of entries, each once (so that versions of a tree share their entries' runs).
    pub(super) ids: Numbered<Id>,
    /// The tree being read: its subtrees (first reading) or entries (second).
    pending_edges: Vec<u32>,
    pending_recs: Vec<Rec>,
    pub(super) submodules: usize,
    /// What the file rules said of each entry name seen: a history holds a few thousand
    /// distinct names in millions of tree entries, and each answer costs regex searches.
    flagged_names: FxHashMap<Box<[u8]>, bool>,
    /// First reading: the packed subtrees of trees `spans` lists.
    pub(super) edges: SharedLists<u32>,
    /// First reading: trees that hold something of interest themselves.
    pub(super) of_interest: Vec<u32>,
}

impl TreeShard {
    pub(super) fn name(&mut self, name: &[u8]) -> u32 {
        if let Some(&id) = self.name_ids.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.name_ids.insert(name.into(), id);
        id
    }

    /// Whether the file rules may flag a file named `name`, asked once per distinct name.
    fn flagged_name(&mut self, name: &[u8], file_names: &dyn NameFilter) -> bool {
        if let Some(&flagged) = self.flagged_names.get(name) {
            return flagged;
        }
        let flagged = file_names.may_match_name(name);
        self.flagged_names.insert(name.into(), flagged);
        flagged
    }

    /// Whether a blob entry is of interest: a blob the blob pass kept, one it never saw, or
    /// one whose name a file rule may flag.
    fn blob_of_interest(
        &mut self,
        entry: &TreeEntry<'_>,
        blobs: &Blobs,
        names: &dyn NameFilter,
    ) -> bool {
        (blobs.interesting_filter.may_contain(entry.id) && blobs.interesting.contains_key(entry.id))
            || !blobs.known_filter.may_contain(entry.id)
            || self.flagged_name(entry.name, names)
    }

    /// First reading: keeps tree `number`'s packed subtrees, or notes that it holds something
    /// of interest itself (a blob of interest, a subtree from elsewhere, a malformed entry).
    pub(super) fn add_edges(
        &mut self,
        number: u32,
        data: &[u8],
        numbers: &IdIndex,
        blobs: &Blobs,
        file_names: &dyn NameFilter,
    ) {
        self.pending_edges.clear();
        let mut of_interest = false;
        let mut rest = data;
        while !rest.is_empty() {
            let Some(entry) = parse_tree_entry(rest, ID_LEN) else {
                of_interest = true; // malformed: the walk reads it through libgit2
                break;
            };
            rest = &rest[entry.len..];
            match entry.mode {
                0o040000 => match numbers.get(entry.id) {
                    Some(tree) => self.pending_edges.push(tree),
                    None => of_interest = true,
                },
                0o160000 => self.submodules += 1,
                _ => of_interest = of_interest || self.blob_of_interest(&entry, blobs, file_names),
            }
        }
        if of_interest {
            self.of_interest.push(number);
            return;
        }
        let span = self.edges.add(&self.pending_edges, cut_after_tree_number);
        self.spans.push((number, span));
    }

    /// Second reading: keeps what the walk needs of a tree that leads to something of
    /// interest, leaving out subtrees that lead to nothing; `false` if the tree is malformed.
    pub(super) fn add(
        &mut self,
        number: u32,
        data: &[u8],
        numbers: &IdIndex,
        blobs: &Blobs,
        file_names: &dyn NameFilter,
        leads_somewhere: &[bool],
    ) -> bool {
        self.pending_recs.clear();
        let mut rest = data;
        while !rest.is_empty() {
            let Some(entry) = parse_tree_entry(rest, ID_LEN) else {
                return false;
            };
            rest = &rest[entry.len..];
            let target = match entry.mode {
                0o040000 => match numbers.get(entry.id) {
                    Some(tree) if !leads_somewhere[tree as usize] => continue,
                    Some(tree) => TO_TREE | tree,
                    None => TO_FOREIGN_TREE | self.ids.number(id_from(entry.id)),
                },
                0o160000 => continue, // counted by the first reading
                _ => {
                    if !self.blob_of_interest(&entry, blobs, file_names) {
                        continue;
                    }
                    TO_BLOB | self.ids.number(id_from(entry.id))
                }
            };
            let name = self.name(entry.name);
            self.pending_recs.push(Rec { target, name });
        }
        let span = self.recs.add(&self.pending_recs, cut_after_rec);
        self.spans.push((number, span));
        true
    }
}

/// An id from raw bytes (always `ID_LEN` of them here; shorter ones are zero-padded).
pub(super) fn id_from(bytes: &[u8]) -> Id {
    let mut id = [0u8; ID_LEN];
    let len = bytes.len().min(ID_LEN);
    id[..len].copy_from_slice(&bytes[..len]);
    id
}

impl HistorySource {
    /// Pass 2: reads every packed tree on every thread, keeping what the walk needs.
    pub(super) fn tree_pass(
        &self,
        threads: usize,
        blobs: &Blobs,
        file_names: &dyn NameFilter,
    ) -> Trees {
        let mut trees = Trees {
            numbers: IdIndex::new(
                packed_objects(&self.packs, &self.duplicate, Kind::Tree)
                    .map(|(pack, at)| self.packs[pack].id(at))
                    .collect(),
            ),
            ..Trees::default()
        };
        let mut numbers_by_pack: Vec<Vec<u32>> = self
            .packs
            .iter()
            .map(|pack| vec![u32::MAX; pack.len()])
            .collect();
        for (pack, at) in packed_objects(&self.packs, &self.duplicate, Kind::Tree) {
            if let Some(number) = trees.numbers.get(&self.packs[pack].id(at)) {
                numbers_by_pack[pack][at] = number;
            }
        }
        // Numbering read every tree's id from the indexes.
        release_pages(&self.packs);
        let families = self.families(Kind::Tree);
        let read = |keep: &(dyn Fn(&mut TreeShard, u32, &[u8]) + Sync)| {
            read_numbered_trees(
                &self.packs,
                &families,
                &numbers_by_pack,
                TREE_LIMIT,
                threads,
                keep,
            )
        };
        let first = read(&|shard: &mut TreeShard, number, data: &[u8]| {
            shard.add_edges(number, data, &trees.numbers, blobs, file_names);
        });
        let submodules: usize = first.iter().map(|shard| shard.submodules).sum();
        self.submodules.fetch_add(submodules, Ordering::Relaxed);
        let leads_somewhere = leads_somewhere(trees.numbers.len(), first);
        let shards = read(&|shard: &mut TreeShard, number, data: &[u8]| {
            if leads_somewhere[number as usize] {
                // A malformed tree is left unread: the walk reads it through libgit2, which
                // reports it.
                shard.add(
                    number,
                    data,
                    &trees.numbers,
                    blobs,
                    file_names,
                    &leads_somewhere,
                );
            }
        });
        // A tree that leads nothing of interest is read, and empty.
        trees.spans = (leads_somewhere.iter())
            .map(|&leads| (!leads).then(ListSpan::default))
            .collect();
        for shard in shards {
            let (name_base, id_base) = (trees.names.len() as u32, trees.ids.len() as u32);
            trees.names.extend(shard.names);
            trees.ids.extend(shard.ids.into_values());
            let list_base = trees.recs.append(shard.recs, |rec| {
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
            });
            for (number, span) in shard.spans {
                trees.spans[number as usize] = Some(span.moved(list_base));
            }
        }
        trees.recs.finish();
        trees
    }
}

/// Which of `count` packed trees lead to something of interest, from the first reading: those
/// that hold some themselves, those never read (the walk reads them through libgit2), and
/// those with such a subtree anywhere below. Depth first without recursion (a hostile
/// repository may nest trees deeper than any stack); a forged cycle leads nowhere new.
fn leads_somewhere(count: usize, shards: Vec<TreeShard>) -> Vec<bool> {
    const UNREAD: (u32, ListSpan) = (u32::MAX, ListSpan::EMPTY);
    let mut edges_of = vec![UNREAD; count];
    for (index, shard) in shards.iter().enumerate() {
        for &(number, span) in &shard.spans {
            edges_of[number as usize] = (index as u32, span);
        }
    }
    let mut state: Vec<u8> = edges_of
        .iter()
        .map(|&(shard, _)| {
            if shard == UNREAD.0 {
                SOMETHING
            } else {
                UNKNOWN
            }
        })
        .collect();
    for shard in &shards {
        for &number in &shard.of_interest {
            state[number as usize] = SOMETHING;
        }
    }
    let next_child = |tree: u32, cursor: &mut Cursor| {
        let (shard, span) = edges_of[tree as usize];
        shards.get(shard as usize)?.edges.next(span, cursor)
    };
    for root in 0..count as u32 {
        if state[root as usize] != UNKNOWN {
            continue;
        }
        let mut stack: Vec<(u32, Cursor)> = vec![(root, Cursor::default())];
        state[root as usize] = COMPUTING;
        while let Some((tree, cursor)) = stack.last_mut() {
            let (tree, child) = (*tree, next_child(*tree, cursor));
            match child.map(|child| (child, state[child as usize])) {
                Some((_, SOMETHING)) => {
                    // Every tree on the stack leads to it.
                    for &(open, _) in &stack {
                        state[open as usize] = SOMETHING;
                    }
                    stack.clear();
                }
                Some((child, UNKNOWN)) => {
                    state[child as usize] = COMPUTING;
                    stack.push((child, Cursor::default()));
                }
                Some(_) => {} // nothing there, or a cycle
                None => {
                    state[tree as usize] = NOTHING;
                    stack.pop();
                }
            }
        }
    }
    state.into_iter().map(|state| state == SOMETHING).collect()
}

/// One entry of a raw tree object: `<octal mode> <name>\0<object id>`.
pub(crate) struct TreeEntry<'a> {
    pub(crate) mode: u32,
    pub(crate) name: &'a [u8],
    pub(crate) id: &'a [u8],
    /// Bytes the entry takes.
    pub(crate) len: usize,
}

pub(crate) fn parse_tree_entry(data: &[u8], id_len: usize) -> Option<TreeEntry<'_>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(spans: &[(u32, &[u32])], of_interest: &[u32]) -> TreeShard {
        let mut shard = TreeShard::default();
        for &(number, children) in spans {
            let span = shard.edges.add(children, cut_after_tree_number);
            shard.spans.push((number, span));
        }
        shard.of_interest = of_interest.to_vec();
        shard
    }

    /// Tree 0 leads to 3 (of interest itself) through 1; 2 leads only to 4, which leads
    /// nowhere; 5 and 6 form a (forged) cycle; 7 was never read (so the walk must enter it),
    /// and 8 leads to it; 9 has no subtrees. Edges split across two threads' shards.
    #[test]
    fn leads_somewhere_follows_subtrees_across_shards() {
        let first = vec![
            shard(&[(0, &[2, 1]), (2, &[4]), (5, &[6])], &[3]),
            shard(
                &[(1, &[4, 3]), (4, &[]), (6, &[5]), (8, &[9, 7]), (9, &[])],
                &[],
            ),
        ];
        let leads = leads_somewhere(10, first);
        assert_eq!(
            leads,
            [true, true, false, true, false, false, false, true, true, false]
        );
    }
}
