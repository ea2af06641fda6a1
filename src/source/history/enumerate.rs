//! Enumeration: the packs and loose objects of a repository, objects packed twice, and a
//! compact filter of object ids.

use super::*;

pub(super) fn id_of(oid: Oid) -> Id {
    id_from(oid.as_bytes())
}

/// Whether the repository uses SHA-1 object ids: the only format the pack reader reads.
pub(super) fn sha1_repository(repo: &Repository) -> bool {
    repo.config()
        .and_then(|config| config.get_string("extensions.objectformat"))
        .map_or(true, |format| format.eq_ignore_ascii_case("sha1"))
}

/// Every readable pack of the object directory. One that cannot be read is left out: its
/// objects are then read (and their problems reported) through libgit2.
pub(crate) fn open_packs(objects: &Path) -> Vec<Pack> {
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

/// Gives back the pages of the packs that a pass touched (see [`Pack::release_pages`]).
pub(crate) fn release_pages(packs: &[Pack]) {
    packs.iter().for_each(Pack::release_pages);
}

/// Work items: `(pack, root)` for each delta family of `kind` in `packs`, in pack order.
pub(crate) fn families(packs: &[Pack], kind: Kind) -> Vec<(usize, u32)> {
    packs
        .iter()
        .enumerate()
        .flat_map(|(number, pack)| pack.roots(kind).into_iter().map(move |root| (number, root)))
        .collect()
}

/// The objects of `kind` in the packs, each once (a copy in a later pack is left out), as
/// `(pack, index position)`.
pub(super) fn packed_objects<'a>(
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
pub(super) fn duplicates(packs: &[Pack]) -> Vec<Vec<bool>> {
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
pub(crate) struct Loose {
    pub(crate) blobs: Vec<Id>,
    pub(super) commits: Vec<Id>,
}

pub(crate) fn loose_objects(repo: &Repository, objects: &Path, packs: &[Pack]) -> Loose {
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
pub(crate) struct IdFilter {
    pub(super) bits: Vec<u64>,
}

impl IdFilter {
    pub(crate) fn new() -> IdFilter {
        IdFilter {
            bits: vec![0; (1 << 24) / 64],
        }
    }

    pub(super) fn slot(id: &[u8]) -> usize {
        usize::from(id[0]) << 16 | usize::from(id[1]) << 8 | usize::from(id[2])
    }

    pub(crate) fn insert(&mut self, id: &[u8]) {
        let slot = Self::slot(id);
        self.bits[slot / 64] |= 1 << (slot % 64);
    }

    pub(crate) fn may_contain(&self, id: &[u8]) -> bool {
        let slot = Self::slot(id);
        self.bits[slot / 64] & (1 << (slot % 64)) != 0
    }
}

/// Resolves every object of the `families` once, on `threads` threads: `visit` gets the
/// thread's state, the pack's number, the object's index position and its content (or why
/// it has none). Returns each thread's state.
pub(crate) fn for_each_in_families<S, F>(
    packs: &[Pack],
    families: &[(usize, u32)],
    limit: u64,
    threads: usize,
    visit: F,
) -> Vec<S>
where
    S: Default + Send,
    F: Fn(&mut S, usize, usize, Result<&[u8], super::pack::Failure>) + Sync,
{
    let next = std::sync::atomic::AtomicUsize::new(0);
    let states: std::sync::Mutex<Vec<S>> = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut state = S::default();
                let mut scratch = super::pack::Scratch::default();
                while let Some(&(pack, root)) =
                    families.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    packs[pack].resolve_family(root, limit, &mut scratch, &mut |at, content| {
                        visit(&mut state, pack, at, content);
                    });
                }
                states
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(state);
            });
        }
    });
    states
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Reads every packed tree of the `families` once, on `threads` threads: `keep` gets the
/// thread's shard, the tree's number (`numbers_by_pack[pack][position]`, `u32::MAX` for an
/// object to skip) and its content. Trees larger than `limit` or that cannot be resolved are
/// not handed over. Returns the shards.
pub(crate) fn read_numbered_trees<S, F>(
    packs: &[Pack],
    families: &[(usize, u32)],
    numbers_by_pack: &[Vec<u32>],
    limit: u64,
    threads: usize,
    keep: F,
) -> Vec<S>
where
    S: Default + Send,
    F: Fn(&mut S, u32, &[u8]) + Sync,
{
    for_each_in_families(
        packs,
        families,
        limit,
        threads,
        |shard, pack, at, content| {
            let number = numbers_by_pack[pack].get(at).copied().unwrap_or(u32::MAX);
            if let (Ok(data), true) = (content, number != u32::MAX) {
                keep(shard, number, data);
            }
        },
    )
}

