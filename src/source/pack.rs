//! Git pack files, read directly: the index (`.idx`, version 2), each object's header, and
//! every object's content resolved in delta order, the way `git index-pack` does it. A
//! history scan reads every object of a repository; through libgit2 each read resolves its own
//! delta chain and shares one process-wide cache, so a history walk is bound to one core. Here
//! each family of deltas (a base and everything built on it) is inflated once, base first, and
//! families are spread over the threads.
//!
//! Anything unusual (a corrupt object, a delta whose base is in another pack, an object over
//! the size limit) is reported per object, never as a failure of the pack: the caller reads
//! those objects through libgit2, which reports them properly.
//!
//! Memory is bounded whatever a family's shape (issue 15): a base is kept only while deltas on
//! it are still to be applied, the child with the largest family is resolved last (so its base
//! is let go first, and a plain chain holds two objects), and the bases kept per thread are
//! capped by a byte budget ([`HELD_BYTES`]): past it, the base that is cheapest to derive again
//! is let go, and derived again from its nearest kept ancestor when its next delta comes.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::{Decompress, FlushDecompress, Status};

/// Bytes of a SHA-1 object id: the only object format read here (libgit2 reads SHA-256
/// repositories, if at all, through the slow path).
pub const ID_LEN: usize = 20;

/// An object id.
pub type Id = [u8; ID_LEN];

/// The kind of an object, or of the family a delta belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A commit.
    Commit,
    /// A tree.
    Tree,
    /// A blob.
    Blob,
    /// An annotated tag.
    Tag,
    /// A delta whose chain cannot be followed in this pack (a base elsewhere, a cycle).
    Unknown,
}

/// A pack could not be opened; the caller falls back to libgit2 for its objects.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct PackError {
    path: String,
    message: String,
}

fn pack_error(path: &Path, message: impl Into<String>) -> PackError {
    PackError {
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// No base: the object is whole.
const NO_BASE: u32 = u32::MAX;
/// The base is not in this pack (or the header is corrupt): the object cannot be resolved here.
const FOREIGN_BASE: u32 = u32::MAX - 1;

/// The bytes of a pack or an index: mapped from a file, or owned (tests and the fuzz target).
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(bytes) => bytes,
        }
    }
}

/// One pack and its index.
pub struct Pack {
    data: Bytes,
    index: Bytes,
    count: usize,
    /// Where the object ids start in the index.
    ids_at: usize,
    /// Each object's offset in the pack, by index position.
    offsets: Vec<u64>,
    /// Declared size of each object (for a delta: of the delta data).
    sizes: Vec<u64>,
    /// Each object's base (index position), or [`NO_BASE`] / [`FOREIGN_BASE`].
    bases: Vec<u32>,
    /// The kind of each object's family.
    kinds: Vec<Kind>,
    /// Deltas built on each object: `children[child_start[p]..child_start[p + 1]]`.
    child_start: Vec<u32>,
    children: Vec<u32>,
    /// Which [`WINDOW`]s of the pack were read since its pages were last given back.
    windows_read: Vec<AtomicU64>,
    /// How many.
    windows_resident: AtomicU64,
}

/// What the kernel maps on a page fault in a file mapping (Linux's `fault_around_bytes`):
/// reading one small object makes this much of the pack resident.
const WINDOW: u64 = 64 << 10;

/// A pack gives back its pages once this much of it may be resident: a history's passes each
/// read the whole pack (or all its trees) once, or objects here and there all over it, and
/// the pages they leave behind would otherwise add up to the pack's size in resident memory.
const RELEASE_AT: u64 = 32 << 20;

impl std::fmt::Debug for Pack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pack")
            .field("objects", &self.count)
            .finish()
    }
}

/// Maps a file into memory, read-only.
fn map(file: &File) -> std::io::Result<memmap2::Mmap> {
    #[allow(unsafe_code, reason = "pack files are mapped, as git and libgit2 do")]
    // SAFETY: the mapping is read-only and lives no longer than the `Pack`. Git never changes a
    // pack or an index in place: it writes new files and renames them, and a file deleted while
    // mapped stays readable. Truncating one in place under a running scan would be the only way
    // to fault, and would take a deliberate act against this very process.
    unsafe {
        memmap2::Mmap::map(file)
    }
}

/// Lets the kernel take back the pages of a mapping this process has touched. They stay in
/// the page cache, and come back on the next touch; until then they no longer count in the
/// process's resident memory, which otherwise grows by the whole pack over a history scan.
fn release(map: &memmap2::Mmap) {
    #[allow(
        unsafe_code,
        reason = "a read-only shared file mapping's pages are dropped"
    )]
    // SAFETY: `MADV_DONTNEED` only discards data in private mappings that were written to.
    // This mapping is read-only and shared (memmap2 maps files `MAP_SHARED`): its pages are
    // the file's own and read back unchanged, and slices into it stay valid.
    unsafe {
        // Advice is a hint: if the kernel declines it, the pages merely stay resident.
        let _ = map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed);
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes([word[0], word[1], word[2], word[3]]))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    let word = bytes.get(at..at + 8)?;
    let mut array = [0u8; 8];
    array.copy_from_slice(word);
    Some(u64::from_be_bytes(array))
}

