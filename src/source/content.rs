//! What a source's bytes are, decided in one place for every source: text (UTF-8 or any
//! ASCII-compatible encoding), UTF-16 text (decoded), an archive or compressed stream (which
//! an [`Expander`] can open into member chunks), or other binary data (skipped).
//!
//! Members of an archive get a nested provenance, `outer.zip!inner.jar!path`
//! ([`Provenance::member`]), which paths, allowlists and fingerprints key on.

use std::borrow::Cow;

use super::{ChangeScope, Chunk, Provenance, SkipReason, Visitor};

/// What a source's bytes are.
#[derive(Debug)]
pub enum Content<'a> {
    /// Text to scan: the bytes, or UTF-16 decoded to UTF-8.
    Text(Cow<'a, [u8]>),
    /// An archive or compressed stream.
    Archive(ArchiveFormat),
    /// Anything else that is not text.
    Binary,
}

/// The container formats told by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// zip, and what is built on it (jar, war, apk, docx, xlsx, nupkg, whl).
    Zip,
    /// gzip (`.gz`, `.tgz`).
    Gzip,
    /// bzip2.
    Bzip2,
    /// xz.
    Xz,
    /// Zstandard.
    Zstd,
    /// POSIX tar.
    Tar,
}

impl ArchiveFormat {
    /// The format whose magic bytes start `bytes` (tar's sit at offset 257).
    pub fn sniff(bytes: &[u8]) -> Option<ArchiveFormat> {
        const MAGIC: [(&[u8], ArchiveFormat); 5] = [
            (b"PK\x03\x04", ArchiveFormat::Zip),
            (b"\x1f\x8b", ArchiveFormat::Gzip),
            (b"BZh", ArchiveFormat::Bzip2),
            (b"\xfd7zXZ\x00", ArchiveFormat::Xz),
            (b"\x28\xb5\x2f\xfd", ArchiveFormat::Zstd),
        ];
        if let Some((_, format)) = MAGIC.iter().find(|(magic, _)| bytes.starts_with(magic)) {
            return Some(*format);
        }
        (bytes.get(257..262) == Some(b"ustar")).then_some(ArchiveFormat::Tar)
    }
}

/// What `bytes` are. Text is borrowed unless it had to be decoded.
pub fn classify(bytes: &[u8]) -> Content<'_> {
    if let Some(format) = ArchiveFormat::sniff(bytes) {
        // A text file may start with `BZh`; an archive is never plain text.
        if is_binary(bytes) || format != ArchiveFormat::Bzip2 {
            return Content::Archive(format);
        }
    }
    match text_of(bytes) {
        Some(text) => Content::Text(text),
        None => Content::Binary,
    }
}

/// Opens archives into their members. Sources hand archive content to one when they have it;
/// without one, an archive is skipped as binary.
pub trait Expander {
    /// Calls `member` with the name and bytes of each member of `bytes`, an archive of
    /// `format` (a compressed stream's one member is named ""); an error says why the archive
    /// could not be read, or which limit cut it (what was read is kept).
    fn expand(
        &self,
        format: ArchiveFormat,
        bytes: &[u8],
        member: &mut dyn FnMut(&str, &[u8]),
    ) -> Result<(), String>;
}

/// How many archives deep [`deliver`] opens archives inside archives.
pub const MAX_NESTING: usize = 4;

/// Gives `bytes` from `provenance` to `visitor` as what they are: a text chunk (with `scope`
/// for changes), the members of an archive when `expander` can open it (each delivered the
/// same way, nested up to [`MAX_NESTING`] deep), or a binary skip.
pub fn deliver(
    bytes: &[u8],
    provenance: &Provenance,
    scope: Option<&ChangeScope>,
    visitor: &mut dyn Visitor,
    expander: Option<&dyn Expander>,
) {
    deliver_nested(bytes, provenance, scope, visitor, expander, 0);
}

fn deliver_nested(
    bytes: &[u8],
    provenance: &Provenance,
    scope: Option<&ChangeScope>,
    visitor: &mut dyn Visitor,
    expander: Option<&dyn Expander>,
    depth: usize,
) {
    match (classify(bytes), expander) {
        (Content::Text(text), _) => visitor.chunk(Chunk {
            bytes: &text,
            provenance,
            scope,
            window: None,
        }),
        (Content::Archive(format), Some(expander)) if depth < MAX_NESTING => {
            let mut each = |name: &str, member: &[u8]| {
                // A compressed stream's one member has no name: it is the file itself.
                if name.is_empty() {
                    deliver_nested(member, provenance, None, visitor, Some(expander), depth + 1);
                } else {
                    let inner = provenance.member(name);
                    deliver_nested(member, &inner, None, visitor, Some(expander), depth + 1);
                }
            };
            if let Err(why) = expander.expand(format, bytes, &mut each) {
                visitor.error(&provenance.path, &why);
            }
        }
        (Content::Archive(_) | Content::Binary, _) => {
            visitor.skipped(provenance, SkipReason::Binary)
        }
    }
}

