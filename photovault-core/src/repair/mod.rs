//! Repair: put a damaged repository back into a state every other operation trusts.
//!
//! - [`Repository::repair_index`] rebuilds the index from the pack headers alone.
//!
//! Every repair writes what is new before it removes what it replaces, so an interrupted
//! repair leaves the repository no worse than it found it.

mod index;

pub use index::RepairIndexReport;