/// An object's header in a pack: kind code, declared size, where its data starts, and its base
/// (an offset for `OFS_DELTA`, an id for `REF_DELTA`).
struct Header<'a> {
    code: u8,
    size: u64,
    data_at: usize,
    base_offset: Option<u64>,
    base_id: Option<&'a [u8]>,
}

const OBJ_COMMIT: u8 = 1;
const OBJ_TREE: u8 = 2;
const OBJ_BLOB: u8 = 3;
const OBJ_TAG: u8 = 4;
const OBJ_OFS_DELTA: u8 = 6;
const OBJ_REF_DELTA: u8 = 7;

fn parse_header(data: &[u8], offset: u64) -> Option<Header<'_>> {
    let mut at = usize::try_from(offset).ok()?;
    let mut byte = *data.get(at)?;
    at += 1;
    let code = (byte >> 4) & 7;
    let mut size = u64::from(byte & 15);
    let mut shift = 4;
    while byte & 0x80 != 0 {
        byte = *data.get(at)?;
        at += 1;
        if shift > 57 {
            return None;
        }
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
    }
    let mut header = Header {
        code,
        size,
        data_at: at,
        base_offset: None,
        base_id: None,
    };
    match code {
        OBJ_OFS_DELTA => {
            let mut byte = *data.get(at)?;
            at += 1;
            let mut distance = u64::from(byte & 0x7f);
            while byte & 0x80 != 0 {
                byte = *data.get(at)?;
                at += 1;
                distance = distance.checked_add(1)?.checked_mul(128)? | u64::from(byte & 0x7f);
            }
            header.base_offset = Some(offset.checked_sub(distance)?);
            header.data_at = at;
        }
        OBJ_REF_DELTA => {
            header.base_id = Some(data.get(at..at + ID_LEN)?);
            header.data_at = at + ID_LEN;
        }
        OBJ_COMMIT | OBJ_TREE | OBJ_BLOB | OBJ_TAG => {}
        _ => return None,
    }
    Some(header)
}

impl Pack {
    /// Opens `<name>.idx` and `<name>.pack`, and reads every object's header.
    pub fn open(index_path: &Path) -> Result<Pack, PackError> {
        let pack_path = index_path.with_extension("pack");
        let open = |path: &Path| {
            File::open(path)
                .and_then(|file| map(&file))
                .map(Bytes::Mapped)
                .map_err(|err| pack_error(path, err.to_string()))
        };
        let index = open(index_path)?;
        let data = open(&pack_path)?;
        let pack = Pack::parse(index, data, index_path, &pack_path)?;
        // Reading every header touched every page of both files.
        pack.release_pages();
        Ok(pack)
    }

    /// Reads a pack and its index from memory (the fuzz target's way in).
    pub fn from_bytes(index: Vec<u8>, data: Vec<u8>) -> Result<Pack, PackError> {
        Pack::parse(
            Bytes::Owned(index),
            Bytes::Owned(data),
            Path::new("<index>"),
            Path::new("<pack>"),
        )
    }

    fn parse(
        index: Bytes,
        data: Bytes,
        index_path: &Path,
        pack_path: &Path,
    ) -> Result<Pack, PackError> {
        let bad_index =
            |what: &str| pack_error(index_path, format!("not a version 2 index: {what}"));
        if index.get(..8) != Some(&[0xff, b't', b'O', b'c', 0, 0, 0, 2][..]) {
            return Err(bad_index("header"));
        }
        let fanout = |byte: usize| be32(&index, 8 + 4 * byte);
        let count = fanout(255).ok_or_else(|| bad_index("fan-out table"))? as usize;
        let ids_at = 8 + 256 * 4;
        let offsets_at = ids_at + count * (ID_LEN + 4);
        let large_at = offsets_at + count * 4;
        if index.len() < large_at + 2 * ID_LEN {
            return Err(bad_index("truncated"));
        }
        if data.get(..4) != Some(b"PACK")
            || !matches!(be32(&data, 4), Some(2 | 3))
            || be32(&data, 8) != Some(count as u32)
        {
            return Err(pack_error(pack_path, "not a pack matching its index"));
        }
        let mut offsets = Vec::with_capacity(count);
        for position in 0..count {
            let small = be32(&index, offsets_at + 4 * position).unwrap_or(0);
            let offset = if small & 0x8000_0000 == 0 {
                u64::from(small)
            } else {
                let at = large_at + 8 * (small & 0x7fff_ffff) as usize;
                be64(&index, at).ok_or_else(|| bad_index("large offset"))?
            };
            offsets.push(offset);
        }
        let windows_read = (0..(data.len() as u64).div_ceil(WINDOW).div_ceil(64))
            .map(|_| AtomicU64::new(0))
            .collect();
        let mut pack = Pack {
            data,
            index,
            count,
            ids_at,
            offsets,
            sizes: vec![0; count],
            bases: vec![NO_BASE; count],
            kinds: vec![Kind::Unknown; count],
            child_start: Vec::new(),
            children: Vec::new(),
            windows_read,
            windows_resident: AtomicU64::new(0),
        };
        pack.read_headers();
        Ok(pack)
    }

