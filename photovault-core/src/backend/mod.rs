//! Storage backends: where a repository's files live.
//!
//! A backend knows nothing of encryption or formats. It stores named files of a few kinds
//! and must write each one atomically (a reader never sees half a file) and durably (once
//! `write` returns, the file survives a crash). Everything else (retry, caching, fault
//! injection for tests) wraps a backend, and a network store (SFTP, S3) implements the same
//! calls. Packs are written piece by piece ([`Backend::begin_write`]) and named when
//! complete, so a backup never holds a whole pack in memory.

pub mod conformance;
mod fault;
mod flaky;
mod layout;
mod local;
pub mod location;
mod memory;
mod metered;
mod pending;
mod read_bytes;
#[cfg(feature = "remote")]
mod remote;
mod retry;
mod uncached;

use std::fmt;
use std::io;

#[doc(hidden)]
pub use fault::CrashAfter;
pub use flaky::{FaultRates, Flaky};
pub use layout::{all_folders, folders, is_object_name, object_key};
pub use local::LocalBackend;
pub use location::{open_location, open_location_with, BackendOptions, Location};
pub use memory::MemoryBackend;
pub use metered::{Metered, Traffic};
#[doc(hidden)]
pub use pending::TempFile;
pub use pending::{MemoryWrite, PendingWrite};
pub use read_bytes::ReadBytes;
#[cfg(feature = "remote")]
pub use remote::RemoteBackend;
pub use retry::{RetryPolicy, Retrying};

/// The kinds of file a repository holds, each in its own folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileKind {
    /// `config`.
    Config,
    /// `keys/<id>`.
    Key,
    /// `snapshots/<id>`.
    Snapshot,
    /// `index/<id>`.
    Index,
    /// `data/<first two hex digits>/<id>`.
    Pack,
    /// `locks/<id>`.
    Lock,
}

impl FileKind {
    /// The folder of this kind (or the file name, for the config).
    pub fn dir(self) -> &'static str {
        match self {
            FileKind::Config => "config",
            FileKind::Key => "keys",
            FileKind::Snapshot => "snapshots",
            FileKind::Index => "index",
            FileKind::Pack => "data",
            FileKind::Lock => "locks",
        }
    }

    /// The longest file of this kind a writer produces and a reader accepts (SPEC §3.4). A
    /// longer file is refused without being read, so a huge file planted in the repository
    /// cannot exhaust memory.
    pub fn max_len(self) -> u64 {
        match self {
            FileKind::Config | FileKind::Key | FileKind::Lock => 1 << 20,
            FileKind::Snapshot => 64 << 20,
            FileKind::Index => 256 << 20,
            FileKind::Pack => crate::format::pack_header::MAX_PACK_LEN,
        }
    }

    /// All kinds that are folders.
    pub const FOLDERS: [FileKind; 5] = [
        FileKind::Key,
        FileKind::Snapshot,
        FileKind::Index,
        FileKind::Pack,
        FileKind::Lock,
    ];
}

/// A stored file as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Its name (64 hex characters, or `config`).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A backend failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// The file does not exist.
    #[error("{location}: {kind:?} file {name} not found")]
    NotFound {
        /// Backend location.
        location: String,
        /// Kind of file.
        kind: FileKind,
        /// File name.
        name: String,
    },
    /// The file is longer than any file of its kind may be ([`FileKind::max_len`]); it was
    /// not read.
    #[error("{location}: {kind:?} file {name} has {size} bytes, more than the {limit} such a file may have; it was not read")]
    TooLarge {
        /// Backend location.
        location: String,
        /// Kind of file.
        kind: FileKind,
        /// File name.
        name: String,
        /// Its size.
        size: u64,
        /// The most a file of its kind may have.
        limit: u64,
    },
    /// What stands at the file's place is not a regular file; it was not read.
    #[error("{location}: {kind:?} file {name} is {what}, not a regular file; it was not read")]
    NotAFile {
        /// Backend location.
        location: String,
        /// Kind of file.
        kind: FileKind,
        /// File name.
        name: String,
        /// What it is: "a FIFO", "a folder", "a symlink", "a device", "a socket".
        what: &'static str,
    },
    /// A network store failed the request or could not be reached: `transient` failures
    /// (timeouts, throttling, 5xx answers, dropped connections) are worth trying again
    /// ([`Retrying`] does), others (denied access, a missing bucket) are not.
    #[error("{location}: cannot {op} {path}: {message}")]
    Remote {
        /// Backend location (without secrets).
        location: String,
        /// What we tried.
        op: &'static str,
        /// Which object (its key).
        path: String,
        /// What the store said.
        message: String,
        /// Whether trying again may succeed.
        transient: bool,
    },
    /// The storage failed.
    #[error("{location}: cannot {op} {path}: {source}")]
    Io {
        /// Backend location.
        location: String,
        /// What we tried.
        op: &'static str,
        /// Which file.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
}

impl BackendError {
    /// Whether the error means the file is absent.
    pub fn is_not_found(&self) -> bool {
        matches!(self, BackendError::NotFound { .. })
    }

