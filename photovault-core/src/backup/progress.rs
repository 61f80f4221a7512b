//! How a backup tells the embedding program what it is doing. Every method has a no-op
//! default, and `()` implements the trait for callers that do not care.

use std::path::Path;

use crate::entry_report::EntryReport;

/// Whether a file's content was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Not in the parent snapshot.
    New,
    /// In the parent but modified: read again.
    Changed,
    /// Unchanged since the parent: not read.
    Unmodified,
}

/// Receives progress and per-file problems from a running backup, from many threads.
pub trait BackupProgress: Sync {
    /// Whether to run a parallel scan that counts files and bytes up front (for an ETA).
    fn wants_totals(&self) -> bool {
        false
    }
    /// The scan finished: this many files and bytes will be looked at.
    fn totals(&self, _files: u64, _bytes: u64) {}
    /// Content bytes were read from the source (or skipped as unmodified).
    fn bytes_done(&self, _bytes: u64) {}
    /// A file is done.
    fn file_done(&self, _path: &Path, _size: u64, _status: FileStatus) {}
    /// An entry could not be backed up; it is left out of the snapshot.
    fn error(&self, _report: &EntryReport) {}
    /// An entry was stored, but something about it deserves a word (it changed while it
    /// was read).
    fn warning(&self, _report: &EntryReport) {}
    /// A file's content changed although its size and modification time did not
    /// ([`EntryProblem::SourceDamaged`](crate::EntryProblem::SourceDamaged)): it was stored
    /// as a new version. Deserves more attention than a warning.
    fn source_damaged(&self, _report: &EntryReport) {}
    /// An entry was skipped on purpose (special files).
    fn skipped(&self, _path: &Path, _reason: &str) {}
    /// A pack no index lists was found and does not verify: it is left alone, not used.
    fn pack_unverified(&self, _pack: &super::UnverifiedPack) {}
}

impl BackupProgress for () {}
