//! Restore: recreate a snapshot (or a folder or file of it) below a target folder.
//!
//! Restore first plans: it walks the snapshot's trees, refuses every name that could escape
//! the target (`..`, `/`, empty, NUL, duplicates), creates folders and symlinks, and lists
//! each file's blobs by pack. Then it reads every pack once, in parallel, only the byte
//! ranges it needs, verifies every blob, and writes it at its offsets. Each file is written
//! under a temporary name and renamed into place only when complete, so a failure (damaged
//! blob, full disk) never leaves a file that looks whole. Folder times and modes are set last.

mod metadata;
mod plan;
mod progress;
mod writer;

use std::path::Path;

use crate::error::{Error, Result};
use crate::format::snapshot::Snapshot;
use crate::repository::Repository;
use crate::source::PathPatterns;
use crate::workers::{self, Work};

pub use progress::RestoreProgress;

/// Restore settings.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RestoreOptions {
    /// Only restore paths (inside the snapshot) matching one of these patterns, with their
    /// folders; everything below a matching folder is included.
    pub include: Vec<String>,
    /// Worker threads reading packs (0: two per CPU).
    pub threads: usize,
}

impl RestoreOptions {
    /// Adds an include pattern.
    pub fn include(mut self, pattern: impl Into<String>) -> Self {
        self.include.push(pattern.into());
        self
    }
}

/// What a restore did.
#[derive(Debug, Clone, Default)]
pub struct RestoreOutcome {
    /// Files restored completely.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Folders created or updated.
    pub dirs: u64,
    /// Symlinks created.
    pub symlinks: u64,
    /// Entries that could not be restored, with the reason (damaged data, unsafe names,
    /// write errors). Everything else was restored.
    pub errors: Vec<crate::EntryReport>,
}

impl Repository {
    /// Restores `subpath` of `snapshot` (empty or `/`: everything, laid out by absolute
    /// path) into `target`. A folder's content goes into `target`; a file goes into
    /// `target/<its name>`. Per-entry failures are in the outcome; `Err` means nothing more
    /// could be done (unreadable repository, target not writable).
    pub fn restore(
        &self,
        snapshot: &Snapshot,
        subpath: &str,
        target: &Path,
        options: &RestoreOptions,
        progress: &dyn RestoreProgress,
    ) -> Result<RestoreOutcome> {
        let include = PathPatterns::new(&options.include)?;
        let start = self.find_path(snapshot, subpath)?;
        std::fs::create_dir_all(target).map_err(|e| Error::Target {
            path: target.to_path_buf(),
            source: e,
        })?;
        let target = target.canonicalize().map_err(|e| Error::Target {
            path: target.to_path_buf(),
            source: e,
        })?;
        let _lock = self.lock_for_reading()?;
        let pool = workers::pool("restore", options.threads, Work::Io)?;
        let base = if subpath.trim_matches('/').is_empty() {
            String::new()
        } else {
            format!("/{}", subpath.trim_matches('/'))
        };
        crate::depth::on_deep_stack(|| {
            let mut planner = plan::Planner::new(self, &target, &include, progress, &pool);
            planner.restore_start(&start, &base)?;
            planner.finish()
        })
    }
}