    /// Refuses a whole read of an object of `size` bytes longer than its kind allows (rule
    /// B6): what every backend checks before reading.
    pub fn check_whole_read(
        location: &str,
        kind: FileKind,
        name: &str,
        size: u64,
    ) -> BackendResult<()> {
        if size <= kind.max_len() {
            return Ok(());
        }
        Err(BackendError::TooLarge {
            location: location.to_string(),
            kind,
            name: name.to_string(),
            size,
            limit: kind.max_len(),
        })
    }

    /// Whether trying the same call again may succeed: a network failure the store marked
    /// as temporary, or a local I/O error of the kinds a dropped connection causes.
    pub fn is_transient(&self) -> bool {
        match self {
            BackendError::Remote { transient, .. } => *transient,
            BackendError::Io { source, .. } => matches!(
                source.kind(),
                io::ErrorKind::TimedOut
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::Interrupted
            ),
            _ => false,
        }
    }

    /// Whether the error concerns this one file only (absent, too large, not a regular
    /// file), so that a reader can report it and go on with the others; other errors mean
    /// the storage itself failed.
    pub fn is_about_the_file(&self) -> bool {
        matches!(
            self,
            BackendError::NotFound { .. }
                | BackendError::TooLarge { .. }
                | BackendError::NotAFile { .. }
        )
    }
}

/// Result of backend calls.
pub type BackendResult<T> = Result<T, BackendError>;

/// What every storage must do.
pub trait Backend: Send + Sync + fmt::Debug {
    /// Where this is, for messages (a path or URL).
    fn location(&self) -> String;

    /// Prepares an empty repository location (creates folders). Must not remove anything.
    fn create(&self) -> BackendResult<()>;

    /// Lists the files of a kind. `Config` lists at most the one config. Every entry with an
    /// object's name is listed, whatever it is, so that a reader can name a FIFO or folder
    /// in an object's place (reading it fails with [`BackendError::NotAFile`]).
    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>>;

    /// Reads `length` bytes at `offset` of a file; `length == 0` reads to the end. Only a
    /// regular file is read ([`BackendError::NotAFile`] otherwise: a FIFO must not block
    /// the reader), a whole read of a file longer than [`FileKind::max_len`] fails with
    /// [`BackendError::TooLarge`] before reading, and no more memory is taken than the file
    /// holds, whatever `length` asks for.
    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>>;

    /// Reads like [`Backend::read`] (`length` above 0) a range the caller reads only once
    /// (restore, `check --read-data`): a store with a cache of its own may bypass it. The
    /// local store reads large ranges past the page cache, which spares the kernel a copy
    /// of every byte and keeps the user's own files in memory.
    fn read_once(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> BackendResult<ReadBytes> {
        self.read(kind, name, offset, length).map(ReadBytes::from)
    }

    /// Writes a whole file atomically and durably. Writing a name that exists replaces it.
    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()>;

    /// Removes a file.
    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()>;

    /// Starts a file that is written piece by piece and named only once complete (a pack is
    /// named by the hash of its bytes). The default keeps the bytes in memory
    /// ([`MemoryWrite`]); a backend that can hold them in a temporary or spool file instead
    /// keeps a backup's memory flat.
    fn begin_write(&self, kind: FileKind) -> BackendResult<Box<dyn PendingWrite>> {
        Ok(Box::new(MemoryWrite::new(kind)))
    }

    /// Stores a pending file under `name`, as atomically and durably as [`Backend::write`].
    /// `pending` came from this backend's [`Backend::begin_write`] (or is a
    /// [`MemoryWrite`], which every backend takes). After a failure the same pending write
    /// can be finished again; after success the caller drops it.
    fn finish_write(&self, pending: &mut dyn PendingWrite, name: &str) -> BackendResult<()> {
        let kind = pending.kind();
        match pending.as_any_mut().downcast_mut::<MemoryWrite>() {
            Some(memory) => self.write(kind, name, memory.bytes()),
            None => Err(pending::foreign(self.location(), name)),
        }
    }

    /// Reads a whole file.
    fn read_all(&self, kind: FileKind, name: &str) -> BackendResult<Vec<u8>> {
        self.read(kind, name, 0, 0)
    }

    /// Removes what writes that never finished left behind (a killed backup's temporary
    /// packs), if last modified before `before`. Returns how many bytes that freed. Only
    /// safe while no other process is writing: see [`LockGuard::alone_since`](crate::LockGuard::alone_since).
    fn remove_unfinished_writes(&self, before: std::time::SystemTime) -> BackendResult<u64> {
        let _ = before;
        Ok(0)
    }

    /// Whether every call costs a round trip over a network. The repository then keeps
    /// what it reads again and again (tree packs, snapshots) in its local cache.
    fn is_remote(&self) -> bool {
        false
    }

    /// How many packs a backup uploads at once (a local disk: one; a network store: its
    /// configured connections).
    fn parallel_writes(&self) -> usize {
        1
    }
}
