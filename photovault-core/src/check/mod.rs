//! Check: prove that the repository can restore what it claims to hold.
//!
//! Structure first: every index file decrypts and matches its name; every pack the index
//! names exists and its header lists exactly the blobs the index says; every snapshot decodes
//! and every tree it reaches is readable, with every blob it references in the index. With
//! `read_data`, every selected pack is read whole, once, in parallel: its hash must match its
//! name and every blob must decrypt and hash to its id. Damaged or missing data blobs are
//! then traced to the files and snapshots that contain them.

mod packs;
mod problem;
mod subset;
mod trees;

use std::collections::HashSet;
use std::path::PathBuf;

use serde::Serialize;

use crate::error::Result;
use crate::id::{BlobId, PackId, SnapshotId};
use crate::repository::IndexedRepository;
use crate::workers::{self, Work};

pub use problem::{BlobFault, CheckError, EntryFault, PackFault, Problem};
pub use subset::ReadData;

/// What to check.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CheckOptions {
    /// Which packs to read in full (default: none, structure only).
    pub read_data: ReadData,
    /// Worker threads reading packs (0: four per CPU, at most 32).
    pub threads: usize,
}

impl CheckOptions {
    /// Reads the data selected by `read_data`.
    pub fn read_data(mut self, read_data: ReadData) -> Self {
        self.read_data = read_data;
        self
    }
}

/// A file whose content cannot be restored intact, in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DamagedFile {
    /// The snapshot.
    pub snapshot: SnapshotId,
    /// The file's path in it.
    pub path: PathBuf,
    /// The first bad blob of its content.
    pub blob: BlobId,
}

/// What a check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    /// Everything wrong; empty means the repository is sound (as far as checked).
    pub problems: Vec<Problem>,
    /// Files affected by damaged or missing data, per snapshot.
    pub damaged_files: Vec<DamagedFile>,
    /// More affected files, counted but not listed (each tree lists at most 1,000).
    pub damaged_files_omitted: u64,
    /// Packs no index refers to: left over by an interrupted backup; harmless.
    pub unused_packs: Vec<PackId>,
    /// Snapshots checked.
    pub snapshots: u64,
    /// Distinct trees read.
    pub trees: u64,
    /// Packs whose headers were checked.
    pub packs: u64,
    /// Packs read in full.
    pub packs_read: u64,
    /// Blobs verified by reading.
    pub blobs_read: u64,
    /// Bytes read in full.
    pub bytes_read: u64,
}

impl CheckReport {
    /// Whether no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Progress of a running check; no-op defaults, `()` implements it.
pub trait CheckProgress: Sync {
    /// A phase starts (`"index"`, `"packs"`, `"data"`, `"snapshots"`), with its size.
    fn phase(&self, _name: &'static str, _total: u64) {}
    /// Work within the current phase (packs or bytes or snapshots).
    fn advance(&self, _amount: u64) {}
    /// A problem was found.
    fn problem(&self, _problem: &Problem) {}
}

impl CheckProgress for () {}

impl IndexedRepository {
    /// Checks the repository; see the module documentation for what is checked.
    pub fn check(
        &self,
        options: &CheckOptions,
        progress: &dyn CheckProgress,
    ) -> Result<CheckReport> {
        let _lock = self.lock_for_reading()?;
        let pool = workers::pool("check", options.threads, Work::Scan)?;
        let mut report = CheckReport::default();
        let found = |report: &mut CheckReport, p: Problem| {
            progress.problem(&p);
            report.problems.push(p);
        };
        for p in packs::check_keys(self)? {
            found(&mut report, p);
        }
        let index = pool.install(|| packs::check_index_files(self, progress))?;
        for p in index.problems.clone() {
            found(&mut report, p);
        }
        let outcome =
            pool.install(|| packs::check_packs(self, &index, &options.read_data, progress))?;
        report.packs = outcome.packs;
        report.packs_read = outcome.packs_read;
        report.blobs_read = outcome.blobs_read;
        report.bytes_read = outcome.bytes_read;
        report.unused_packs = outcome.unused;
        let bad_blobs: HashSet<BlobId> = outcome.bad_blobs.iter().copied().collect();
        for p in outcome.problems {
            found(&mut report, p);
        }
        let walk =
            crate::depth::on_deep_stack(|| trees::check_snapshots(self, &bad_blobs, progress))?;
        report.damaged_files_omitted = walk.damaged_files_omitted;
        report.snapshots = walk.snapshots;
        report.trees = walk.trees;
        report.damaged_files = walk.damaged_files;
        for p in walk.problems {
            found(&mut report, p);
        }
        Ok(report)
    }
}
