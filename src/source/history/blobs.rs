//! Pass 1, blobs: every packed blob inflated once and prescreened without its path.

use super::*;

/// What the blob pass found.
pub(super) struct Blobs {
    /// Blobs of interest (every class but `Clean`).
    pub(super) interesting: FxHashMap<Id, BlobClass>,
    pub(super) interesting_filter: IdFilter,
    /// Every blob the packs or loose objects hold.
    pub(super) known_filter: IdFilter,
}

impl HistorySource {
    /// Work items: `(pack, root)` for each delta family of `kind`, in pack order.
    pub(super) fn families(&self, kind: Kind) -> Vec<(usize, u32)> {
        families(&self.packs, kind)
    }

    /// Pass 1: prescreens every packed blob on every thread; returns the blobs of interest.
    pub(super) fn blob_pass<'v>(&self, threads: usize, make_visitor: &VisitorFactory<'v>) -> Blobs {
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
                                        // An archive cannot be prescreened unopened.
                                        None if self.archives.is_some()
                                            && ArchiveFormat::sniff(bytes).is_some() =>
                                        {
                                            BlobClass::Candidate
                                        }
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
}
