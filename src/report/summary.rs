//! The summary of a scan, on the report side: the scan produces it, the reports print it
//! (grep-printer's `Stats`). Its field names are part of the json contract (see [`super::json`]).

use serde::Serialize;

/// The counts a report prints at its end (json's `stats`, junit's time): what a scan produced
/// and what the filters dropped. The scan fills it in; reports only read it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Files (or blobs) scanned.
    pub files: u64,
    /// Bytes scanned.
    pub bytes: u64,
    /// Inputs skipped as binary.
    pub skipped_binary: u64,
    /// Inputs skipped for exceeding `--max-file-size`.
    pub skipped_too_large: u64,
    /// Symbolic links not followed.
    pub skipped_symlinks: u64,
    /// Files and directories not scanned because `.gitignore` excludes them (a directory
    /// counts once; its contents are not walked).
    pub skipped_ignored: u64,
    /// Inputs that could not be read.
    pub errors: u64,
    /// Findings reported.
    pub findings: u64,
    /// Findings dropped by an allowlist or an inline allow comment.
    pub allowed: u64,
    /// Findings dropped because the baseline holds them.
    pub baselined: u64,
    /// Findings not reported for being less sure than `--min-confidence`.
    pub below_min_confidence: u64,
    /// Wall time of the scan, milliseconds.
    pub elapsed_ms: u64,
}

impl Summary {
    /// Adds `other`'s counts (not its wall time): one worker's share of a scan.
    pub fn add(&mut self, other: &Summary) {
        self.files += other.files;
        self.bytes += other.bytes;
        self.skipped_binary += other.skipped_binary;
        self.skipped_too_large += other.skipped_too_large;
        self.skipped_symlinks += other.skipped_symlinks;
        self.skipped_ignored += other.skipped_ignored;
        self.errors += other.errors;
        self.findings += other.findings;
        self.allowed += other.allowed;
        self.baselined += other.baselined;
        self.below_min_confidence += other.below_min_confidence;
    }
}
