//! Container images: a `docker save` tarball or an OCI image layout in a tar (`leakhound image
//! FILE.tar`). Every layer's files are scanned, those a later layer deletes too (they are still
//! in the image, for anyone who pulls it), and the image config (its `Env`, its build history's
//! commands). Nothing is written to disk and nothing is run.
//!
//! The tarball is read twice, as a stream: first for its small JSON documents (the manifest,
//! the index, the configs), then for the layers, each decompressed (gzip, zstd) and read
//! member by member, so a layer of any size costs the memory of its largest file. A finding
//! names the chain: `app.tar!layer-2@sha256:0123456789ab!etc/app/config.env` (the layer's place
//! and the short digest of its blob, or its directory's id in a legacy `docker save`),
//! `app.tar!config`.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::archive::{safe_name, stream_decoder, ArchiveExpander, ArchiveLimits};
use super::content::{deliver, ArchiveFormat, Expander};
use super::{Provenance, SkipReason, Source, Visitor, VisitorFactory};

/// JSON documents larger than this are not an image's manifest, index or config.
const MAX_DOCUMENT: u64 = 16 * 1024 * 1024;

/// Options for [`ImageSource`].
#[derive(Debug, Clone)]
pub struct ImageOptions {
    /// The image tarball.
    pub path: PathBuf,
    /// Files in layers larger than this are skipped (and counted).
    pub max_file_size: u64,
    /// Archives inside the layers (a `.jar`, a `.whl`) are opened with these limits; `None`:
    /// skipped as binary.
    pub archives: Option<ArchiveLimits>,
}

/// A container image tarball as a source.
#[derive(Debug)]
pub struct ImageSource {
    options: ImageOptions,
    /// The tarball's name as findings show it.
    shown: String,
    layout: Layout,
}

/// What the image's manifest says: its configs and its layers, in order.
#[derive(Debug, Default)]
struct Layout {
    /// Member names of the image configs.
    configs: Vec<String>,
    /// Member name of each layer, with its label (`layer-1@sha256:...` is the base).
    layers: HashMap<String, String>,
    /// The image's tags, for the message that names what is scanned.
    tags: Vec<String>,
}

