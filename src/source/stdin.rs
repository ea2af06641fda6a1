//! Standard input, path `<stdin>`: read to its end in overlapping windows, so input of any
//! size is scanned in bounded memory (see [`read_in_windows`]).

use std::io::Read;

use super::{read_in_windows, Provenance, Source, VisitorFactory, WINDOW_OVERLAP, WINDOW_SIZE};

/// The path shown for standard input.
pub const STDIN_PATH: &str = "<stdin>";

/// Scans all of a reader (standard input), whatever its size.
pub struct StdinSource<R> {
    reader: std::sync::Mutex<R>,
    window: usize,
    overlap: usize,
}

impl<R: Read> StdinSource<R> {
    /// A source over `reader`, read in windows of the default size.
    pub fn new(reader: R) -> Self {
        Self::with_windows(reader, WINDOW_SIZE, WINDOW_OVERLAP)
    }

    /// A source over `reader` read in windows of `window` bytes, each sharing `overlap` bytes
    /// with the next (tests use small ones).
    pub fn with_windows(reader: R, window: usize, overlap: usize) -> Self {
        StdinSource {
            reader: std::sync::Mutex::new(reader),
            window: window.max(1),
            overlap,
        }
    }
}

impl<R: Read> Source for StdinSource<R> {
    fn run<'v>(&self, _threads: usize, make_visitor: &VisitorFactory<'v>) {
        let mut visitor = make_visitor();
        let provenance = Provenance::file(STDIN_PATH, STDIN_PATH);
        match self.reader.lock() {
            Ok(mut reader) => read_in_windows(
                &mut *reader,
                &provenance,
                &mut *visitor,
                self.window,
                self.overlap,
            ),
            Err(_) => visitor.error(STDIN_PATH, "standard input is unavailable"),
        }
    }
}
