//! Archives and compressed files, opened into their members in memory: zip and the formats
//! built on it (jar, war, ear, apk, aar, whl, egg, nupkg, vsix, xpi, ipa), tar, and gzip,
//! bzip2, xz and zstd streams (a `.tar.gz` is a gzip stream holding a tar). Nothing is ever
//! written to disk, and a member's name is only a label in the finding's path
//! (`dist/app.apk!res/config.properties`), never a path to open.
//!
//! Limits stop decompression bombs: a member larger than `--max-file-size`, members that
//! expand more than [`ArchiveLimits::max_ratio`] times their compressed size, more than
//! [`ArchiveLimits::max_total_bytes`] expanded from one file on disk (nested archives
//! included), more than [`ArchiveLimits::max_entries`] members. Each limit hit is reported;
//! what was read before it is scanned.

use std::cell::{Cell, RefCell};
use std::io::{Cursor, Read, Write};

use super::content::{ArchiveFormat, Expander};

/// How far an archive may expand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Bytes of one member, expanded (`--max-file-size`).
    pub max_member_size: u64,
    /// Bytes expanded from one file on disk, over all its members and nested archives.
    pub max_total_bytes: u64,
    /// Members read from one file on disk, nested archives included.
    pub max_entries: u64,
    /// Expanded bytes per compressed byte of a member or stream (zip bombs reach thousands).
    pub max_ratio: u64,
}

impl ArchiveLimits {
    /// The defaults, with members up to `max_member_size` bytes.
    pub fn new(max_member_size: u64) -> ArchiveLimits {
        ArchiveLimits {
            max_member_size,
            max_total_bytes: 1 << 30,
            max_entries: 100_000,
            max_ratio: 200,
        }
    }
}

/// Opens the archives of one file on disk (or one blob), keeping count of what they expanded
/// to against the limits. Make a new one per file: the budget is the file's.
pub struct ArchiveExpander {
    limits: ArchiveLimits,
    expanded: Cell<u64>,
    entries: Cell<u64>,
    /// The limits hit, worded for the report, each once.
    hits: RefCell<Vec<String>>,
}

impl ArchiveExpander {
    /// An expander with a fresh budget.
    pub fn new(limits: ArchiveLimits) -> ArchiveExpander {
        ArchiveExpander {
            limits,
            expanded: Cell::new(0),
            entries: Cell::new(0),
            hits: RefCell::new(Vec::new()),
        }
    }

    fn hit(&self, what: String) {
        let mut hits = self.hits.borrow_mut();
        if !hits.contains(&what) {
            hits.push(what);
        }
    }

    /// Takes one more member from the budget; false when the entry limit is reached.
    fn count_entry(&self) -> bool {
        if self.entries.get() >= self.limits.max_entries {
            self.hit(format!(
                "more than {} members: the rest not read",
                self.limits.max_entries
            ));
            return false;
        }
        self.entries.set(self.entries.get() + 1);
        true
    }

    /// The most bytes `compressed` bytes may expand to by the ratio limit (small members
    /// compress poorly: the ratio applies beyond the first 64 KiB).
    fn ratio_cap(&self, compressed: u64) -> u64 {
        compressed
            .saturating_mul(self.limits.max_ratio)
            .max(64 * 1024)
    }

    /// The most bytes a member may expand to, given `by_ratio` from the ratio limit, and the
    /// limit that sets it (the one to report when the member is cut there).
    fn cap_for(&self, by_ratio: u64) -> (u64, Limit) {
        let remaining = self
            .limits
            .max_total_bytes
            .saturating_sub(self.expanded.get());
        [
            (self.limits.max_member_size, Limit::MemberSize),
            (remaining, Limit::Total),
            (by_ratio, Limit::Ratio),
        ]
        .into_iter()
        .min_by_key(|(cap, _)| *cap)
        .unwrap_or((0, Limit::Total))
    }

    /// Reports a limit that `name` ("" for a stream's content) hit.
    fn report(&self, limit: Limit, name: &str) {
        let name = if name.is_empty() { "content" } else { name };
        self.hit(match limit {
            Limit::MemberSize => format!(
                "{name}: larger than {} bytes expanded: not scanned",
                self.limits.max_member_size
            ),
            Limit::Total => format!(
                "more than {} bytes expanded in all: the rest not read",
                self.limits.max_total_bytes
            ),
            Limit::Ratio => format!(
                "{name}: expands more than {} times its compressed size (a decompression bomb?): not scanned",
                self.limits.max_ratio
            ),
        });
    }

    /// Reads `reader` within the limits, `by_ratio` being the most the ratio limit lets it
    /// expand to. A member a limit cuts is reported and not scanned: a bomb's first gigabyte
    /// is no file anyone wrote.
    fn read_member(&self, name: &str, reader: &mut dyn Read, by_ratio: u64) -> ReadOutcome {
        let (cap, limit) = self.cap_for(by_ratio);
        let mut bytes = Vec::new();
        let read = reader.take(cap.saturating_add(1)).read_to_end(&mut bytes);
        self.expanded
            .set(self.expanded.get() + (bytes.len() as u64).min(cap));
        if let Err(err) = read {
            return ReadOutcome::Failed(format!("{name}: {err}"));
        }
        if bytes.len() as u64 <= cap {
            return ReadOutcome::Whole(bytes);
        }
        self.report(limit, name);
        ReadOutcome::Cut
    }