    /// Reads every header: sizes, bases, the family kind of each object, and the delta tree.
    fn read_headers(&mut self) {
        // Positions in pack order (a quarter of the memory of pairs with their offsets: a
        // history of millions of objects is read here before anything else).
        let mut by_offset: Vec<u32> = (0..self.count as u32).collect();
        by_offset.sort_unstable_by_key(|&position| self.offsets[position as usize]);
        let mut codes = vec![0u8; self.count];
        // In pack order, so that the pages read can be given back as the reading goes.
        for &position in &by_offset {
            let position = position as usize;
            let offset = self.offsets[position];
            let Some(header) = parse_header(&self.data, offset) else {
                self.bases[position] = FOREIGN_BASE;
                continue;
            };
            self.note_read(offset, (header.data_at as u64).saturating_sub(offset));
            codes[position] = header.code;
            self.sizes[position] = header.size;
            self.bases[position] = match (header.base_offset, header.base_id) {
                (Some(offset), _) => by_offset
                    .binary_search_by_key(&offset, |&at| self.offsets[at as usize])
                    .map_or(FOREIGN_BASE, |at| by_offset[at]),
                (None, Some(id)) => self.find(id).map_or(FOREIGN_BASE, |at| at as u32),
                (None, None) => NO_BASE,
            };
        }
        // The kind of a delta is the kind of the whole object at the root of its chain. Chains
        // are followed once each; a cycle (only in a corrupt pack) leaves its members Unknown.
        const UNSEEN: u8 = 0;
        const ON_PATH: u8 = 1;
        const DONE: u8 = 2;
        let mut state = vec![UNSEEN; self.count];
        let mut path = Vec::new();
        for start in 0..self.count {
            let mut at = start;
            while state[at] == UNSEEN && self.bases[at] < FOREIGN_BASE {
                state[at] = ON_PATH;
                path.push(at);
                at = self.bases[at] as usize;
            }
            let kind = if state[at] == ON_PATH {
                Kind::Unknown // a cycle
            } else if state[at] == DONE {
                self.kinds[at]
            } else {
                state[at] = DONE;
                self.kinds[at] = match (self.bases[at], codes[at]) {
                    (NO_BASE, OBJ_COMMIT) => Kind::Commit,
                    (NO_BASE, OBJ_TREE) => Kind::Tree,
                    (NO_BASE, OBJ_BLOB) => Kind::Blob,
                    (NO_BASE, OBJ_TAG) => Kind::Tag,
                    _ => Kind::Unknown,
                };
                self.kinds[at]
            };
            for &member in &path {
                state[member] = DONE;
                self.kinds[member] = kind;
            }
            path.clear();
        }
        // Delta children of each object, in pack order (bases come before their deltas there,
        // so reading stays mostly sequential). Members of a cycle have none.
        let resolvable =
            |at: usize| self.bases[at] < FOREIGN_BASE && self.kinds[at] != Kind::Unknown;
        let mut child_start = vec![0u32; self.count + 1];
        for at in (0..self.count).filter(|&at| resolvable(at)) {
            child_start[self.bases[at] as usize + 1] += 1;
        }
        for at in 0..self.count {
            child_start[at + 1] += child_start[at];
        }
        let mut filled = child_start.clone();
        let mut children = vec![0u32; child_start[self.count] as usize];
        for &position in &by_offset {
            if resolvable(position as usize) {
                let base = self.bases[position as usize] as usize;
                children[filled[base] as usize] = position;
                filled[base] += 1;
            }
        }
        self.child_start = child_start;
        self.children = children;
        self.largest_child_last();
    }