/// The tarball is not an image, or cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ImageError(String);

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifest {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

#[derive(Deserialize)]
struct OciIndex {
    manifests: Vec<OciDescriptor>,
}

#[derive(Deserialize)]
struct OciManifest {
    #[serde(default)]
    manifests: Option<Vec<OciDescriptor>>,
    config: Option<OciDescriptor>,
    #[serde(default)]
    layers: Vec<OciDescriptor>,
}

#[derive(Deserialize)]
struct OciDescriptor {
    digest: String,
}

/// The member holding the OCI blob `digest` (`sha256:ab...` -> `blobs/sha256/ab...`).
fn blob_member(digest: &str) -> String {
    format!("blobs/{}", digest.replacen(':', "/", 1))
}

/// A member name without a leading `./`.
fn member_name(raw: &[u8]) -> String {
    let name = String::from_utf8_lossy(raw);
    name.trim_start_matches("./").to_string()
}

impl ImageSource {
    /// Reads the tarball's manifest (docker `manifest.json`, or an OCI `index.json`); an error
    /// when the file cannot be read or is no image.
    pub fn open(options: ImageOptions) -> Result<ImageSource, ImageError> {
        let shown = options.path.display().to_string();
        let documents = read_documents(&options.path)?;
        let layout = if let Some(manifest) = documents.get("manifest.json") {
            docker_layout(manifest)?
        } else if let Some(index) = documents.get("index.json") {
            oci_layout(index, &documents)?
        } else {
            return Err(ImageError(format!(
                "{shown}: not a container image (no manifest.json or index.json: write one with `docker save IMAGE -o FILE.tar`)"
            )));
        };
        Ok(ImageSource {
            shown,
            options,
            layout,
        })
    }

    /// The image's tags and layer count, for the line that says what is scanned.
    pub fn describe(&self) -> String {
        let tags = if self.layout.tags.is_empty() {
            "untagged image".to_string()
        } else {
            self.layout.tags.join(", ")
        };
        format!(
            "{tags}: {} layer{}",
            self.layout.layers.len(),
            if self.layout.layers.len() == 1 {
                ""
            } else {
                "s"
            }
        )
    }

    fn provenance(&self, inner: &str) -> Provenance {
        let name = Path::new(&self.shown)
            .file_name()
            .map_or_else(|| self.shown.clone(), |n| n.to_string_lossy().into_owned());
        Provenance::file(format!("{}!{inner}", self.shown), format!("{name}!{inner}"))
    }

    /// Reads one layer (plain, gzip or zstd tar) member by member into `visitor`; an error
    /// says why the rest of the layer could not be read.
    fn scan_layer(
        &self,
        label: &str,
        reader: &mut dyn Read,
        visitor: &mut dyn Visitor,
        expander: Option<&dyn Expander>,
    ) -> Result<(), String> {
        let mut head = Vec::with_capacity(4);
        (&mut *reader)
            .take(4)
            .read_to_end(&mut head)
            .map_err(|err| format!("cannot read layer: {err}"))?;
        let whole = std::io::Cursor::new(head.clone()).chain(reader);
        let decoded = match ArchiveFormat::sniff(&head) {
            Some(format @ (ArchiveFormat::Gzip | ArchiveFormat::Zstd)) => {
                stream_decoder(format, whole)
                    .map_err(|err| format!("cannot decompress layer: {err}"))?
            }
            _ => Box::new(whole),
        };
        let mut layer = tar::Archive::new(decoded);
        let entries = layer
            .entries()
            .map_err(|err| format!("cannot read layer: {err}"))?;
        for entry in entries {
            let mut entry = entry.map_err(|err| format!("cannot read layer further: {err}"))?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = safe_name(&member_name(&entry.path_bytes()));
            // A whiteout (`.wh.name`) only marks a deletion; it has no content.
            if name
                .rsplit('/')
                .next()
                .is_some_and(|base| base.starts_with(".wh."))
            {
                continue;
            }
            let provenance = self.provenance(&format!("{label}!{name}"));
            if entry.size() > self.options.max_file_size {
                visitor.skipped(&provenance, SkipReason::TooLarge(entry.size()));
                continue;
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            if let Err(err) = entry.read_to_end(&mut bytes) {
                visitor.error(&provenance.path, &format!("cannot read: {err}"));
                continue;
            }
            deliver(&bytes, &provenance, None, visitor, expander);
        }
        Ok(())
    }
}

impl Source for ImageSource {
    /// One pass over the tarball on this thread: layers are a stream, read in order.
    fn run<'v>(&self, _threads: usize, make_visitor: &VisitorFactory<'v>) {
        let mut visitor = make_visitor();
        let expander = self.options.archives.map(ArchiveExpander::new);
        let expander = expander.as_ref().map(|e| e as &dyn Expander);
        let file = match std::fs::File::open(&self.options.path) {
            Ok(file) => file,
            Err(err) => {
                visitor.error(&self.shown, &format!("cannot read: {err}"));
                return;
            }
        };
        let mut outer = tar::Archive::new(std::io::BufReader::new(file));
        let entries = match outer.entries() {
            Ok(entries) => entries,
            Err(err) => {
                visitor.error(&self.shown, &format!("cannot read image: {err}"));
                return;
            }
        };
        for entry in entries {
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    visitor.error(&self.shown, &format!("cannot read image further: {err}"));
                    return;
                }
            };
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = member_name(&entry.path_bytes());
            if let Some(label) = self.layout.layers.get(&name) {
                if let Err(why) = self.scan_layer(label, &mut entry, visitor.as_mut(), expander) {
                    visitor.error(&self.provenance(label).path, &why);
                }
            } else if self.layout.configs.contains(&name) && entry.size() <= MAX_DOCUMENT {
                let mut bytes = Vec::new();
                if entry.read_to_end(&mut bytes).is_ok() {
                    // The config is one line of JSON: its `Env` and build history, spread one
                    // item a line so findings have a line each.
                    let spread = spread_json(&bytes);
                    deliver(
                        &spread,
                        &self.provenance("config"),
                        None,
                        visitor.as_mut(),
                        None,
                    );
                }
            }
        }
    }
}

