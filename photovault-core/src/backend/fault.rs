//! A backend that simulates a crash, for tests of the write-order invariant.
//!
//! [`CrashAfter`] lets a fixed number of writes and removals through to the backend it
//! wraps; every later one fails and changes nothing, as if the process had died or the disk
//! had vanished at that moment. Reads and listings keep working, so a test can let an
//! operation fail at every possible point and then check what the repository holds.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{Backend, BackendError, BackendResult, FileInfo, FileKind, PendingWrite};

/// Wraps a backend; mutations after the first `allowed` fail.
#[derive(Debug)]
pub struct CrashAfter {
    inner: Arc<dyn Backend>,
    allowed: u64,
    attempted: AtomicU64,
}

impl CrashAfter {
    /// Lets `allowed` writes and removals through, then fails every later one.
    pub fn new(inner: Arc<dyn Backend>, allowed: u64) -> Self {
        CrashAfter {
            inner,
            allowed,
            attempted: AtomicU64::new(0),
        }
    }

    /// Writes and removals attempted so far (including failed ones).
    pub fn attempted(&self) -> u64 {
        self.attempted.load(Ordering::SeqCst)
    }

    fn admit(&self, op: &'static str, kind: FileKind, name: &str) -> BackendResult<()> {
        if self.attempted.fetch_add(1, Ordering::SeqCst) < self.allowed {
            Ok(())
        } else {
            Err(BackendError::Io {
                location: self.inner.location(),
                op,
                path: format!("{}/{name}", kind.dir()),
                source: io::Error::other("simulated crash"),
            })
        }
    }
}

impl Backend for CrashAfter {
    fn location(&self) -> String {
        self.inner.location()
    }

    fn create(&self) -> BackendResult<()> {
        self.inner.create()
    }

    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>> {
        self.inner.list(kind)
    }

    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>> {
        self.inner.read(kind, name, offset, length)
    }

    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()> {
        self.admit("write", kind, name)?;
        self.inner.write(kind, name, data)
    }

    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        self.admit("remove", kind, name)?;
        self.inner.remove(kind, name)
    }

    fn begin_write(&self, kind: FileKind) -> BackendResult<Box<dyn PendingWrite>> {
        self.inner.begin_write(kind)
    }

    /// Counts as one removal.
    fn remove_unfinished_writes(&self, before: std::time::SystemTime) -> BackendResult<u64> {
        self.admit("remove", FileKind::Pack, ".tmp-*")?;
        self.inner.remove_unfinished_writes(before)
    }

    /// Counts as one write: the file appears under its name here or not at all.
    fn finish_write(&self, pending: &mut dyn PendingWrite, name: &str) -> BackendResult<()> {
        self.admit("write", pending.kind(), name)?;
        self.inner.finish_write(pending, name)
    }
}
