//! Restore: recreate a snapshot (or a folder or file of it) below a target folder.
//!
//! Restore first plans: it walks the snapshot's trees, refuses every name that could escape
//! the target (`..`, `/`, empty, NUL, duplicates), creates folders and symlinks, and lists
//! each file's blobs by pack. Then it reads every pack once, in parallel, only the byte
//! ranges it needs, verifies every blob, and writes it at its offsets. Each file is written
//! under a temporary name and renamed into place only when complete, so a failure (damaged
//! blob, full disk) never leaves a file that looks whole. Folder times and modes are set last.

mod direct;
mod existing;
mod hard_links;
mod metadata;
mod plan;
mod progress;
mod write_behind;
mod writer;

use std::path::Path;

use crate::error::{Error, Result};
use crate::format::snapshot::Snapshot;
use crate::repository::IndexedRepository;
use crate::source::PathPatterns;
use crate::workers::{self, Work};

pub use existing::Overwrite;
pub use progress::{DryRunAction, RestoreProgress};

/// Restore settings.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RestoreOptions {
    /// Only restore paths (inside the snapshot) matching one of these patterns, with their
    /// folders; everything below a matching folder is included.
    pub include: Vec<String>,
    /// Worker threads reading packs (0: two per CPU).
    pub threads: usize,
    /// When a file already in the target is replaced (default: when its content differs).
    pub overwrite: Overwrite,
    /// Remove what the restored folders hold and the snapshot does not (not with `include`).
    pub delete: bool,
    /// Change nothing; count what would be written, left alone and deleted.
    pub dry_run: bool,
    /// Read every written file back and compare it with the snapshot.
    pub verify: bool,
}

impl RestoreOptions {
    /// Adds an include pattern.
    pub fn include(mut self, pattern: impl Into<String>) -> Self {
        self.include.push(pattern.into());
        self
    }
}

/// What a restore did (with [`RestoreOptions::dry_run`]: would do).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RestoreOutcome {
    /// Files written completely.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Files already in the target that were left as they are (see [`Overwrite`]).
    pub files_skipped: u64,
    /// Their bytes.
    pub bytes_skipped: u64,
    /// Entries removed because the snapshot does not have them ([`RestoreOptions::delete`]).
    pub deleted: u64,
    /// Temporary files of an earlier, interrupted restore that were removed.
    pub debris_removed: u64,
    /// Files read back and found identical to the snapshot ([`RestoreOptions::verify`]).
    pub verified: u64,
    /// Folders created or updated.
    pub dirs: u64,
    /// Symlinks created.
    pub symlinks: u64,
    /// Files restored as another name of a file restored before them (hard links; also
    /// counted in `files`).
    pub hard_links: u64,
    /// Entries that could not be restored, with the reason (damaged data, unsafe names,
    /// write errors). Everything else was restored.
    pub errors: Vec<crate::EntryReport>,
}

impl IndexedRepository {
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
        if options.delete && !include.is_empty() {
            return Err(Error::InvalidArgument(
                "deleting what the snapshot does not have cannot be combined with include patterns: it would delete everything not included".into(),
            ));
        }
        let start = self.find_path(snapshot, subpath)?;
        if !options.dry_run {
            std::fs::create_dir_all(target).map_err(|e| Error::Target {
                path: target.to_path_buf(),
                source: e,
            })?;
        }
        let resolved = if options.dry_run && !target.exists() {
            std::path::absolute(target)
        } else {
            target.canonicalize()
        };
        let target = resolved.map_err(|e| Error::Target {
            path: target.to_path_buf(),
            source: e,
        })?;
        if options.delete && target.parent().is_none() {
            return Err(Error::InvalidArgument(
                "refusing to delete what the snapshot does not have from the root folder /".into(),
            ));
        }
        let _lock = self.lock_for_reading()?;
        let pool = workers::pool("restore", options.threads, Work::Io)?;
        let base = if subpath.trim_matches('/').is_empty() {
            String::new()
        } else {
            format!("/{}", subpath.trim_matches('/'))
        };
        crate::depth::on_deep_stack(|| {
            let mut planner = plan::Planner::new(self, &target, &include, options, progress, &pool);
            planner.restore_start(&start, &base)?;
            planner.finish()
        })
    }
}
