//! Delivery: each blob of interest handed to the visitor with its provenance. Blobs the packs
//! hold are read again from them on every thread, family by family in pack order, entering
//! only the deltas that lead to a blob to deliver; the rest (loose, unreadable) through
//! libgit2, which reports what it cannot read.

use super::*;

/// One piece of delivery work: a pack's delta family holding blobs to deliver, or one blob
/// read through libgit2.
enum Delivery {
    Family { pack: usize, root: u32 },
    One(usize),
}

impl HistorySource {
    pub(super) fn provenance(&self, entry: &BlobEntry, nodes: &[PathNode]) -> Provenance {
        let path = path_of(nodes, entry.path, "");
        Provenance {
            rel_path: path.clone(),
            path,
            commit: self.commits.get(entry.commit as usize).cloned(),
            also_in: Some(entry.also_in),
        }
    }

    /// Delivers every blob of `entries` on `threads` threads.
    pub(super) fn deliver_all<'v>(
        &self,
        threads: usize,
        make_visitor: &VisitorFactory<'v>,
        entries: &[BlobEntry],
        nodes: &[PathNode],
    ) {
        // Per pack: the entry to deliver at each position, and every position on the way to
        // one from its family's root.
        let mut wanted: Vec<FxHashMap<u32, usize>> = vec![FxHashMap::default(); self.packs.len()];
        let mut on_the_way: Vec<FxHashSet<u32>> = vec![FxHashSet::default(); self.packs.len()];
        let mut work = Vec::new();
        let mut roots = FxHashSet::default();
        for (index, entry) in entries.iter().enumerate() {
            let in_pack = matches!(entry.class, BlobClass::Clean | BlobClass::Candidate)
                .then(|| self.packed_position(&entry.id))
                .flatten();
            let Some((pack, at, root)) = in_pack else {
                work.push(Delivery::One(index));
                continue;
            };
            wanted[pack].insert(at, index);
            let mut step = Some(at);
            while let Some(at) = step {
                if !on_the_way[pack].insert(at) {
                    break;
                }
                step = self.packs[pack].base_of(at as usize);
            }
            if roots.insert((pack, root)) {
                work.push(Delivery::Family { pack, root });
            }
        }
        let next = AtomicUsize::new(0);
        run_workers(&self.git_dir, threads, make_visitor, |repo, visitor| {
            let mut scratch = Scratch::default();
            while let Some(item) = work.get(next.fetch_add(1, Ordering::Relaxed)) {
                match *item {
                    Delivery::One(index) => self.deliver(repo, &entries[index], nodes, visitor),
                    Delivery::Family { pack, root } => self.packs[pack].resolve_family_where(
                        root,
                        self.max_file_size,
                        &mut scratch,
                        &|at| on_the_way[pack].contains(&(at as u32)),
                        &mut |at, content| {
                            let Some(&index) = wanted[pack].get(&(at as u32)) else {
                                return;
                            };
                            let entry = &entries[index];
                            match content {
                                Ok(bytes) => self.deliver_content(entry, bytes, nodes, visitor),
                                Err(pack::Failure::TooLarge(size)) => {
                                    let provenance = self.provenance(entry, nodes);
                                    if entry.class == BlobClass::Clean {
                                        visitor.path_checks(&provenance, b"");
                                    } else {
                                        visitor.skipped(&provenance, SkipReason::TooLarge(size));
                                    }
                                }
                                // libgit2 reads it again, and says what is wrong with it.
                                Err(_) => self.deliver(repo, entry, nodes, visitor),
                            }
                        },
                    ),
                }
            }
        });
    }

    /// The pack, position and family root of a blob the packs can resolve.
    fn packed_position(&self, id: &Id) -> Option<(usize, u32, u32)> {
        self.packs.iter().enumerate().find_map(|(number, pack)| {
            let at = pack.find(id)?;
            let root = pack.family_root(at)?;
            Some((number, at as u32, root))
        })
    }

    /// Delivers a blob of interest read from a pack.
    fn deliver_content(
        &self,
        entry: &BlobEntry,
        bytes: &[u8],
        nodes: &[PathNode],
        visitor: &mut dyn Visitor,
    ) {
        let provenance = self.provenance(entry, nodes);
        if entry.class == BlobClass::Clean {
            visitor.path_checks(&provenance, bytes);
            return;
        }
        let expander = self.archives.map(ArchiveExpander::new);
        let expander = expander.as_ref().map(|e| e as &dyn content::Expander);
        content::deliver(bytes, &provenance, None, visitor, expander);
    }

    /// Delivers one blob of interest with its provenance, read through libgit2.
    pub(super) fn deliver(
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
                Ok(Ok(blob)) => {
                    let expander = self.archives.map(ArchiveExpander::new);
                    let expander = expander.as_ref().map(|e| e as &dyn content::Expander);
                    content::deliver(blob.content(), &provenance, None, visitor, expander);
                }
                Ok(Err(size)) => visitor.skipped(&provenance, SkipReason::TooLarge(size)),
                Err(err) => read_error(visitor, err),
            },
        }
    }
}