impl Provenance {
    /// The provenance of `name` inside the archive at `self`: `outer.zip!name`, the same
    /// commit and blob sharing.
    pub fn member(&self, name: &str) -> Provenance {
        Provenance {
            path: format!("{}!{name}", self.path),
            rel_path: format!("{}!{name}", self.rel_path),
            commit: self.commit.clone(),
            also_in: self.also_in,
        }
    }
}

/// Whether `bytes` look binary: a NUL byte in the first 8 KiB (git's and ripgrep's heuristic).
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some()
}

/// The text to scan in a file's bytes: the bytes themselves, UTF-16 text (files saved by
/// Windows tools) decoded to UTF-8, or `None` for a binary file.
pub fn text_of(bytes: &[u8]) -> Option<Cow<'_, [u8]>> {
    if !is_binary(bytes) {
        // UTF-16 holding any ASCII has NUL bytes; without them a byte order mark at the start
        // is more likely a Latin-1 `ÿþ`, and the bytes are scanned as they are.
        return Some(Cow::Borrowed(bytes));
    }
    decode_utf16(bytes).map(Cow::Owned)
}

/// `bytes` decoded from UTF-16 to UTF-8, if they are UTF-16 text: a byte order mark, or else
/// mostly ASCII characters with every other byte zero; and after decoding, few characters that
/// are not text. Positions in findings then refer to the decoded text; lines are the same.
pub fn decode_utf16(bytes: &[u8]) -> Option<Vec<u8>> {
    let (little_endian, body) = match bytes {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => {
            let head = &bytes[..bytes.len().min(8192)];
            let pairs = head.len() / 2;
            if pairs < 2 {
                return None;
            }
            let zeros_at = |parity: usize| {
                head.iter()
                    .skip(parity)
                    .step_by(2)
                    .filter(|&&b| b == 0)
                    .count()
            };
            let (even, odd) = (zeros_at(0), zeros_at(1));
            // ASCII in UTF-16LE is `c 0`, in UTF-16BE `0 c`.
            if odd * 10 >= pairs * 9 && even * 10 <= pairs {
                (true, bytes)
            } else if even * 10 >= pairs * 9 && odd * 10 <= pairs {
                (false, bytes)
            } else {
                return None;
            }
        }
    };
    let units = body.chunks_exact(2).map(|pair| {
        if little_endian {
            u16::from_le_bytes([pair[0], pair[1]])
        } else {
            u16::from_be_bytes([pair[0], pair[1]])
        }
    });
    let mut text = String::with_capacity(body.len() / 2);
    let mut not_text = 0usize;
    for unit in char::decode_utf16(units) {
        let c = unit.unwrap_or(char::REPLACEMENT_CHARACTER);
        if c == char::REPLACEMENT_CHARACTER || (c.is_control() && !c.is_whitespace()) {
            not_text += 1;
        }
        text.push(c);
    }
    let chars = body.len() / 2;
    (chars > 0 && not_text * 20 <= chars).then(|| text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
        let mut bytes = Vec::new();
        for unit in std::iter::once(0xFEFF)
            .filter(|_| bom)
            .chain(text.encode_utf16())
        {
            bytes.extend(if little_endian {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            });
        }
        bytes
    }

    #[test]
    fn utf16_text_is_decoded_with_or_without_a_byte_order_mark() {
        let text = "key = \"value\"\r\nnaïve café ✓\r\n";
        for little_endian in [true, false] {
            for bom in [true, false] {
                let bytes = utf16(text, little_endian, bom);
                assert_eq!(
                    text_of(&bytes).as_deref(),
                    Some(text.as_bytes()),
                    "little endian {little_endian}, BOM {bom}"
                );
            }
        }
    }

    #[test]
    fn plain_text_stays_borrowed_and_binary_stays_binary() {
        assert!(matches!(text_of(b"plain"), Some(Cow::Borrowed(b"plain"))));
        // Binary with NULs at random places, and UTF-16-looking bytes that decode to controls.
        let binary: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert!(text_of(&binary).is_none());
        let controls: Vec<u8> = (0..2048).flat_map(|i| [(i % 8) as u8 + 1, 0]).collect();
        assert!(text_of(&controls).is_none());
    }

    /// What a visitor was given: ("chunk" | "skipped" | "error", path, text).
    #[derive(Default)]
    struct Recorder(Vec<(&'static str, String, String)>);

    impl Visitor for Recorder {
        fn chunk(&mut self, chunk: Chunk<'_>) {
            let text = String::from_utf8_lossy(chunk.bytes).into_owned();
            self.0.push(("chunk", chunk.provenance.path.clone(), text));
        }
        fn skipped(&mut self, provenance: &Provenance, reason: SkipReason) {
            self.0
                .push(("skipped", provenance.path.clone(), format!("{reason:?}")));
        }
        fn error(&mut self, path: &str, message: &str) {
            self.0
                .push(("error", path.to_string(), message.to_string()));
        }
    }

    /// A toy zip: the magic, then `name=content` members separated by `;`, where a content of
    /// `@name` is itself a toy zip holding one member `name=secret`.
    struct ToyZip;

    impl Expander for ToyZip {
        fn expand(
            &self,
            format: ArchiveFormat,
            bytes: &[u8],
            member: &mut dyn FnMut(&str, &[u8]),
        ) -> Result<(), String> {
            assert_eq!(format, ArchiveFormat::Zip);
            let body = std::str::from_utf8(&bytes[4..]).map_err(|e| e.to_string())?;
            for entry in body.split(';') {
                let (name, content) = entry.split_once('=').ok_or("a member without a name")?;
                match content.strip_prefix('@') {
                    Some(inner) => member(name, format!("PK\x03\x04{inner}=secret").as_bytes()),
                    None => member(name, content.as_bytes()),
                }
            }
            Ok(())
        }
    }

    #[test]
    fn archive_members_are_delivered_with_nested_provenance() {
        let outer = Provenance::file("dist/app.zip", "dist/app.zip");
        let mut seen = Recorder::default();
        let archive = b"PK\x03\x04a.txt=token one;lib.jar=@conf/app.properties;b.bin=\x00\x01";
        deliver(archive, &outer, None, &mut seen, Some(&ToyZip));
        assert_eq!(
            seen.0,
            [
                ("chunk", "dist/app.zip!a.txt".into(), "token one".into()),
                (
                    "chunk",
                    "dist/app.zip!lib.jar!conf/app.properties".into(),
                    "secret".into()
                ),
                ("skipped", "dist/app.zip!b.bin".into(), "Binary".into()),
            ]
        );
        let member = outer.member("a.txt");
        assert_eq!(member.rel_path, "dist/app.zip!a.txt");
    }

    #[test]
    fn without_an_expander_or_past_the_nesting_limit_archives_are_skipped_as_binary() {
        let outer = Provenance::file("a.zip", "a.zip");
        let mut seen = Recorder::default();
        deliver(b"PK\x03\x04x=y", &outer, None, &mut seen, None);
        assert_eq!(seen.0, [("skipped", "a.zip".into(), "Binary".into())]);
        // An archive holding itself (a zip quine) stops at the nesting limit.
        struct Quine;
        impl Expander for Quine {
            fn expand(
                &self,
                _: ArchiveFormat,
                bytes: &[u8],
                member: &mut dyn FnMut(&str, &[u8]),
            ) -> Result<(), String> {
                member("self.zip", bytes);
                Err("truncated".into())
            }
        }
        let mut seen = Recorder::default();
        deliver(b"PK\x03\x04", &outer, None, &mut seen, Some(&Quine));
        let skipped: Vec<_> = seen.0.iter().filter(|e| e.0 == "skipped").collect();
        assert_eq!(skipped.len(), 1);
        assert_eq!(skipped[0].1.matches("!self.zip").count(), MAX_NESTING);
        assert_eq!(
            seen.0.iter().filter(|e| e.0 == "error").count(),
            MAX_NESTING
        );
    }

    #[test]
    fn formats_are_told_by_their_magic_bytes() {
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        let cases: [(&[u8], Option<ArchiveFormat>); 6] = [
            (b"PK\x03\x04rest", Some(ArchiveFormat::Zip)),
            (b"\x1f\x8b\x08\x00", Some(ArchiveFormat::Gzip)),
            (b"\xfd7zXZ\x00\x00", Some(ArchiveFormat::Xz)),
            (b"\x28\xb5\x2f\xfd\x00", Some(ArchiveFormat::Zstd)),
            (&tar, Some(ArchiveFormat::Tar)),
            (b"PK is not a zip", None),
        ];
        for (bytes, format) in cases {
            assert_eq!(ArchiveFormat::sniff(bytes), format);
        }
        // Text that happens to start like bzip2 is still text.
        assert!(matches!(classify(b"BZh is a word here"), Content::Text(_)));
        assert!(matches!(
            classify(b"BZh91AY&SY\x00\x01"),
            Content::Archive(ArchiveFormat::Bzip2)
        ));
    }
}
