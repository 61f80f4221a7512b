//! Repair: put a damaged repository back into a state every other operation trusts.
//!
//! - [`Repository::repair_index`](crate::Repository::repair_index) rebuilds the index from the pack headers alone.
//! - [`IndexedRepository::repair_packs`](crate::IndexedRepository::repair_packs) salvages the intact blobs of damaged packs.
//! - [`IndexedRepository::repair_snapshots`](crate::IndexedRepository::repair_snapshots) rewrites snapshots around data that is lost.
//!
//! Healing a repository after `check --read-data` reports damage: `repair packs` (damaged
//! blobs leave the index), then `backup` of the same source (files whose blobs are missing
//! are read and stored again, which also heals every older snapshot that shares those blobs),
//! then `check`, and `repair snapshots` for whatever the source no longer has.
//!
//! Every repair writes what is new before it removes what it replaces, so an interrupted
//! repair leaves the repository no worse than it found it.

mod index;
mod packs;
mod snapshots;

pub use index::RepairIndexReport;
pub use packs::RepairPacksReport;
pub use snapshots::{RepairSnapshotsOptions, RepairSnapshotsReport, RepairedSnapshot};