/// A set of object ids numbered by rank (sorted order): a look-up is a 65,536-way fan-out on
/// the first two bytes, then a binary search of the few ids sharing them. A hash map from id
/// to number, beside a vector from number to id, took three times the memory for a long
/// history's million trees.
#[derive(Default)]
pub(crate) struct IdIndex {
    ids: Vec<Id>,
    /// Per id: its next eight bytes after the two the fan-out reads, as a number. The search
    /// compares these (a history scan looks up every subtree entry of every tree): comparing
    /// whole ids called `memcmp` for each step, a tenth of a history scan's time.
    keys: Vec<u64>,
    /// `ids[fanout[k]..fanout[k + 1]]` start with the two bytes `k`.
    fanout: Vec<u32>,
}

/// The eight bytes of `id` after the first two, big-endian: sorted ids have sorted keys.
fn key_of(id: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(id.get(2..10)?.try_into().ok()?))
}

impl IdIndex {
    /// The index of `ids` (in any order, repeats allowed).
    pub(crate) fn new(mut ids: Vec<Id>) -> IdIndex {
        ids.sort_unstable();
        ids.dedup();
        ids.shrink_to_fit();
        let mut fanout = vec![0u32; (1 << 16) + 1];
        for id in &ids {
            fanout[usize::from(id[0]) << 8 | usize::from(id[1])] += 1;
        }
        let mut total = 0;
        for slot in fanout.iter_mut() {
            let count = *slot;
            *slot = total;
            total += count;
        }
        let keys = ids.iter().filter_map(|id| key_of(id)).collect();
        IdIndex { ids, keys, fanout }
    }

    /// The number of `id`, if the set holds it.
    pub(crate) fn get(&self, id: &[u8]) -> Option<u32> {
        let bucket = usize::from(*id.first()?) << 8 | usize::from(*id.get(1)?);
        let start = *self.fanout.get(bucket)? as usize;
        let end = *self.fanout.get(bucket + 1)? as usize;
        let key = key_of(id)?;
        let keys = self.keys.get(start..end)?;
        // The first id with this key, then the next ones with it (the same ten first bytes
        // are as good as never met, but are allowed).
        let first = start + keys.partition_point(|&known| known < key);
        (first..end)
            .take_while(|&at| self.keys[at] == key)
            .find(|&at| self.ids[at] == id)
            .map(|at| at as u32)
    }

    /// The id numbered `number`.
    pub(crate) fn id(&self, number: u32) -> Option<&Id> {
        self.ids.get(number as usize)
    }

    /// How many ids the set holds.
    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_index_numbers_ids_by_rank_and_finds_each() {
        let mut next = crate::test_rng(0x9E37_79B9_7F4A_7C15);
        let mut next_id = || {
            let mut id = [0u8; ID_LEN];
            id.iter_mut().for_each(|byte| *byte = next() as u8);
            id
        };
        let mut ids: Vec<Id> = (0..5000).map(|_| next_id()).collect();
        // Ids sharing their first two bytes, and a repeat.
        let mut twin = ids[0];
        twin[19] ^= 1;
        ids.push(twin);
        ids.push(ids[1]);
        let index = IdIndex::new(ids.clone());
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(index.len(), sorted.len());
        for (rank, id) in sorted.iter().enumerate() {
            assert_eq!(index.get(id), Some(rank as u32));
            assert_eq!(index.id(rank as u32), Some(id));
        }
        assert_eq!(index.get(&next_id()), None);
        // Absent, with the first ten bytes of one present (and of two).
        let (mut stranger, mut third_twin) = (ids[2], ids[0]);
        stranger[12] ^= 1;
        third_twin[18] ^= 1;
        assert_eq!(index.get(&stranger), None);
        assert_eq!(index.get(&third_twin), None);
        assert_eq!(index.get(&[]), None);
        assert_eq!(IdIndex::default().get(&ids[0]), None);
    }
}
