//! Sources turn inputs into [`Chunk`]s: bytes plus where they came from. A source knows
//! nothing of rules or output. A parallel source runs its own threads and asks a factory for
//! one [`Visitor`] per thread, so each worker owns its scanner without locks (the shape of
//! `ignore::ParallelVisitorBuilder`).

pub mod archive;
pub mod content;
pub mod diff;
pub mod fs;
pub mod git;
pub mod gitignore;
pub mod held;
pub mod history;
pub mod image;
pub mod limited;
pub mod needles;
pub mod pack;
pub mod stdin;

pub use content::{classify, decode_utf16, is_binary, text_of, Content};

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

/// A source that cannot start: not a repository, a bad revision range, an unreadable index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The path is not inside a git repository.
    #[error("{}: not a git repository", .0.display())]
    NotARepository(PathBuf),
    /// A revision or range does not resolve.
    #[error("{0}")]
    Revision(String),
    /// Another git error, with what was being done.
    #[error("{context}: {message}")]
    Git {
        /// What was being done.
        context: String,
        /// libgit2's message.
        message: String,
    },
}

impl Error {
    /// A git error while doing `context`.
    pub fn git(context: impl Into<String>, err: &git2::Error) -> Error {
        Error::Git {
            context: context.into(),
            message: err.message().to_string(),
        }
    }
}

/// Where a chunk came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The path as shown to the user.
    pub path: String,
    /// The path relative to the project root, `/`-separated (fingerprints, allowlists).
    pub rel_path: String,
    /// The commit that introduced this content (git sources).
    pub commit: Option<Arc<Commit>>,
    /// History: how many other tree snapshots (other commits or paths) hold the same blob.
    pub also_in: Option<u32>,
}

impl Provenance {
    /// A provenance for a path outside git.
    pub fn file(path: impl Into<String>, rel_path: impl Into<String>) -> Provenance {
        Provenance {
            path: path.into(),
            rel_path: rel_path.into(),
            commit: None,
            also_in: None,
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
    /// Position in the topological order of the commits scanned, parents before children
    /// (never by timestamp, which ties and lies): what "first" means (not reported).
    #[serde(skip)]
    pub sequence: u32,
    /// Committer time, seconds since the epoch (`--since`; not reported).
    #[serde(skip)]
    pub time: i64,
}

/// Bytes to scan and their provenance. `Debug` shows the length, never the content.
#[derive(Clone, Copy)]
pub struct Chunk<'a> {
    /// The content.
    pub bytes: &'a [u8],
    /// Where it came from.
    pub provenance: &'a Provenance,
    /// For changes (staged, commit ranges): only findings on added lines count.
    pub scope: Option<&'a ChangeScope>,
    /// For an input read in windows (standard input, files over the size limit): where this
    /// window lies; `None` for an input read whole.
    pub window: Option<Window>,
}

/// Where one window of an input read in windows lies (see [`read_in_windows`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Lines of the input before the window's first byte.
    pub lines_before: usize,
    /// Findings whose secret starts at or after this byte of the window are left to the next
    /// window, which holds them whole.
    pub owned_end: usize,
    /// Whether this is the input's first window (it counts the input once; file rules run on
    /// it).
    pub first: bool,
}

/// Bytes of an input scanned at once when it is read in windows.
pub const WINDOW_SIZE: usize = 16 << 20;
/// Bytes each window shares with the next: no match of any rule is longer (rules are bounded
/// by lines, and the longest multi-line ones, PEM blocks, are a few KiB), so a match that the
/// end of one window cuts lies whole in the next.
pub const WINDOW_OVERLAP: usize = 1 << 20;