    /// Moves each object's child with the most descendants to the end of its children. A base
    /// is kept while its other children are resolved and let go before its last one, so the
    /// bases kept at once are those whose last child is not being resolved: with the largest
    /// family last, each of them has a family at least twice the next one's, hence at most
    /// log2(objects) of them, and two along a chain with leaves on it (issue 15).
    fn largest_child_last(&mut self) {
        let mut family = vec![1u32; self.count];
        let mut stack: Vec<(usize, usize)> = Vec::new();
        for root in (0..self.count).filter(|&at| self.bases[at] == NO_BASE) {
            stack.push((root, 0));
            while let Some((at, next)) = stack.last_mut() {
                let at = *at;
                if let Some(&child) = self.children_of(at).get(*next) {
                    *next += 1;
                    stack.push((child as usize, 0));
                    continue;
                }
                stack.pop();
                if let Some(&(base, _)) = stack.last() {
                    family[base] = family[base].saturating_add(family[at]);
                }
            }
        }
        for at in 0..self.count {
            let start = self.child_start[at] as usize;
            let end = self.child_start[at + 1] as usize;
            let children = &mut self.children[start..end];
            // The first of the largest, so that ties keep pack order.
            let largest = children
                .iter()
                .enumerate()
                .rev()
                .max_by_key(|&(_, &child)| family[child as usize])
                .map(|(place, _)| place);
            if let Some(place) = largest {
                children[place..].rotate_left(1);
            }
        }
    }

    /// Gives back the mapped pages of the pack and its index touched so far (see [`release`]):
    /// called between the passes of a history scan, each of which reads only part of a pack.
    pub fn release_pages(&self) {
        for bytes in [&self.data, &self.index] {
            if let Bytes::Mapped(map) = bytes {
                release(map);
            }
        }
    }

    /// Notes that `len` bytes from `from` were read, and gives the pages back once
    /// [`RELEASE_AT`] of the pack may be resident. (An estimate: two threads may count a
    /// window twice, or one just after a release.)
    fn note_read(&self, from: u64, len: u64) {
        let (first, last) = (from / WINDOW, (from + len.max(1) - 1) / WINDOW);
        let mut new = 0;
        for window in first..=last {
            let Some(word) = self.windows_read.get((window / 64) as usize) else {
                break;
            };
            let bit = 1u64 << (window % 64);
            if word.fetch_or(bit, Ordering::Relaxed) & bit == 0 {
                new += WINDOW;
            }
        }
        let before = self.windows_resident.fetch_add(new, Ordering::Relaxed);
        if before < RELEASE_AT && before + new >= RELEASE_AT {
            self.release_pages();
            self.windows_read
                .iter()
                .for_each(|word| word.store(0, Ordering::Relaxed));
            self.windows_resident.store(0, Ordering::Relaxed);
        }
    }

    /// Objects in the pack.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the pack holds no object.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The id of the object at index position `position`.
    pub fn id(&self, position: usize) -> Id {
        let at = self.ids_at + position * ID_LEN;
        let mut id = [0u8; ID_LEN];
        id.copy_from_slice(&self.index[at..at + ID_LEN]);
        id
    }

    /// The kind of the object (of its delta family).
    pub fn kind(&self, position: usize) -> Kind {
        self.kinds[position]
    }