    /// Reads one member and hands it to `member`, or notes why it could not be read.
    fn take_member(
        &self,
        name: &str,
        reader: &mut dyn Read,
        by_ratio: u64,
        member: &mut dyn FnMut(&str, &[u8]),
        unreadable: &mut Vec<String>,
    ) {
        match self.read_member(name, reader, by_ratio) {
            ReadOutcome::Whole(content) => member(name, &content),
            ReadOutcome::Cut => {}
            ReadOutcome::Failed(why) => unreadable.push(why),
        }
    }

    fn expand_zip(&self, bytes: &[u8], member: &mut dyn FnMut(&str, &[u8])) -> Result<(), String> {
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|err| format!("cannot read zip archive: {err}"))?;
        let mut unreadable = Vec::new();
        for index in 0..archive.len() {
            let mut file = match archive.by_index(index) {
                Ok(file) => file,
                Err(err) => {
                    unreadable.push(format!("member {index}: {err}"));
                    continue;
                }
            };
            if file.is_dir() {
                continue;
            }
            if !self.count_entry() {
                break;
            }
            let name = safe_name(&String::from_utf8_lossy(file.name_raw()));
            let by_ratio = self.ratio_cap(file.compressed_size());
            self.take_member(&name, &mut file, by_ratio, member, &mut unreadable);
        }
        report_unreadable(unreadable)
    }

    /// A tar archive read from `reader`: a tar file's bytes, or a compressed stream that
    /// holds one (`stream`: its compressed size and the count of bytes decompressed so far),
    /// read member by member so that a `.tar.gz` larger than a member may be is still read.
    fn expand_tar(
        &self,
        reader: impl Read,
        stream: Option<(u64, &Cell<u64>)>,
        member: &mut dyn FnMut(&str, &[u8]),
    ) -> Result<(), String> {
        let mut archive = tar::Archive::new(reader);
        let entries = archive
            .entries()
            .map_err(|err| format!("cannot read tar archive: {err}"))?;
        let mut unreadable = Vec::new();
        for entry in entries {
            // Skipping a member decompresses it too: a stream stops at its ratio or the
            // file's budget whatever was scanned of it.
            if let Some((compressed, decompressed)) = stream {
                if decompressed.get() > self.ratio_cap(compressed) {
                    self.report(Limit::Ratio, "");
                    break;
                }
                if decompressed.get() > self.limits.max_total_bytes {
                    self.report(Limit::Total, "");
                    break;
                }
            }
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    // A tar stream cannot be read past a broken header.
                    unreadable.push(format!("cannot read tar archive further: {err}"));
                    break;
                }
            };
            if !entry.header().entry_type().is_file() {
                continue; // directories, links, devices: no content of their own
            }
            if !self.count_entry() {
                break;
            }
            let name = safe_name(&String::from_utf8_lossy(&entry.path_bytes()));
            // A tar member is stored: only a compressed stream around it has a ratio.
            let by_ratio = stream.map_or(u64::MAX, |(compressed, decompressed)| {
                self.ratio_cap(compressed)
                    .saturating_sub(decompressed.get())
            });
            self.take_member(&name, &mut entry, by_ratio, member, &mut unreadable);
        }
        report_unreadable(unreadable)
    }

    /// A compressed stream: its content is the one member, named "" (the file itself, so a
    /// `config.json.gz` finding is at `config.json.gz`, a `.tar.gz` member at `x.tar.gz!m`).
    fn expand_stream(
        &self,
        format: ArchiveFormat,
        bytes: &[u8],
        member: &mut dyn FnMut(&str, &[u8]),
    ) -> Result<(), String> {
        if !self.count_entry() {
            return Ok(());
        }
        let compressed = bytes.len() as u64;
        let decompressed = Cell::new(0);
        let decoder = match format {
            // xz's decoder writes rather than reads: its content is read whole.
            ArchiveFormat::Xz => return self.deliver_stream(format, self.read_xz(bytes), member),
            ArchiveFormat::Zip | ArchiveFormat::Tar => return Ok(()),
            _ => stream_decoder(format, bytes)
                .map_err(|err| format!("cannot decompress {}: {err}", format_name(format)))?,
        };
        let mut decoder = Counting {
            inner: decoder,
            count: &decompressed,
        };
        // A tar inside is read member by member, straight from the decoder.
        let mut head = Vec::new();
        if let Err(err) = (&mut decoder).take(512).read_to_end(&mut head) {
            let why = ReadOutcome::Failed(err.to_string());
            return self.deliver_stream(format, why, member);
        }
        let mut reader = Cursor::new(head).chain(decoder);
        if ArchiveFormat::sniff(reader.get_ref().0.get_ref()) == Some(ArchiveFormat::Tar) {
            return self.expand_tar(reader, Some((compressed, &decompressed)), member);
        }
        let outcome = self.read_member("", &mut reader, self.ratio_cap(compressed));
        self.deliver_stream(format, outcome, member)
    }

    /// Hands a stream's content, read whole, to `member`, or says why it could not be read.
    fn deliver_stream(
        &self,
        format: ArchiveFormat,
        outcome: ReadOutcome,
        member: &mut dyn FnMut(&str, &[u8]),
    ) -> Result<(), String> {
        match outcome {
            ReadOutcome::Whole(content) => {
                member("", &content);
                Ok(())
            }
            ReadOutcome::Cut => Ok(()),
            ReadOutcome::Failed(why) => Err(format!(
                "cannot decompress {}: {}",
                format_name(format),
                why.trim_start_matches(": ")
            )),
        }
    }

    /// xz: the decoder writes rather than reads, so the limits sit in the writer.
    fn read_xz(&self, bytes: &[u8]) -> ReadOutcome {
        let (cap, limit) = self.cap_for(self.ratio_cap(bytes.len() as u64));
        let mut output = CappedWriter {
            bytes: Vec::new(),
            cap,
        };
        let result = lzma_rs::xz_decompress(&mut Cursor::new(bytes), &mut output);
        self.expanded
            .set(self.expanded.get() + output.bytes.len() as u64);
        match result {
            Ok(()) => ReadOutcome::Whole(output.bytes),
            Err(_) if output.full() => {
                self.report(limit, "");
                ReadOutcome::Cut
            }
            Err(err) => ReadOutcome::Failed(err.to_string()),
        }
    }
}