/// Reads `reader` to its end in overlapping windows of `window` bytes plus `overlap` and
/// gives each to `visitor`, in bounded memory whatever the input's size. Windows after the
/// first start at a line boundary where the overlap holds one. An input that is binary in its
/// first window is skipped; UTF-16 text is decoded when it fits one window, and otherwise
/// scanned as it is, with a warning.
pub fn read_in_windows(
    reader: &mut dyn std::io::Read,
    provenance: &Provenance,
    visitor: &mut dyn Visitor,
    window: usize,
    overlap: usize,
) {
    let mut buffer: Vec<u8> = Vec::new();
    let mut lines_before = 0;
    let mut first = true;
    loop {
        let target = buffer.len() + window;
        let mut filled = buffer.len();
        buffer.resize(target, 0);
        let mut end_of_input = false;
        while filled < target {
            match reader.read(&mut buffer[filled..]) {
                Ok(0) => {
                    end_of_input = true;
                    break;
                }
                Ok(read) => filled += read,
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => {
                    buffer.truncate(filled);
                    visitor.error(&provenance.path, &err.to_string());
                    return;
                }
            }
        }
        buffer.truncate(filled);
        if first {
            match (classify(&buffer), end_of_input) {
                (Content::Text(Cow::Borrowed(_)), _) => {}
                (Content::Text(Cow::Owned(text)), true) => {
                    return visitor.chunk(Chunk {
                        bytes: &text,
                        provenance,
                        scope: None,
                        window: None,
                    });
                }
                (Content::Text(Cow::Owned(_)), false) => visitor.error(
                    &provenance.path,
                    "UTF-16 text larger than one window: scanned as bytes, not decoded",
                ),
                (Content::Archive(_) | Content::Binary, _) => {
                    return visitor.skipped(provenance, SkipReason::Binary)
                }
            }
        }
        if end_of_input {
            let whole = first;
            return visitor.chunk(Chunk {
                bytes: &buffer,
                provenance,
                scope: None,
                window: (!whole).then_some(Window {
                    lines_before,
                    owned_end: buffer.len(),
                    first,
                }),
            });
        }
        // The next window starts `overlap` bytes (or a little more, to a line start) back.
        let cut = buffer.len().saturating_sub(overlap);
        let line_start = memchr::memrchr(b'\n', &buffer[cut.saturating_sub(overlap)..cut])
            .map(|at| cut.saturating_sub(overlap) + at + 1);
        let next = line_start.unwrap_or(cut);
        visitor.chunk(Chunk {
            bytes: &buffer,
            provenance,
            scope: None,
            window: Some(Window {
                lines_before,
                owned_end: next,
                first,
            }),
        });
        lines_before += memchr::memchr_iter(b'\n', &buffer[..next]).count();
        buffer.drain(..next);
        first = false;
    }
}

/// What a change added to a file: findings must touch an added line, and a secret the
/// previous version already held is not new. `Debug` never shows the previous content.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChangeScope {
    /// 1-based numbers of the added lines, sorted.
    pub added_lines: Vec<u32>,
    /// The file before the change (empty for a new file).
    pub previous: Vec<u8>,
}

impl std::fmt::Debug for Chunk<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunk")
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("provenance", self.provenance)
            .field("scope", &self.scope)
            .finish()
    }
}

impl std::fmt::Debug for ChangeScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeScope")
            .field("added_lines", &self.added_lines)
            .field("previous", &format_args!("<{} bytes>", self.previous.len()))
            .finish()
    }
}

impl ChangeScope {
    /// Whether a secret on lines `first..=last` is part of the change: one of its lines is
    /// added, and the previous version did not already contain it.
    pub fn covers(&self, first: usize, last: usize, secret: &[u8]) -> bool {
        let start = self
            .added_lines
            .partition_point(|&line| (line as usize) < first);
        let touches_added = self
            .added_lines
            .get(start)
            .is_some_and(|&line| line as usize <= last);
        touches_added && memchr::memmem::find(&self.previous, secret).is_none()
    }
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
    /// Excluded by `.gitignore` (or `.git/info/exclude`): a file, or a directory not entered.
    Ignored,
}