    /// The index position of `id`, if the pack holds it.
    pub fn find(&self, id: &[u8]) -> Option<usize> {
        let first = *id.first()? as usize;
        let fanout = |byte: usize| be32(&self.index, 8 + 4 * byte).unwrap_or(0) as usize;
        let mut low = if first == 0 { 0 } else { fanout(first - 1) };
        let mut high = fanout(first).min(self.count);
        while low < high {
            let middle = (low + high) / 2;
            let at = self.ids_at + middle * ID_LEN;
            match self.index[at..at + ID_LEN].cmp(id) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return Some(middle),
            }
        }
        None
    }

    /// The whole objects of the families of kind `kind`, in pack order: the roots to hand to
    /// [`Pack::resolve_family`]. Objects of that kind the pack cannot resolve (a base in another
    /// pack) are in the second list.
    pub fn roots(&self, kind: Kind) -> Vec<u32> {
        let mut roots: Vec<u32> = (0..self.count as u32)
            .filter(|&at| self.bases[at as usize] == NO_BASE && self.kinds[at as usize] == kind)
            .collect();
        roots.sort_unstable_by_key(|&at| self.offsets[at as usize]);
        roots
    }

    /// Objects whose family kind is unknown: deltas on a base outside this pack, or corrupt.
    pub fn unresolvable(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.count).filter(|&at| self.kinds[at] == Kind::Unknown)
    }

    fn children_of(&self, position: usize) -> &[u32] {
        let start = self.child_start[position] as usize;
        let end = self.child_start[position + 1] as usize;
        &self.children[start..end]
    }

    /// Inflates the data of the object at `position` (whole content, or delta instructions)
    /// into `out`, which must come back holding exactly the declared size.
    fn inflate(
        &self,
        position: usize,
        limit: u64,
        inflater: &mut Decompress,
        out: &mut Vec<u8>,
    ) -> Result<(), Failure> {
        let size = self.sizes[position];
        if size > limit {
            return Err(Failure::TooLarge(size));
        }
        let header = parse_header(&self.data, self.offsets[position]).ok_or(Failure::Corrupt)?;
        let input = self.data.get(header.data_at..).ok_or(Failure::Corrupt)?;
        out.clear();
        out.reserve_exact(size as usize);
        inflater.reset(true);
        let inflated = inflater.decompress_vec(input, out, FlushDecompress::Finish);
        self.note_read(header.data_at as u64, inflater.total_in());
        match inflated {
            Ok(Status::StreamEnd) if out.len() as u64 == size => Ok(()),
            // A zero-length object may end without the stream saying so.
            Ok(_) if size == 0 && out.is_empty() => Ok(()),
            _ => Err(Failure::Corrupt),
        }
    }

    /// Resolves the family rooted at `root` (a whole object): the root, then every delta built
    /// on it, depth first, each applied to its base's content. `on_object` gets each object's
    /// index position and its content, or why it has none, exactly once. A base is let go as
    /// soon as its last delta is applied; the bases still needed are kept within the scratch's
    /// byte budget, and one let go for the budget is derived again when its next delta comes.
    pub fn resolve_family(
        &self,
        root: u32,
        limit: u64,
        scratch: &mut Scratch,
        on_object: &mut OnObject<'_>,
    ) {
        self.resolve_family_where(root, limit, scratch, &|_| true, on_object);
    }

    /// The whole object at the root of the delta family holding `position`, if the pack
    /// resolves it (not a delta on a base in another pack, nor corrupt).
    pub fn family_root(&self, position: usize) -> Option<u32> {
        let mut at = position;
        // A well-formed pack's chains end; a forged loop is cut after as many steps as objects.
        for _ in 0..=self.count {
            match *self.bases.get(at)? {
                NO_BASE => return Some(at as u32),
                FOREIGN_BASE => return None,
                base => at = base as usize,
            }
        }
        None
    }

    /// The base of the object at `position`, if it is a delta on an object of this pack.
    pub fn base_of(&self, position: usize) -> Option<u32> {
        self.bases
            .get(position)
            .copied()
            .filter(|&base| base < FOREIGN_BASE)
    }

    /// [`Pack::resolve_family`], entering only the deltas for which `enter` says yes (and so
    /// none of the deltas built on the others): to read a few members of a large family, let
    /// `enter` say yes for them and the bases they are built on.
    pub fn resolve_family_where(
        &self,
        root: u32,
        limit: u64,
        scratch: &mut Scratch,
        enter: &dyn Fn(usize) -> bool,
        on_object: &mut OnObject<'_>,
    ) {
        let root = root as usize;
        let mut root_data = scratch.buffer();
        if let Err(failure) = self.inflate(root, limit, &mut scratch.inflater, &mut root_data) {
            on_object(root, Err(failure));
            scratch.recycle(root_data);
            self.fail_descendants(root, on_object);
            return;
        }
        on_object(root, Ok(&root_data));
        let mut stack = vec![Frame {
            position: root,
            content: None,
            next: 0,
            distance: 1,
        }];
        scratch.keep(&mut stack, root_data);
        while let Some(frame) = stack.last_mut() {
            let children = self.children_of(frame.position);
            let Some(&child) = children.get(frame.next) else {
                if let Some(frame) = stack.pop() {
                    scratch.release(frame);
                }
                continue;
            };
            frame.next += 1;
            let last = frame.next == children.len();
            let child = child as usize;
            if !enter(child) {
                continue;
            }
            if frame.content.is_none() {
                match self.derive_again(&stack, limit, scratch) {
                    Ok(content) => scratch.keep(&mut stack, content),
                    Err(_) => {
                        // It resolved before, so only a pack changed under us gets here.
                        if let Some(frame) = stack.pop() {
                            let pending = self.children_of(frame.position);
                            for &at in pending.get(frame.next - 1..).unwrap_or(&[]) {
                                on_object(at as usize, Err(Failure::Unresolved));
                                self.fail_descendants(at as usize, on_object);
                            }
                            scratch.release(frame);
                        }
                        continue;
                    }
                }
            }
            let mut content = scratch.buffer();
            let result = match stack.last().and_then(|frame| frame.content.as_deref()) {
                Some(base) => self.apply(child, base, limit, scratch, &mut content),
                None => Err(Failure::Unresolved), // not reached: the base was just kept
            };
            // The base is let go before its last delta's family is resolved.
            let mut distance = 1;
            if last {
                if let Some(frame) = stack.pop() {
                    distance = frame.distance.saturating_add(1);
                    scratch.release(frame);
                }
            }
            match result {
                Ok(()) => {
                    on_object(child, Ok(&content));
                    if self.children_of(child).is_empty() {
                        scratch.recycle(content);
                    } else {
                        stack.push(Frame {
                            position: child,
                            content: None,
                            next: 0,
                            distance,
                        });
                        scratch.keep(&mut stack, content);
                    }
                }
                Err(failure) => {
                    on_object(child, Err(failure));
                    scratch.recycle(content);
                    self.fail_descendants(child, on_object);
                }
            }
        }
    }

    /// Inflates the delta of `position` and applies it to `base`, into `out`.
    fn apply(
        &self,
        position: usize,
        base: &[u8],
        limit: u64,
        scratch: &mut Scratch,
        out: &mut Vec<u8>,
    ) -> Result<(), Failure> {
        let mut delta = std::mem::take(&mut scratch.delta);
        // A delta may be larger than its result (inserts cost a byte per 127), never by much.
        let delta_limit = limit.saturating_mul(2).max(1 << 20);
        let result = self
            .inflate(position, delta_limit, &mut scratch.inflater, &mut delta)
            .and_then(|()| apply_delta(base, &delta, limit, out));
        scratch.delta = delta;
        result
    }

    /// Derives the top frame's content again, from the nearest frame below it that still has
    /// its content (or from the root, inflated again), through the deltas in between.
    fn derive_again(
        &self,
        stack: &[Frame],
        limit: u64,
        scratch: &mut Scratch,
    ) -> Result<Vec<u8>, Failure> {
        let (target, below) = stack.split_last().ok_or(Failure::Unresolved)?;
        let kept = below.iter().rev().find_map(|frame| {
            frame
                .content
                .as_deref()
                .map(|content| (frame.position, content))
        });
        // The objects from the target up to (not including) the kept one, or to the root.
        let mut chain = Vec::new();
        let mut at = target.position;
        while Some(at) != kept.map(|(position, _)| position) {
            chain.push(at);
            if chain.len() > self.count {
                return Err(Failure::Corrupt); // not a chain: only a changed pack gets here
            }
            match self.bases[at] {
                NO_BASE => break,
                FOREIGN_BASE => return Err(Failure::Corrupt),
                base => at = base as usize,
            }
        }
        let mut current = match kept {
            Some(_) => None,
            None => {
                let root = chain.pop().ok_or(Failure::Corrupt)?;
                let mut data = scratch.buffer();
                self.inflate(root, limit, &mut scratch.inflater, &mut data)?;
                Some(data)
            }
        };
        scratch.derived_again += 1;
        for &at in chain.iter().rev() {
            let base = match (&current, kept) {
                (Some(data), _) => &data[..],
                (None, Some((_, content))) => content,
                (None, None) => return Err(Failure::Corrupt),
            };
            let mut out = scratch.buffer();
            let result = self.apply(at, base, limit, scratch, &mut out);
            if let Some(old) = current.replace(out) {
                scratch.recycle(old);
            }
            result?;
        }
        current.ok_or(Failure::Corrupt)
    }

    /// Reports every delta built (directly or not) on `position` as unresolved.
    fn fail_descendants(&self, position: usize, on_object: &mut OnObject<'_>) {
        let mut pending: Vec<usize> = self
            .children_of(position)
            .iter()
            .map(|&c| c as usize)
            .collect();
        while let Some(at) = pending.pop() {
            on_object(at, Err(Failure::Unresolved));
            pending.extend(self.children_of(at).iter().map(|&c| c as usize));
        }
    }
}

