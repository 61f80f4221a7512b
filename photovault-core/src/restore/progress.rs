//! How a restore reports what it does. No-op defaults; `()` implements it.

use std::path::Path;

use crate::entry_report::EntryReport;

/// Receives progress and per-entry problems from a running restore, from many threads.
pub trait RestoreProgress: Sync {
    /// More work was planned: this many files and bytes.
    fn planned(&self, _files: u64, _bytes: u64) {}
    /// Bytes were written.
    fn bytes_done(&self, _bytes: u64) {}
    /// A file of this many bytes was already in the target and is left as it is.
    fn skipped(&self, _bytes: u64) {}
    /// In a dry run: what the restore would do with one entry of the target.
    fn would(&self, _path: &Path, _action: DryRunAction) {}
    /// A file is complete.
    fn file_done(&self, _path: &Path, _size: u64) {}
    /// An entry could not be restored; the restore goes on.
    fn error(&self, _report: &EntryReport) {}
    /// Whether the restore should stop (the user pressed Ctrl-C). Asked between entries and
    /// between reads: the restore then stops soon, keeps the files it completed, removes
    /// the one it was writing, and returns [`Error::Interrupted`](crate::Error::Interrupted).
    fn cancelled(&self) -> bool {
        false
    }
}

impl RestoreProgress for () {}

/// What a dry run reports for one entry ([`RestoreProgress::would`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DryRunAction {
    /// Write this file of this many bytes.
    Write(u64),
    /// Leave this file of this many bytes as it is.
    Keep(u64),
    /// Delete this entry, which the snapshot does not have.
    Delete,
}