/// Receives what a source produces, on one thread.
pub trait Visitor: Send {
    /// A chunk to scan.
    fn chunk(&mut self, chunk: Chunk<'_>);
    /// An input that was passed over on purpose (its path still counts for file rules).
    fn skipped(&mut self, provenance: &Provenance, reason: SkipReason);
    /// An input that could not be read; the scan goes on.
    fn error(&mut self, path: &str, message: &str);
    /// Content whose path is not known yet (history reads blobs in pack order and learns the
    /// paths of a few of them afterwards). Returns whether it could hold a finding under some
    /// path; if not, it counts as scanned and is not delivered again. If so (and by default),
    /// the source delivers it later as a [`Chunk`].
    fn prescreen(&mut self, _bytes: &[u8]) -> bool {
        true
    }
    /// Content skipped (binary, too large) before its path is known. Returns whether the source
    /// must deliver it again with its path, through [`Visitor::skipped`] (when skipped inputs
    /// are listed by path; and by default); if not, it is counted now. File rules, which do
    /// need the path, are the source's to look after (see [`Visitor::file_names`]).
    fn prescreen_skipped(&mut self, _reason: SkipReason) -> bool {
        true
    }
    /// Content a [`Visitor::prescreen`] passed as clean, now with its provenance, because its
    /// name matches a file rule: only the checks that look at paths run.
    fn path_checks(&mut self, _provenance: &Provenance, _bytes: &[u8]) {}
    /// Which file names the file rules flag (none by default).
    fn file_names(&self) -> Option<Box<dyn NameFilter>> {
        None
    }
}

/// Which file names the file rules flag, as a source that learns paths late (history) asks it:
/// a test on a file's name alone where that decides, else on its whole path. The engine's
/// `FileNames` is one (the impl sits in `scan`, which wires the two); the source only asks.
pub trait NameFilter: Send + Sync {
    /// Whether no file is ever flagged.
    fn is_empty(&self) -> bool;
    /// Whether a file's name alone decides (see [`NameFilter::may_match_name`]).
    fn by_name(&self) -> bool;
    /// Whether a file named `name` (in any directory) may be flagged. Exact when
    /// [`NameFilter::by_name`]; otherwise use [`NameFilter::matches_path`].
    fn may_match_name(&self, name: &[u8]) -> bool;
    /// Whether the file at `path` is flagged.
    fn matches_path(&self, path: &str) -> bool;
}

/// The [`NameFilter`] that flags nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNames;

impl NameFilter for NoNames {
    fn is_empty(&self) -> bool {
        true
    }
    fn by_name(&self) -> bool {
        true
    }
    fn may_match_name(&self, _name: &[u8]) -> bool {
        false
    }
    fn matches_path(&self, _path: &str) -> bool {
        false
    }
}

/// Makes one visitor per worker thread.
pub type VisitorFactory<'v> = dyn Fn() -> Box<dyn Visitor + 'v> + Sync + 'v;

/// Something that produces chunks.
pub trait Source {
    /// Produces every chunk, on up to `threads` threads, each with its own visitor.
    fn run<'v>(&self, threads: usize, make_visitor: &VisitorFactory<'v>);
}

/// A source over chunks held in memory, for tests and for library users.
#[derive(Debug, Default)]
pub struct VecSource {
    /// `(provenance, bytes)` pairs (in order on each thread).
    pub chunks: Vec<(Provenance, Vec<u8>)>,
}

impl Source for VecSource {
    /// The chunks are dealt round-robin to `threads` threads, each with its own visitor.
    fn run<'v>(&self, threads: usize, make_visitor: &VisitorFactory<'v>) {
        let threads = threads.clamp(1, self.chunks.len().max(1));
        std::thread::scope(|scope| {
            for first in 0..threads {
                scope.spawn(move || {
                    let mut visitor = make_visitor();
                    for (provenance, bytes) in self.chunks.iter().skip(first).step_by(threads) {
                        visitor.chunk(Chunk {
                            bytes,
                            provenance,
                            scope: None,
                            window: None,
                        });
                    }
                });
            }
        });
    }
}