/// What [`Pack::resolve_family`] calls with each object: its index position, and its content
/// or why it has none.
pub type OnObject<'a> = dyn FnMut(usize, Result<&[u8], Failure>) + 'a;

/// Why an object has no content here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Over the size limit (its size, or its delta's result size).
    TooLarge(u64),
    /// It does not inflate, or its delta does not apply.
    Corrupt,
    /// Its base has no content here (too large or corrupt).
    Unresolved,
}

/// A base on the resolution stack: an object some of whose deltas are still to be applied.
struct Frame {
    position: usize,
    /// Its content, or `None` once let go for the budget (derived again when needed).
    content: Option<Vec<u8>>,
    /// Its next child to resolve.
    next: usize,
    /// Deltas between the frame below and this one (bases already let go in between): what
    /// deriving it again from there costs.
    distance: u32,
}

/// Bytes of resolved bases one thread keeps by default (see [`Scratch::with_budget`]). The base
/// being applied is kept whatever its size, so a thread holds at most this plus one object for
/// bases, and three objects in flight (a delta's result, the delta, a base being derived).
pub const HELD_BYTES: usize = 64 << 20;

/// One thread's reusable buffers and inflater. Buffers go back to a small pool, so resolving
/// millions of objects does not fault in fresh pages for each one.
pub struct Scratch {
    inflater: Decompress,
    delta: Vec<u8>,
    pool: Vec<Vec<u8>>,
    /// The budget for kept bases, the bytes they hold now, and the most they ever held.
    budget: usize,
    held: usize,
    peak_held: usize,
    derived_again: u64,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::with_budget(HELD_BYTES)
    }
}

/// Buffers kept for reuse, and the largest one kept (a big blob's buffer is let go).
const POOL_BUFFERS: usize = 64;
const POOL_BUFFER_BYTES: usize = 4 << 20;

