//! What went wrong with one entry of a backup or restore.
//!
//! A backup or restore does not stop for one unreadable file or one damaged blob: it goes on
//! with the others and reports each entry it could not handle, through the progress traits
//! as it happens and in the outcome at the end. [`EntryReport`] names the entry and
//! [`EntryProblem`] says what happened, as a value an application can match on; its text
//! (`Display`) is what `pvault` prints.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::Error;
use crate::id::BlobId;

/// One entry and what happened to it.
#[derive(Debug, Clone)]
pub struct EntryReport {
    /// The entry: a source path (backup) or a path below the target (restore).
    pub path: PathBuf,
    /// What happened.
    pub problem: EntryProblem,
}

impl EntryReport {
    /// A report of `problem` for `path`.
    pub fn new(path: impl Into<PathBuf>, problem: EntryProblem) -> Self {
        EntryReport {
            path: path.into(),
            problem,
        }
    }
}

impl std::fmt::Display for EntryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.problem)
    }
}

/// What happened to one entry. Errors leave the entry out (backup) or unrestored (restore);
/// [`EntryProblem::ChangedWhileRead`] is a warning: the entry was stored.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum EntryProblem {
    /// The source entry could not be read (backup).
    #[error("{0}")]
    Unreadable(Arc<io::Error>),
    /// The file changed while backup read it; the snapshot holds the bytes read.
    #[error("changed while it was read ({recorded} bytes when the backup reached it, {read} read{}); the snapshot holds what was read, back it up again for a consistent copy", if *modified { ", modified meanwhile" } else { "" })]
    ChangedWhileRead {
        /// Its size when the backup looked at it.
        recorded: u64,
        /// The bytes read.
        read: u64,
        /// Whether its modification time changed too.
        modified: bool,
    },
    /// The file's content differs from the parent snapshot's although its size and
    /// modification time do not: almost always damage on the source disk (bit rot). The new
    /// content is stored as a new version; `good_copy` still holds the old one.
    #[error("content changed although its size and modification time did not: probably damage on the source disk. The last good version is in snapshot {}; the damaged content was stored as a new version, nothing was replaced. Check the disk, then restore the file from that snapshot", good_copy.short())]
    SourceDamaged {
        /// The snapshot that holds the content the file had.
        good_copy: crate::id::SnapshotId,
    },
    /// The folder is nested deeper than photovault follows ([`crate::MAX_DEPTH`]).
    #[error(
        "folder nested deeper than {} levels: left out, as no reader would follow it",
        crate::MAX_DEPTH
    )]
    TooDeep,
    /// The name cannot be used as a path component (empty, `.`, `..`, `/`, NUL).
    #[error("unsafe entry skipped: {0}")]
    UnsafeName(&'static str),
    /// The name repeats or is out of order in its folder.
    #[error("duplicate or unsorted entry skipped")]
    OutOfOrder,
    /// A folder node without its tree.
    #[error("folder without content skipped")]
    FolderWithoutContent,
    /// A symlink node without its target.
    #[error("symlink without target skipped")]
    SymlinkWithoutTarget,
    /// Restore stops following folders this deep.
    #[error("folder nested deeper than {} levels skipped", crate::MAX_DEPTH)]
    NestedTooDeep,
    /// The folder's tree could not be read: nothing below it was restored.
    #[error("folder content cannot be read: {0}")]
    FolderUnreadable(Arc<Error>),
    /// The folder could not be created: nothing below it was restored.
    #[error("cannot create folder: {0}; nothing below it was restored")]
    CannotCreateFolder(Arc<io::Error>),
    /// The symlink could not be created.
    #[error("cannot create symlink: {0}")]
    CannotCreateSymlink(Arc<io::Error>),
    /// Writing the file failed (a full disk, permissions).
    #[error("cannot write: {0}")]
    CannotWrite(Arc<io::Error>),
    /// The file was written but could not be given its metadata or its name.
    #[error("cannot finish file: {0}")]
    CannotFinish(Arc<io::Error>),
    /// A folder's owner, mode or times could not be set.
    #[error("cannot set folder metadata: {0}")]
    CannotSetFolderMetadata(Arc<io::Error>),
    /// A blob of the file is not in the repository.
    #[error("data blob {} is missing from the repository", .0.short())]
    BlobMissing(BlobId),
    /// The file's blobs do not add up to its recorded size.
    #[error("content adds up to {found} bytes but the snapshot records {recorded}")]
    SizeMismatch {
        /// What the blobs add up to.
        found: u64,
        /// What the snapshot records.
        recorded: u64,
    },
    /// The repository failed for this entry: a damaged blob, an unreadable pack.
    #[error("{0}")]
    Repository(Arc<Error>),
    /// The restore was asked to stop before this file was complete.
    #[error("interrupted")]
    Interrupted,
    /// Read back after the restore (`--verify`), the file does not hold the snapshot's
    /// content.
    #[error("read back after restoring, the content differs from the snapshot's")]
    VerifyMismatch,
    /// Read back after the restore (`--verify`), the file could not be read.
    #[error("cannot read back to verify: {0}")]
    CannotVerify(Arc<io::Error>),
    /// An entry the snapshot does not have could not be removed (`--delete`).
    #[error("cannot delete: {0}")]
    CannotDelete(Arc<io::Error>),
}

impl From<Error> for EntryProblem {
    fn from(e: Error) -> Self {
        EntryProblem::Repository(Arc::new(e))
    }
}
