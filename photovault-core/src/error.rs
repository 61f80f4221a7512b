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
    /// The decrypted bytes do not decode as the expected structure: which structure, and
    /// what in it.
    #[error("malformed: {0}")]
    Malformed(Malformed),
}

/// What was wrong with a structure that decrypted but does not decode ([`Damage::Malformed`]),
/// with the values found, so that a program can tell cases apart without reading messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// A JSON object (config, snapshot, key file) does not parse as its structure.
    #[error("JSON: {0}")]
    Json(String),
    /// The object is longer than readers accept (SPEC §2.3).
    #[error("longer than the {max} bytes readers accept")]
    TooLong {
        /// The most readers accept for its kind.
        max: u64,
    },
    /// A config value is out of its valid range (SPEC §5): which, and why.
    #[error("{0}")]
    ConfigValue(String),
    /// The repository id in the config is not 32 bytes in hex.
    #[error("repository id is not 32 hex bytes")]
    RepositoryId,
    /// A key file names a key derivation other than Argon2id.
    #[error("unknown kdf '{0}'")]
    UnknownKdf(String),
    /// A key file asks for more Argon2 work than any reader does (or less than it takes).
    #[error("Argon2 parameters out of range")]
    KdfOutOfRange,
    /// Argon2 refused a key file's parameters.
    #[error("Argon2 parameters: {0}")]
    KdfParams(String),
    /// Argon2 failed on a key file's parameters or salt.
    #[error("Argon2: {0}")]
    Kdf(String),
    /// A key file's salt is not hex.
    #[error("salt is not hex")]
    SaltNotHex,
    /// A key file's wrapped key is not hex.
    #[error("wrapped key is not hex")]
    WrappedKeyNotHex,
    /// A key file's key unwraps to the wrong number of bytes.
    #[error("wrapped key has the wrong length")]
    WrappedKeyLength,
    /// An index file's name is not an id.
    #[error("name is not an id")]
    NameNotId,
    /// An index file of an unknown version.
    #[error("index version {0}")]
    IndexVersion(u8),
    /// Bytes follow the last pack of an index file.
    #[error("{0} trailing bytes after the index")]
    IndexTrailing(usize),
    /// One pack's listing in an index file is wrong.
    #[error("pack {}: {damage}", pack.short())]
    IndexedPack {
        /// The pack listed.
        pack: crate::id::PackId,
        /// What is wrong with its listing.
        damage: Box<Damage>,
    },
    /// A blob record names an unknown kind.
    #[error("unknown blob kind {0}")]
    UnknownBlobKind(u8),
    /// A blob record names an unknown compression.
    #[error("unknown compression {0}")]
    UnknownCompression(u8),
    /// A blob record is shorter than sealing adds to any blob.
    #[error("blob length {0} is below the seal overhead")]
    BlobBelowOverhead(u32),
    /// A listing (`what`: pack header or index) of a version that does not admit a kind
    /// lists a blob of that kind.
    #[error("{what} of version {version} lists blob {} of kind {kind}", blob.short())]
    KindNotAdmitted {
        /// Pack header or index.
        what: &'static str,
        /// The listing's version.
        version: u8,
        /// The blob.
        blob: crate::id::BlobId,
        /// Its kind's number.
        kind: u8,
    },
    /// A blob overlaps another or lies outside its pack's blob area.
    #[error("blob {} at {offset}+{length} overlaps another or lies outside the pack", blob.short())]
    BlobOutsidePack {
        /// The blob.
        blob: crate::id::BlobId,
        /// Its offset.
        offset: u32,
        /// Its stored length.
        length: u32,
    },
    /// A pack header of an unknown version.
    #[error("pack header version {0}")]
    PackHeaderVersion(u8),
    /// A pack header's blob count does not fit its length.
    #[error("pack header announces {count} blobs in {bytes} bytes")]
    PackHeaderCount {
        /// Blobs announced.
        count: usize,
        /// Bytes of records.
        bytes: usize,
    },
    /// A pack's trailer gives a header longer than the pack.
    #[error("header length {0} exceeds the pack")]
    HeaderLength(u64),
    /// A pack that neither has a readable header nor index entries (repair cannot tell
    /// what it holds).
    #[error("neither a readable header nor index entries; remove it by hand if it is not needed")]
    PackUnknown,
    /// A blob's plaintext is not as long as the index records.
    #[error("{actual} bytes where the index records {recorded}")]
    PlaintextLength {
        /// Bytes decrypted and decompressed.
        actual: u64,
        /// Bytes the index records.
        recorded: u32,
    },
    /// Decompressed data is not as long as recorded.
    #[error("{stored} bytes where {recorded} were recorded")]
    StoredLength {
        /// Bytes found.
        stored: u64,
        /// Bytes recorded.
        recorded: u64,
    },
    /// A file's blobs do not add up to the size its snapshot records.
    #[error("its blobs add up to {total} bytes, the snapshot records {recorded}")]
    FileSize {
        /// What the blobs add up to.
        total: u64,
        /// The recorded size.
        recorded: u64,
    },
    /// A tree of a version this reader does not know.
    #[error("tree version {0} (this photovault reads {TREE_VERSION})", TREE_VERSION = crate::format::tree::TREE_VERSION)]
    TreeVersion(u8),
    /// A tree's body does not decode.
    #[error("tree: {0}")]
    TreeBody(String),
    /// Bytes follow a tree's last entry.
    #[error("{0} trailing bytes after tree")]
    TreeTrailing(usize),
    /// A tree entry's timestamp has a nanosecond part of a second or more.
    #[error("entry {name:?}: {field} has {nanos} nanoseconds (must be below 1e9)")]
    Nanoseconds {
        /// The entry's name, as shown.
        name: String,
        /// `mtime` or `ctime`.
        field: &'static str,
        /// The nanoseconds found.
        nanos: u32,
    },
    /// A tree does not decode back as the tree that was encoded (a writer's check).
    #[error("tree does not read back as written")]
    TreeRoundTrip,
    /// A blob named as a folder's tree is stored as a file's content.
    #[error("it is a file's content, not a folder's tree")]
    ContentNotTree,
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
