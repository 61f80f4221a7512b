//! Files written piece by piece before they have a name.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::{BackendError, BackendResult, FileKind};

/// A file under construction: see [`Backend::begin_write`](super::Backend::begin_write).
/// Dropping it without [`Backend::finish_write`](super::Backend::finish_write) discards it.
#[derive(Debug)]
pub enum PendingWrite {
    /// Bytes held in memory until the file is stored.
    Memory {
        /// What the file will be.
        kind: FileKind,
        /// Its bytes so far.
        bytes: Vec<u8>,
    },
    /// Bytes already in a temporary file beside their destination.
    File(TempFile),
}

impl PendingWrite {
    /// Appends `data`.
    pub fn append(&mut self, data: &[u8]) -> BackendResult<()> {
        match self {
            PendingWrite::Memory { bytes, .. } => {
                bytes.extend_from_slice(data);
                Ok(())
            }
            PendingWrite::File(temp) => temp.append(data),
        }
    }

    /// What the file will be.
    pub fn kind(&self) -> FileKind {
        match self {
            PendingWrite::Memory { kind, .. } => *kind,
            PendingWrite::File(temp) => temp.kind(),
        }
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

    /// What it will be.
    pub fn kind(&self) -> FileKind {
        self.kind
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(&mut self, data: &[u8]) -> BackendResult<()> {
        let file = self.file.as_mut().expect("open until persisted");
        file.write_all(data).map_err(|source| BackendError::Io {
            location: self.location.clone(),
            op: "write",
            path: self.path.display().to_string(),
            source,
        })
    }

    /// Makes the contents durable and renames the file to `destination`.
    pub fn persist(mut self, destination: &Path) -> io::Result<()> {
        let file = self.file.take().expect("open until persisted");
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.path, destination)?;
        self.path = PathBuf::new();
        Ok(())
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