impl Scratch {
    /// Scratch whose kept bases hold at most `budget` bytes (plus the base in use).
    pub fn with_budget(budget: usize) -> Scratch {
        Scratch {
            inflater: Decompress::new(true),
            delta: Vec::new(),
            pool: Vec::new(),
            budget,
            held: 0,
            peak_held: 0,
            derived_again: 0,
        }
    }

    /// The most bytes of bases this scratch ever kept at once (buffer capacities, counted after
    /// the budget was applied).
    pub fn peak_held(&self) -> usize {
        self.peak_held
    }

    /// How many times a base let go for the budget was derived again.
    pub fn derived_again(&self) -> u64 {
        self.derived_again
    }

    fn buffer(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_default()
    }

    fn recycle(&mut self, mut buffer: Vec<u8>) {
        if self.pool.len() < POOL_BUFFERS && buffer.capacity() <= POOL_BUFFER_BYTES {
            buffer.clear();
            self.pool.push(buffer);
        }
    }

    /// Gives the top frame its content, then lets other bases go while over the budget: first
    /// those cheapest to derive again (fewest deltas from the frame below), of those the one
    /// needed last (the lowest on the stack).
    fn keep(&mut self, stack: &mut [Frame], content: Vec<u8>) {
        let Some((top, below)) = stack.split_last_mut() else {
            return;
        };
        self.held += content.capacity();
        if let Some(old) = top.content.replace(content) {
            self.held -= old.capacity();
            self.recycle(old);
        }
        while self.held > self.budget {
            let victim = below
                .iter_mut()
                .enumerate()
                .filter(|(_, frame)| frame.content.is_some())
                .min_by_key(|(place, frame)| (frame.distance, *place))
                .and_then(|(_, frame)| frame.content.take());
            let Some(buffer) = victim else {
                break; // only the base in use is left
            };
            self.held -= buffer.capacity();
            self.recycle(buffer);
        }
        self.peak_held = self.peak_held.max(self.held);
    }

    /// A frame leaves the stack: its content goes back to the pool.
    fn release(&mut self, frame: Frame) {
        if let Some(content) = frame.content {
            self.held -= content.capacity();
            self.recycle(content);
        }
    }
}

/// Reads a delta header's little-endian base-128 size.
fn delta_size(delta: &[u8], at: &mut usize) -> Option<u64> {
    let mut size = 0u64;
    let mut shift = 0;
    loop {
        let byte = *delta.get(*at)?;
        *at += 1;
        if shift > 63 {
            return None;
        }
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            return Some(size);
        }
    }
}

/// Appends `piece` unless that would take `out` past `size` bytes: the result never grows its
/// buffer past the size it reserved.
fn extend_within(out: &mut Vec<u8>, piece: &[u8], size: u64) -> Result<(), Failure> {
    if (out.len() + piece.len()) as u64 > size {
        return Err(Failure::Corrupt);
    }
    out.extend_from_slice(piece);
    Ok(())
}

