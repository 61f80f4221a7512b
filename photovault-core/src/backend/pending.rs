//! Files written piece by piece before they have a name.
//!
//! A pack is named by the hash of its bytes, known only once it is complete, so a backup
//! streams it into a pending write ([`Backend::begin_write`](super::Backend::begin_write))
//! and names it at the end ([`Backend::finish_write`](super::Backend::finish_write)). Each
//! backend decides where the bytes wait: in memory ([`MemoryWrite`], the default), in a
//! temporary file beside their destination ([`TempFile`], the local backend: finishing is a
//! rename), or in a local spool file that a network backend uploads under the final name.
//! A backend receives back only the pending writes it began, and recovers its own type with
//! [`PendingWrite::as_any_mut`]. Finishing borrows the pending write rather than consuming
//! it, so that a failed upload can be tried again from the same bytes; the caller drops it
//! once it is stored.

use std::any::Any;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{BackendError, BackendResult, FileKind};

/// A file under construction. Dropping it without finishing it discards it.
pub trait PendingWrite: Send + fmt::Debug {
    /// What the file will be.
    fn kind(&self) -> FileKind;
    /// Appends `data`.
    fn append(&mut self, data: &[u8]) -> BackendResult<()>;
    /// The bytes so far, when they are held in memory (tests and benchmarks look at them).
    fn in_memory(&self) -> Option<&[u8]> {
        None
    }
    /// The pending write as [`Any`], for the backend that began it to recover its type.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// Bytes held in memory until the file is stored with [`Backend::write`](super::Backend::write).
#[derive(Debug)]
pub struct MemoryWrite {
    kind: FileKind,
    bytes: Vec<u8>,
}

impl MemoryWrite {
    /// An empty file of `kind`.
    pub fn new(kind: FileKind) -> Self {
        MemoryWrite {
            kind,
            bytes: Vec::new(),
        }
    }

    /// Its bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

impl PendingWrite for MemoryWrite {
    fn kind(&self) -> FileKind {
        self.kind
    }

    fn append(&mut self, data: &[u8]) -> BackendResult<()> {
        self.bytes.extend_from_slice(data);
        Ok(())
    }

    fn in_memory(&self) -> Option<&[u8]> {
        Some(&self.bytes)
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// The error of a backend handed a pending write another backend began.
pub(crate) fn foreign(location: String, pending: &str) -> BackendError {
    BackendError::Io {
        location,
        op: "write",
        path: pending.to_string(),
        source: io::Error::other("this pending write was begun by another backend"),
    }
}

/// Appends are gathered into writes of this size: a pack of small blobs would otherwise cost
/// one system call per blob.
const WRITE_BUFFER: usize = 256 << 10;

/// A temporary file, removed on drop unless [`TempFile::persist`] moved it into place.
#[derive(Debug)]
pub struct TempFile {
    kind: FileKind,
    file: Option<BufWriter<File>>,
    path: PathBuf,
    location: String,
}

impl TempFile {
    /// Wraps a newly created temporary file at `path` that will become a file of `kind`;
    /// `location` names the backend in errors.
    pub fn new(kind: FileKind, file: File, path: PathBuf, location: String) -> Self {
        TempFile {
            kind,
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            path,
            location,
        }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes the contents durable and renames the file to `destination`. After a failed
    /// rename it can be called again; once it succeeded, nothing is left to remove on drop.
    pub fn persist(&mut self, destination: &Path) -> io::Result<()> {
        if self.path.as_os_str().is_empty() {
            return Ok(()); // persisted by an earlier call whose answer was lost
        }
        if let Some(file) = self.file.take() {
            let file = file.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            if self.kind == FileKind::Pack {
                release_cached_pages(&file);
            }
        }
        std::fs::rename(&self.path, destination)?;
        self.path = PathBuf::new();
        Ok(())
    }

    /// Writes out what is buffered (without fsync: a spool file need not survive a crash)
    /// and returns the path, for a backend that uploads the file from there.
    pub fn flushed(&mut self) -> io::Result<&Path> {
        if let Some(file) = self.file.as_mut() {
            file.flush()?;
        }
        Ok(&self.path)
    }
}

/// Drops a durable file's pages from the page cache. A pack is written once and read again
/// only by a restore or a check, often months later; left cached, a backup's packs push the
/// user's own files out of memory. It also spares a virtual machine whose free memory the
/// host takes back (free page reporting) from backing gigabytes of fresh page cache: the
/// frames freed here are reused for the next pack. A hint: failure changes nothing.
fn release_cached_pages(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: posix_fadvise only reads its arguments; the descriptor is open.
    let _ = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
}

impl PendingWrite for TempFile {
    fn kind(&self) -> FileKind {
        self.kind
    }

    fn append(&mut self, data: &[u8]) -> BackendResult<()> {
        let file = self.file.as_mut().expect("appends come before finishing");
        file.write_all(data).map_err(|source| BackendError::Io {
            location: self.location.clone(),
            op: "write",
            path: self.path.display().to_string(),
            source,
        })
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(abandoned) = self.file.take() {
            let _unwritten = abandoned.into_parts(); // not worth writing to a file being removed
        }
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
