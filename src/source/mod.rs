//! Sources turn inputs into [`Chunk`]s: bytes plus where they came from. A source knows
//! nothing of rules or output. A parallel source runs its own threads and asks a factory for
//! one [`Visitor`] per thread, so each worker owns its scanner without locks (the shape of
//! `ignore::ParallelVisitorBuilder`).

pub mod fs;
pub mod stdin;

use std::sync::Arc;

use serde::Serialize;

/// Where a chunk came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The path as shown to the user.
    pub path: String,
    /// The path relative to the project root, `/`-separated (fingerprints, allowlists).
    pub rel_path: String,
    /// The commit that introduced this content (git sources).
    pub commit: Option<Arc<Commit>>,
}

impl Provenance {
    /// A provenance for a path outside git.
    pub fn file(path: impl Into<String>, rel_path: impl Into<String>) -> Provenance {
        Provenance {
            path: path.into(),
            rel_path: rel_path.into(),
            commit: None,
        }
    }
}

/// A commit, as reported with a git finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commit {
    /// Full hex object id.
    pub id: String,
    /// Author name.
    pub author: String,
    /// Author e-mail.
    pub email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// First line of the message.
    pub message: String,
}

/// Bytes to scan and their provenance.
#[derive(Debug, Clone, Copy)]
pub struct Chunk<'a> {
    /// The content.
    pub bytes: &'a [u8],
    /// Where it came from.
    pub provenance: &'a Provenance,
}

/// Why an input was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// A NUL byte in the first 8 KiB.
    Binary,
    /// Larger than `--max-file-size` (the size in bytes).
    TooLarge(u64),
    /// A symbolic link: never followed, so a scan cannot leave the tree or loop.
    Symlink,
}

/// Receives what a source produces, on one thread.
pub trait Visitor: Send {
    /// A chunk to scan.
    fn chunk(&mut self, chunk: Chunk<'_>);
    /// An input that was passed over on purpose.
    fn skipped(&mut self, path: &str, reason: SkipReason);
    /// An input that could not be read; the scan goes on.
    fn error(&mut self, path: &str, message: &str);
}

/// Makes one visitor per worker thread.
pub type VisitorFactory<'v> = dyn Fn() -> Box<dyn Visitor + 'v> + Sync + 'v;

/// Something that produces chunks.
pub trait Source {
    /// Produces every chunk, on up to `threads` threads, each with its own visitor.
    fn run<'v>(&self, threads: usize, make_visitor: &VisitorFactory<'v>);
}

/// Whether `bytes` look binary: a NUL byte in the first 8 KiB (git's and ripgrep's heuristic).
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
}

/// A source over chunks held in memory, for tests and for library users.
#[derive(Debug, Default)]
pub struct VecSource {
    /// `(provenance, bytes)` pairs, produced in order on one thread.
    pub chunks: Vec<(Provenance, Vec<u8>)>,
}

impl Source for VecSource {
    fn run<'v>(&self, _threads: usize, make_visitor: &VisitorFactory<'v>) {
        let mut visitor = make_visitor();
        for (provenance, bytes) in &self.chunks {
            visitor.chunk(Chunk { bytes, provenance });
        }
    }
}
