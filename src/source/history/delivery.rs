//! Delivery: each blob of interest handed to the visitor with its provenance, read again
//! through libgit2.

use super::*;

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

    /// Delivers one blob of interest with its provenance.
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