/// Applies git delta instructions to `base`, into `out`.
pub fn apply_delta(
    base: &[u8],
    delta: &[u8],
    limit: u64,
    out: &mut Vec<u8>,
) -> Result<(), Failure> {
    let mut at = 0;
    let base_size = delta_size(delta, &mut at).ok_or(Failure::Corrupt)?;
    let result_size = delta_size(delta, &mut at).ok_or(Failure::Corrupt)?;
    if base_size != base.len() as u64 {
        return Err(Failure::Corrupt);
    }
    if result_size > limit {
        return Err(Failure::TooLarge(result_size));
    }
    out.clear();
    out.reserve_exact(result_size as usize);
    while let Some(&op) = delta.get(at) {
        at += 1;
        if op & 0x80 != 0 {
            // Copy from the base: which offset and size bytes follow is in the op's low bits.
            let mut offset = 0usize;
            let mut size = 0usize;
            for bit in 0..4 {
                if op & (1 << bit) != 0 {
                    offset |= usize::from(*delta.get(at).ok_or(Failure::Corrupt)?) << (8 * bit);
                    at += 1;
                }
            }
            for bit in 0..3 {
                if op & (0x10 << bit) != 0 {
                    size |= usize::from(*delta.get(at).ok_or(Failure::Corrupt)?) << (8 * bit);
                    at += 1;
                }
            }
            if size == 0 {
                size = 0x10000;
            }
            let piece = offset
                .checked_add(size)
                .and_then(|end| base.get(offset..end))
                .ok_or(Failure::Corrupt)?;
            extend_within(out, piece, result_size)?;
        } else if op != 0 {
            let piece = delta
                .get(at..at + usize::from(op))
                .ok_or(Failure::Corrupt)?;
            extend_within(out, piece, result_size)?;
            at += usize::from(op);
        } else {
            return Err(Failure::Corrupt); // reserved
        }
    }
    if out.len() as u64 == result_size {
        Ok(())
    } else {
        Err(Failure::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_copy_and_insert() {
        let base = b"hello, world";
        // base 12, result 11: copy "hello" (offset 0, size 5), insert " git", copy "ld" is not
        // needed: insert "!!".
        let delta = [12, 11, 0x90, 5, 4, b' ', b'g', b'i', b't', 2, b'!', b'!'];
        let mut out = Vec::new();
        apply_delta(base, &delta, 100, &mut out).unwrap();
        assert_eq!(out, b"hello git!!");
    }

    #[test]
    fn bad_deltas_are_corrupt_not_panics() {
        let mut out = Vec::new();
        let base = b"abc";
        for delta in [
            &[3, 5, 0x91, 2, 9][..],    // copy past the end of the base
            &[4, 1, 1, b'x'][..],       // wrong base size
            &[3, 1, 0][..],             // reserved op
            &[3, 2, 5, b'x'][..],       // insert past the end of the delta
            &[3, 1, 2, b'x', b'y'][..], // result longer than declared
            &[3][..],                   // truncated header
        ] {
            assert_eq!(
                apply_delta(base, delta, 100, &mut out),
                Err(Failure::Corrupt),
                "{delta:?}"
            );
        }
        assert_eq!(
            apply_delta(base, &[3, 200, 1, 0x90, 1], 100, &mut out),
            Err(Failure::TooLarge(200))
        );
    }

    #[test]
    fn headers_parse_offsets_and_sizes() {
        // A blob of 300 bytes: 0b1_011_1100, then 300 >> 4 = 18.
        let data = [0xbc, 18];
        let header = parse_header(&data, 0).unwrap();
        assert_eq!(
            (header.code, header.size, header.data_at),
            (OBJ_BLOB, 300, 2)
        );
        // An OFS_DELTA of 5 bytes whose base is 130 bytes back: 130 = (0 + 1) * 128 + 2.
        let mut data = vec![0u8; 140];
        data[130..133].copy_from_slice(&[0x65, 0x80, 0x02]);
        let header = parse_header(&data, 130).unwrap();
        assert_eq!(header.code, OBJ_OFS_DELTA);
        assert_eq!(header.base_offset, Some(0));
        // A base before the start of the pack is refused.
        assert!(parse_header(&[0x65, 0x7f], 1).is_none());
        assert!(parse_header(&[0x80], 0).is_none());
    }

    /// Every object of a mapped pack, read family by family: (id, content).
    fn read_all(pack: &Pack) -> Vec<(Id, Vec<u8>)> {
        let mut objects = Vec::new();
        let mut scratch = Scratch::default();
        for kind in [Kind::Commit, Kind::Tree, Kind::Blob] {
            for root in pack.roots(kind) {
                pack.resolve_family(root, u64::MAX, &mut scratch, &mut |at, content| {
                    objects.push((pack.id(at), content.expect("readable").to_vec()));
                });
            }
        }
        objects.sort();
        objects
    }

    /// Pages given back, all at once or as a reading goes (a window counted at a time), come
    /// back with the same bytes: the objects read are those git itself reads.
    #[test]
    fn a_mapped_pack_reads_the_same_after_its_pages_are_given_back() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| {
            let status = std::process::Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
                .args(args)
                .current_dir(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "git {args:?}");
        };
        git(&["init", "-q"]);
        let mut next = crate::test_rng(5);
        let mut text = String::new();
        for commit in 0..30 {
            for _ in 0..200 {
                text.push_str(&format!("line {:016x}\n", next()));
            }
            std::fs::write(dir.path().join("file.txt"), &text).unwrap();
            std::fs::write(dir.path().join(format!("f{commit}.txt")), &text[..commit]).unwrap();
            git(&["add", "-A"]);
            git(&["commit", "-q", "-m", "c"]);
        }
        git(&["gc", "-q"]);
        let packs = dir.path().join(".git/objects/pack");
        let index = std::fs::read_dir(&packs)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|ext| ext == "idx"))
            .unwrap();
        let pack = Pack::open(&index).unwrap();
        let first = read_all(&pack);
        assert!(first.len() > 90, "{} objects", first.len());
        let repo = git2::Repository::open(dir.path()).unwrap();
        let odb = repo.odb().unwrap();
        for (id, content) in &first {
            let object = odb.read(git2::Oid::from_bytes(id).unwrap()).unwrap();
            assert_eq!(object.data(), &content[..]);
        }
        pack.release_pages();
        assert_eq!(read_all(&pack), first);
        // Counting past the threshold gives the pages back and starts counting again.
        let windows = pack.data.len() as u64 / WINDOW + 1;
        for _ in 0..RELEASE_AT / (windows * WINDOW) + 1 {
            pack.windows_read
                .iter()
                .for_each(|word| word.store(0, Ordering::Relaxed));
            pack.note_read(0, pack.data.len() as u64);
        }
        assert!(pack.windows_resident.load(Ordering::Relaxed) < RELEASE_AT);
        assert_eq!(read_all(&pack), first);
    }
}
