//! Counting what crosses the wire: requests and bytes per kind of call.
//!
//! A backup against a remote repository should download almost nothing when nothing
//! changed; [`Metered`] wraps a backend and counts, so that tests and benchmarks can say
//! how many requests and bytes an operation cost.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{Backend, BackendResult, FileInfo, FileKind, PendingWrite};

/// Requests and bytes counted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Listings.
    pub lists: u64,
    /// Reads (whole or ranges).
    pub reads: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Writes (whole or finished pending writes).
    pub writes: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Removals.
    pub removes: u64,
}

impl Traffic {
    /// All requests.
    pub fn requests(&self) -> u64 {
        self.lists + self.reads + self.writes + self.removes
    }
}

#[derive(Debug, Default)]
struct Counters {
    lists: AtomicU64,
    reads: AtomicU64,
    bytes_read: AtomicU64,
    writes: AtomicU64,
    bytes_written: AtomicU64,
    removes: AtomicU64,
}

/// Wraps a backend and counts its traffic.
#[derive(Debug)]
pub struct Metered {
    inner: Arc<dyn Backend>,
    counters: Counters,
}

impl Metered {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Backend>) -> Self {
        Metered {
            inner,
            counters: Counters::default(),
        }
    }

    /// What was counted so far.
    pub fn traffic(&self) -> Traffic {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Traffic {
            lists: get(&c.lists),
            reads: get(&c.reads),
            bytes_read: get(&c.bytes_read),
            writes: get(&c.writes),
            bytes_written: get(&c.bytes_written),
            removes: get(&c.removes),
        }
    }
}

fn count(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Backend for Metered {
    fn location(&self) -> String {
        self.inner.location()
    }

    fn create(&self) -> BackendResult<()> {
        self.inner.create()
    }

    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>> {
        count(&self.counters.lists, 1);
        self.inner.list(kind)
    }

    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>> {
        count(&self.counters.reads, 1);
        let bytes = self.inner.read(kind, name, offset, length)?;
        count(&self.counters.bytes_read, bytes.len() as u64);
        Ok(bytes)
    }

    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()> {
        count(&self.counters.writes, 1);
        count(&self.counters.bytes_written, data.len() as u64);
        self.inner.write(kind, name, data)
    }

    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        count(&self.counters.removes, 1);
        self.inner.remove(kind, name)
    }

    fn begin_write(&self, kind: FileKind) -> BackendResult<Box<dyn PendingWrite>> {
        self.inner.begin_write(kind)
    }

    fn finish_write(&self, pending: &mut dyn PendingWrite, name: &str) -> BackendResult<()> {
        count(&self.counters.writes, 1);
        self.inner.finish_write(pending, name)
    }

    fn remove_unfinished_writes(&self, before: std::time::SystemTime) -> BackendResult<u64> {
        self.inner.remove_unfinished_writes(before)
    }

    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }

    fn parallel_writes(&self) -> usize {
        self.inner.parallel_writes()
    }
}
