//! Looking into history: what changed between two snapshots ([`IndexedRepository::diff`]), where
//! a file or a blob is across snapshots ([`IndexedRepository::find`]), and what snapshots hold and
//! the repository stores ([`IndexedRepository::stats`]).
//!
//! All three only read, and all three follow content ids rather than reading everything:
//! a diff skips folders whose tree is the same in both snapshots, and stats reads each
//! distinct tree once however many snapshots share it.
//!
//! [`IndexedRepository::diff`]: crate::IndexedRepository::diff
//! [`IndexedRepository::find`]: crate::IndexedRepository::find
//! [`IndexedRepository::stats`]: crate::IndexedRepository::stats

mod diff;
mod find;
mod stats;

pub use diff::{Change, ChangeKind, DiffSummary, EntryCounts};
pub use find::{FindMatch, FindQuery, MIN_ID_PREFIX};
pub use stats::{BlobTotals, RepositoryStats, SnapshotStats, Stats, StatsMode};