/// The limits an archive can hit.
#[derive(Clone, Copy)]
enum Limit {
    MemberSize,
    Total,
    Ratio,
}

enum ReadOutcome {
    Whole(Vec<u8>),
    /// A limit cut it; already reported.
    Cut,
    Failed(String),
}

/// A reader that counts the bytes it gave.
struct Counting<'c, R> {
    inner: R,
    count: &'c Cell<u64>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.count.set(self.count.get() + read as u64);
        Ok(read)
    }
}

/// A writer that refuses to hold more than `cap` bytes.
struct CappedWriter {
    bytes: Vec<u8>,
    cap: u64,
}

impl CappedWriter {
    fn full(&self) -> bool {
        self.bytes.len() as u64 >= self.cap
    }
}

impl Write for CappedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let room = (self.cap as usize).saturating_sub(self.bytes.len());
        if room == 0 {
            return Err(std::io::Error::other("output limit"));
        }
        let taken = buf.len().min(room);
        self.bytes.extend_from_slice(&buf[..taken]);
        Ok(taken)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Expander for ArchiveExpander {
    fn expand(
        &self,
        format: ArchiveFormat,
        bytes: &[u8],
        member: &mut dyn FnMut(&str, &[u8]),
    ) -> Result<(), String> {
        let result = match format {
            ArchiveFormat::Zip => self.expand_zip(bytes, member),
            ArchiveFormat::Tar => self.expand_tar(Cursor::new(bytes), None, member),
            _ => self.expand_stream(format, bytes, member),
        };
        let hits = std::mem::take(&mut *self.hits.borrow_mut());
        match (result, hits.is_empty()) {
            (Ok(()), true) => Ok(()),
            (Ok(()), false) => Err(format!("archive limit: {}", hits.join("; "))),
            (Err(why), true) => Err(why),
            (Err(why), false) => Err(format!("{why}; archive limit: {}", hits.join("; "))),
        }
    }
}

/// A reader of what the gzip, bzip2 or zstd stream `compressed` holds (the content of any
/// other format is `compressed` itself). xz is not here: its decoder writes rather than reads.
pub fn stream_decoder<'r>(
    format: ArchiveFormat,
    compressed: impl Read + 'r,
) -> std::io::Result<Box<dyn Read + 'r>> {
    Ok(match format {
        ArchiveFormat::Gzip => Box::new(flate2::read::MultiGzDecoder::new(compressed)),
        ArchiveFormat::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(compressed)),
        ArchiveFormat::Zstd => Box::new(zstd::stream::read::Decoder::new(compressed)?),
        _ => Box::new(compressed),
    })
}

/// A member's name as a label: control characters (a terminal escape in a crafted name)
/// written as `\xNN`, a leading `/` and every `..` kept visible but harmless, since the name
/// is never opened.
pub fn safe_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_control() {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push(c);
        }
    }
    if out.is_empty() {
        out.push_str("(unnamed)");
    }
    out
}

fn report_unreadable(unreadable: Vec<String>) -> Result<(), String> {
    match unreadable.len() {
        0 => Ok(()),
        1 => Err(format!("unreadable member: {}", unreadable[0])),
        n => Err(format!("{n} unreadable members, first: {}", unreadable[0])),
    }
}

fn format_name(format: ArchiveFormat) -> &'static str {
    match format {
        ArchiveFormat::Zip => "zip",
        ArchiveFormat::Gzip => "gzip",
        ArchiveFormat::Bzip2 => "bzip2",
        ArchiveFormat::Xz => "xz",
        ArchiveFormat::Zstd => "zstd",
        ArchiveFormat::Tar => "tar",
    }
}
