//! The errors photovault reports, each naming what went wrong and what to do about it.
//!
//! One enum for the whole crate keeps matching simple for embedders and for `pvault`, which
//! maps variants to restic-compatible exit codes (see [`Error::exit_code`]). Messages say
//! what is wrong and what helps, in words any front end can use; which command or flag of a
//! front end helps is that front end's to say (`pvault` adds it). Errors that
//! concern one file during backup or restore do not abort the operation: they reach the
//! caller through the progress traits and the operation's summary.

use std::io;
use std::path::PathBuf;

use crate::backend::BackendError;

/// Result with photovault's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a stored object could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Damage {
    /// The authentication tag did not verify: the bytes were altered, truncated, or belong
    /// to another object.
    #[error("authentication failed (altered, truncated or swapped data)")]
    Authentication,
    /// The object decrypted, but its content does not hash to its name.
    #[error("content does not match its id")]
    IdMismatch,
    /// The object is shorter than its structure requires.
    #[error("truncated: {0}")]
    Truncated(&'static str),
    /// Decompression failed or produced a size other than the recorded one.
    #[error("decompression failed: {0}")]
    Decompression(String),
    /// The decrypted bytes do not decode as the expected structure.
    #[error("malformed: {0}")]
    Malformed(String),
}

/// Everything that can go wrong in photovault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No repository at the given location.
    #[error("no repository at {location}")]
    RepositoryNotFound {
        /// Where we looked.
        location: String,
    },
    /// `init` found an existing repository.
    #[error("a repository already exists at {location}; refusing to overwrite it")]
    RepositoryExists {
        /// Where it is.
        location: String,
    },
    /// No key file could be opened with the password.
    #[error("wrong password: no key in the repository matches it")]
    WrongPassword,
    /// No key file that was tried opens with the password, and some key files were not
    /// tried because they ask for more Argon2id work than the reader allows.
    #[error("wrong password, or the password belongs to one of {} key file(s) not tried because they ask for too much Argon2 work ({}); raise the limit only if you trust whoever added them", skipped.len(), skipped.iter().map(|k| format!("{}: {}", &k.name[..k.name.len().min(8)], k.reason)).collect::<Vec<_>>().join("; "))]
    KeyFilesOverLimit {
        /// The key files not tried.
        skipped: Vec<crate::repository::SkippedKeyFile>,
    },
    /// The empty password is refused.
    #[error("the password must not be empty")]
    EmptyPassword,
    /// Another process holds a conflicting lock.
    #[error("repository is locked: {holder}")]
    Locked {
        /// Who holds the lock.
        holder: String,
    },
    /// The storage backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A stored object is damaged.
    #[error("{object} is damaged: {damage}")]
    Damaged {
        /// Which object, e.g. `pack 1a2b3c4d` or `blob 5e6f7a8b in pack 1a2b3c4d`.
        object: String,
        /// What is wrong with it.
        damage: Damage,
    },
    /// Prune cannot tell which data is still used, so it deletes nothing.
    #[error("prune refused: {reason}")]
    PruneRefused {
        /// What makes it unsafe.
        reason: crate::prune::PruneBlocker,
    },
    /// A blob that should exist is not in the index.
    #[error("blob {id} is not in the repository index")]
    BlobNotFound {
        /// The missing blob.
        id: crate::BlobId,
    },
    /// No snapshot matches what the user asked for.
    #[error("no snapshot matches '{spec}': use an id, a unique id prefix, or 'latest'")]
    SnapshotNotFound {
        /// What was asked for.
        spec: String,
    },
    /// An id prefix matches several snapshots.
    #[error("'{spec}' matches {count} snapshots; give more characters of the id")]
    AmbiguousSnapshot {
        /// What was asked for.
        spec: String,
        /// How many matched.
        count: usize,
    },
    /// A path inside a snapshot does not exist.
    #[error("'{path}' does not exist in snapshot {snapshot}")]
    PathNotInSnapshot {
        /// The path asked for.
        path: String,
        /// The snapshot searched.
        snapshot: String,
    },
    /// The repository was written by a newer photovault.
    #[error("{what} has format version {found}, this photovault reads up to {supported}: upgrade photovault")]
    UnsupportedVersion {
        /// Which object.
        what: String,
        /// Its version.
        found: u32,
        /// The newest we read.
        supported: u32,
    },
    /// The repository cuts files by a chunking scheme this build does not know: writing with
    /// another would stop new backups from deduplicating against old ones (SPEC §5).
    #[error("repository config names the chunking scheme {name:?}, which this photovault does not know: upgrade photovault")]
    UnsupportedChunking {
        /// The scheme's name.
        name: String,
    },
    /// A source path given to backup could not be read at all.
    #[error("cannot read {path}: {source}")]
    Source {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// Writing to the restore target failed.
    #[error("cannot write {path}: {source}")]
    Target {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The local cache failed (it can always be deleted; it holds nothing that is not in the
    /// repository).
    #[error("local cache at {path}: {message}; it holds nothing the repository does not, and can be deleted")]
    Cache {
        /// Where the cache lives.
        path: String,
        /// What redb said.
        message: String,
    },
    /// A structure photovault was about to store would not read back: a bug in photovault,
    /// caught before anything was written.
    #[error("refusing to store {what}: it would not read back ({damage}); nothing was written, please report this as a bug")]
    WouldNotReadBack {
        /// What was about to be stored, e.g. `the tree of /home/ann/Pictures`.
        what: String,
        /// Why reading it back failed.
        damage: Damage,
    },
    /// photovault itself failed: a worker thread could not start or stopped, a limit no
    /// input should reach was reached. Nothing half-written was kept.
    #[error("photovault failed: {what}; nothing half-written was kept; if it happens again, please report it")]
    Internal {
        /// What failed.
        what: String,
    },
    /// A snapshot nests folders deeper than photovault follows ([`crate::MAX_DEPTH`]).
    #[error(
        "{path}: folders nested deeper than {} levels are not followed",
        crate::MAX_DEPTH
    )]
    TooDeep {
        /// The folder that is too deep, inside the snapshot.
        path: String,
    },
    /// A name or path pattern (find) is not a valid glob.
    #[error("'{pattern}' is not a valid pattern: {reason}")]
    BadPattern {
        /// The pattern as given.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The caller asked for something that cannot be done.
    #[error("{0}")]
    InvalidArgument(String),
    /// A forget would remove the last snapshots that hold some files (listed in the plan,
    /// [`crate::forget::ForgetPlan::last_copies`]); nothing was removed.
    #[error(
        "{files} file{} would be lost: the snapshots to remove are the last that hold {}; nothing was removed",
        if *files == 1 { "" } else { "s" },
        if *files == 1 { "it" } else { "them" }
    )]
    LastCopy {
        /// How many files.
        files: usize,
    },
    /// A forget would remove every snapshot (of a group, or everything it was given)
    /// without having been allowed to.
    #[error("refusing to remove every snapshot: {reason}")]
    RemovesEverything {
        /// Why everything would go.
        reason: String,
    },
    /// Some entries failed during restore; the others were restored.
    #[error(
        "{failed} entr{} could not be restored (each is named above); everything else was restored",
        if *failed == 1 { "y" } else { "ies" }
    )]
    PartialRestore {
        /// How many entries (files, folders, symlinks) failed.
        failed: u64,
    },
    /// The operation was stopped on request (Ctrl-C, or a progress receiver that said
    /// so); what it completed stays, nothing is left half-written.
    #[error("interrupted: files completed so far are in place, none is left half-written")]
    Interrupted,
    /// A file's content cannot be read while browsing a snapshot ([`crate::browse`], and
    /// so the mount): one of its blobs is missing or damaged, or its blobs do not add up to
    /// the size the snapshot records. Other files still read.
    #[error("{reason}")]
    ContentUnreadable {
        /// What is wrong, naming the blob where one is to blame.
        reason: String,
    },
    /// FUSE cannot be used on this machine (mount).
    #[error("FUSE is not available: {reason}")]
    FuseUnavailable {
        /// What is missing and how to get it.
        reason: String,
    },
    /// Mounting or unmounting failed.
    #[error("cannot mount at {}: {source}", mountpoint.display())]
    Mount {
        /// The mount point.
        mountpoint: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

impl Error {
    /// The process exit code restic uses for this kind of failure: 10 repository missing,
    /// 11 lock failure, 12 wrong password, 130 interrupted, 1 anything else; and
    /// photovault's own 13: forget refused to remove the last copy of some files.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::RepositoryNotFound { .. } => 10,
            Error::Locked { .. } => 11,
            Error::WrongPassword | Error::KeyFilesOverLimit { .. } => 12,
            Error::LastCopy { .. } => 13,
            Error::Interrupted => 130,
            _ => 1,
        }
    }

    /// What is wrong, without the object's name or advice: for reports that already name
    /// the object (check, repair).
    pub fn reason(&self) -> String {
        match self {
            Error::Damaged { damage, .. } => damage.to_string(),
            other => other.to_string(),
        }
    }

    pub(crate) fn damaged(object: impl Into<String>, damage: Damage) -> Self {
        Error::Damaged {
            object: object.into(),
            damage,
        }
    }

    pub(crate) fn cache(path: &str, err: impl std::fmt::Display) -> Self {
        Error::Cache {
            path: path.to_string(),
            message: err.to_string(),
        }
    }
}
