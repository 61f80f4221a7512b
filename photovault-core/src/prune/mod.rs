//! Prune: reclaim the space of data no snapshot uses any more.
//!
//! A prune first plans ([`IndexedRepository::plan_prune`](crate::IndexedRepository::plan_prune)): it walks every snapshot to learn which
//! blobs are used, sorts the packs into those deleted (nothing used), rewritten (mostly
//! unused, see [`MaxUnused`]) and kept, and finds the packs no index lists. The plan is a
//! value that can be shown (`--dry-run`) and then executed ([`PrunePlan::execute`]).
//!
//! Backups keep running meanwhile. Deleting is done in two phases (SPEC W9): packs first
//! leave the index, so no backup that starts later can deduplicate against them, and are
//! deleted only when no other process holds a lock, since a backup that started earlier may
//! have deduplicated against them already. When that backup's snapshot appears before the
//! deletion, the packs it needs are indexed again.

mod execute;
mod options;
mod plan;
mod reindex;
mod used;

pub use execute::{Deferral, PruneReport};
pub use options::{parse_size, MaxUnused, PruneOptions};
pub use plan::{PrunePlan, PruneStats};
pub(crate) use reindex::keep_new_snapshot_whole;
pub use used::PruneBlocker;

/// Where a prune is, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PrunePhase {
    /// Copying the used blobs of this many packs into new packs.
    Repacking {
        /// Packs to rewrite.
        packs: u64,
    },
    /// Writing index files without the packs that go.
    RewritingIndex {
        /// Index files to rewrite.
        files: u64,
    },
    /// Deleting this many unused packs.
    Deleting {
        /// Packs to delete.
        packs: u64,
    },
}

/// Progress of a prune. Every method has a no-op default; `()` implements it.
pub trait PruneProgress: Sync {
    /// A phase begins.
    fn phase(&self, _phase: PrunePhase) {}
    /// One pack of the current phase is done.
    fn pack_done(&self) {}
}

impl PruneProgress for () {}
