//! Standard input as one chunk, path `<stdin>`.

use std::io::Read;

use super::{text_of, Chunk, Provenance, SkipReason, Source, VisitorFactory};

/// The path shown for standard input.
pub const STDIN_PATH: &str = "<stdin>";

/// Reads all of a reader (standard input) and scans it as one chunk.
pub struct StdinSource<R> {
    reader: std::sync::Mutex<R>,
    max_size: u64,
}

impl<R: Read> StdinSource<R> {
    /// A source over `reader`, skipped when longer than `max_size` bytes.
    pub fn new(reader: R, max_size: u64) -> Self {
        StdinSource {
            reader: std::sync::Mutex::new(reader),
            max_size,
        }
    }
}

impl<R: Read> Source for StdinSource<R> {
    fn run<'v>(&self, _threads: usize, make_visitor: &VisitorFactory<'v>) {
        let mut visitor = make_visitor();
        let mut bytes = Vec::new();
        let read = match self.reader.lock() {
            Ok(mut reader) => reader
                .by_ref()
                .take(self.max_size.saturating_add(1))
                .read_to_end(&mut bytes),
            Err(_) => Err(std::io::Error::other("standard input is unavailable")),
        };
        let provenance = Provenance::file(STDIN_PATH, STDIN_PATH);
        if let Err(err) = read {
            visitor.error(STDIN_PATH, &err.to_string());
        } else if bytes.len() as u64 > self.max_size {
            visitor.skipped(&provenance, SkipReason::TooLarge(bytes.len() as u64));
        } else {
            match text_of(&bytes) {
                Some(text) => visitor.chunk(Chunk {
                    bytes: &text,
                    provenance: &provenance,
                    scope: None,
                }),
                None => visitor.skipped(&provenance, SkipReason::Binary),
            }
        }
    }
}
