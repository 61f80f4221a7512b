//! Worker pools for the parallel stages of each operation.
//!
//! CPU-bound work (backup) gets one thread per core; I/O-bound work (restore, mount) gets
//! two, so that reads wait in parallel; `check --read-data`, which reads every pack past the
//! page cache (no readahead: a thread's read is all that is asked of the disk), gets four.
//! Callers may override each.

use crate::error::{Error, Result};

/// How many threads a pool gets when the caller says 0.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Work {
    /// Hashing, compressing, sealing: one thread per core (at least two).
    Cpu,
    /// Reading packs and writing files: two threads per core.
    Io,
    /// Reading whole packs and verifying them: four threads per core (at most 32), so that
    /// enough reads are in flight.
    Scan,
}

/// A rayon pool named `pvault-<name>-N` with `threads` threads (0: chosen by `work`).
pub(crate) fn pool(name: &'static str, threads: usize, work: Work) -> Result<rayon::ThreadPool> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let threads = match (threads, work) {
        (0, Work::Cpu) => cores.max(2),
        (0, Work::Io) => 2 * cores,
        (0, Work::Scan) => (4 * cores).min(32),
        (n, _) => n,
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        // Folders are walked recursively on these threads, up to `MAX_DEPTH` levels.
        .stack_size(64 << 20)
        .thread_name(move |i| format!("pvault-{name}-{i}"))
        .build()
        .map_err(|e| Error::Internal {
            what: format!("cannot start worker threads: {e}"),
        })
}