/// `bytes` (JSON) pretty-printed, or as they are if they do not parse.
fn spread_json(bytes: &[u8]) -> Vec<u8> {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|value| serde_json::to_vec_pretty(&value).ok())
        .unwrap_or_else(|| bytes.to_vec())
}

/// The tarball's small JSON members, by name: the first pass.
fn read_documents(path: &Path) -> Result<HashMap<String, Vec<u8>>, ImageError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|err| ImageError(format!("{shown}: cannot read: {err}")))?;
    let mut archive = tar::Archive::new(std::io::BufReader::new(file));
    let entries = archive
        .entries()
        .map_err(|err| ImageError(format!("{shown}: not a tar archive: {err}")))?;
    let mut documents = HashMap::new();
    for entry in entries {
        let mut entry = entry
            .map_err(|err| ImageError(format!("{shown}: not a readable tar archive: {err}")))?;
        if !entry.header().entry_type().is_file() || entry.size() > MAX_DOCUMENT {
            continue;
        }
        let name = member_name(&entry.path_bytes());
        let mut first = [0u8; 1];
        if entry.read(&mut first).ok() != Some(1) || first[0] != b'{' && first[0] != b'[' {
            continue;
        }
        let mut bytes = first.to_vec();
        if entry.read_to_end(&mut bytes).is_ok() {
            documents.insert(name, bytes);
        }
    }
    Ok(documents)
}

fn docker_layout(manifest: &[u8]) -> Result<Layout, ImageError> {
    let images: Vec<DockerManifest> = serde_json::from_slice(manifest)
        .map_err(|err| ImageError(format!("manifest.json: not a docker-save manifest: {err}")))?;
    let mut layout = Layout::default();
    for image in images {
        layout.configs.push(image.config);
        layout.tags.extend(image.repo_tags.unwrap_or_default());
        add_layers(&mut layout, image.layers);
    }
    Ok(layout)
}

fn oci_layout(index: &[u8], documents: &HashMap<String, Vec<u8>>) -> Result<Layout, ImageError> {
    let index: OciIndex = serde_json::from_slice(index)
        .map_err(|err| ImageError(format!("index.json: not an OCI index: {err}")))?;
    let mut layout = Layout::default();
    let mut pending: Vec<String> = index.manifests.into_iter().map(|m| m.digest).collect();
    let mut seen = 0;
    while let Some(digest) = pending.pop() {
        seen += 1;
        if seen > 1000 {
            break; // an index that points at itself
        }
        let Some(bytes) = documents.get(&blob_member(&digest)) else {
            continue;
        };
        let Ok(manifest) = serde_json::from_slice::<OciManifest>(bytes) else {
            continue;
        };
        // An index of indexes (multi-platform): follow each.
        pending.extend(
            manifest
                .manifests
                .unwrap_or_default()
                .into_iter()
                .map(|m| m.digest),
        );
        if let Some(config) = manifest.config {
            layout.configs.push(blob_member(&config.digest));
        }
        add_layers(
            &mut layout,
            manifest
                .layers
                .into_iter()
                .map(|l| blob_member(&l.digest))
                .collect(),
        );
    }
    Ok(layout)
}

fn add_layers(layout: &mut Layout, layers: Vec<String>) {
    for (index, layer) in layers.into_iter().enumerate() {
        let label = format!("layer-{}@{}", index + 1, layer_id(&layer));
        layout.layers.entry(layer).or_insert(label);
    }
}

/// A layer's id as its member name gives it: the digest of an OCI blob
/// (`blobs/sha256/<hex>` -> `sha256:<12 hex>`), or the directory of a legacy `docker save`
/// layer (`<id>/layer.tar` -> `<12 hex>`).
fn layer_id(member: &str) -> String {
    let short = |hex: &str| hex.chars().take(12).collect::<String>();
    match member.strip_prefix("blobs/") {
        Some(blob) => match blob.split_once('/') {
            Some((algorithm, hex)) => format!("{algorithm}:{}", short(hex)),
            None => short(blob),
        },
        None => short(member.split('/').next().unwrap_or(member)),
    }
}
