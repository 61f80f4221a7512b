//! Backup: walk the given paths, store what is new, and record a snapshot.
//!
//! Directories are archived in parallel (rayon, work-stealing across folders and files), each
//! file read once and chunked as it is read; a file whose size, mtime, ctime and inode match
//! the parent snapshot is not read at all, wherever it moved ([`parent_index`]), and hard
//! links are read once ([`hard_links`]). A slice of the unchanged files can be read again to
//! catch damage on the source disk ([`verify_slice`]), and a backup that finds much of its
//! parent gone says so ([`disappeared`]). Blobs go through the shared
//! [`BlobSaver`](crate::pack) and only after every pack and index file is stored is the
//! snapshot written (SPEC.md, "Write order").

mod archiver;
mod disappeared;
mod hard_links;
mod parent_index;
mod progress;
mod resume;
mod root;
mod sidecar_dates;
#[cfg(test)]
mod tests;
mod verify_slice;

use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, FixedOffset};

use crate::error::Result;
use crate::format::snapshot::{Snapshot, SnapshotSummary, SNAPSHOT_VERSION};
use crate::host::{hostname, username};
use crate::id::SnapshotId;
use crate::pack::BlobSaver;
use crate::repository::IndexedRepository;
use crate::repository::LockKind;
use crate::source::PathPatterns;
use crate::workers::{self, Work};

pub use disappeared::{Disappearance, DEFAULT_MASS_DELETION_PERCENT, MASS_DELETION_MIN_FILES};
pub use progress::{BackupProgress, FileStatus};
pub(crate) use resume::verify as verify_whole_pack;
pub use resume::UnverifiedPack;
pub(crate) use verify_slice::VerifySlice;

/// Which snapshot a backup compares against to skip unchanged files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ParentChoice {
    /// The newest snapshot of the same host and the same paths.
    #[default]
    Latest,
    /// This one.
    Snapshot(SnapshotId),
    /// None: read every file.
    None,
}

/// What to back up and how.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BackupOptions {
    /// Host name recorded (default: this machine's).
    pub host: Option<String>,
    /// Tags recorded.
    pub tags: Vec<String>,
    /// Exclude patterns (see [`PathPatterns`]).
    pub excludes: Vec<String>,
    /// Parent snapshot choice.
    pub parent: ParentChoice,
    /// Snapshot time (default: now).
    pub time: Option<DateTime<FixedOffset>>,
    /// Worker threads (0: one per CPU).
    pub threads: usize,
    /// Percentage of the unchanged files read again and compared with the parent, to catch
    /// damage on the source disk (0: none, 100: all; SPEC §14.5).
    pub verify_unchanged_percent: f64,
    /// A backup that finds more than this percentage of the parent's files gone or
    /// truncated to zero bytes raises [`Disappearance::alarm`] (SPEC §14.6).
    pub mass_deletion_percent: f64,
    /// Whether photos and videos whose content is new get a thumbnail (default: yes;
    /// [`crate::thumbnail`]).
    pub thumbnails: bool,
}

impl Default for BackupOptions {
    fn default() -> Self {
        BackupOptions {
            host: None,
            tags: Vec::new(),
            excludes: Vec::new(),
            parent: ParentChoice::default(),
            time: None,
            threads: 0,
            verify_unchanged_percent: 0.0,
            mass_deletion_percent: DEFAULT_MASS_DELETION_PERCENT,
            thumbnails: true,
        }
    }
}

impl BackupOptions {
    /// Sets the host name.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = Some(host.into());
        self
    }

    /// Adds a tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Adds an exclude pattern.
    pub fn exclude(mut self, pattern: impl Into<String>) -> Self {
        self.excludes.push(pattern.into());
        self
    }

    /// Turns thumbnails at backup on or off.
    pub fn thumbnails(mut self, on: bool) -> Self {
        self.thumbnails = on;
        self
    }

    /// Chooses the parent snapshot.
    pub fn parent(mut self, parent: ParentChoice) -> Self {
        self.parent = parent;
        self
    }

    /// Records this snapshot time instead of now (`pvault backup --time`).
    pub fn time(mut self, time: DateTime<FixedOffset>) -> Self {
        self.time = Some(time);
        self
    }

    /// Reads this percentage of the unchanged files again (`--verify-unchanged-fraction`;
    /// 100: `--verify-unchanged`).
    pub fn verify_unchanged(mut self, percent: f64) -> Self {
        self.verify_unchanged_percent = percent;
        self
    }

    /// Sets the mass-deletion threshold in percent (`--mass-deletion-threshold`).
    pub fn mass_deletion_threshold(mut self, percent: f64) -> Self {
        self.mass_deletion_percent = percent;
        self
    }
}

/// What a backup produced.
#[derive(Debug, Clone)]
pub struct BackupOutcome {
    /// The new snapshot's id.
    pub snapshot_id: SnapshotId,
    /// The new snapshot.
    pub snapshot: Snapshot,
    /// Its counters.
    pub summary: SnapshotSummary,
    /// Source entries that could not be read, with the reason; the snapshot holds the rest.
    pub errors: Vec<crate::EntryReport>,
    /// Files stored with a warning (they changed while they were read), with the warning.
    pub warnings: Vec<crate::EntryReport>,
    /// Packs in the repository that no index lists and that did not verify: left alone and
    /// not used (`check --read-data` reports them too).
    pub unverified_packs: Vec<UnverifiedPack>,
    /// Files whose content changed although their size and modification time did not
    /// ([`EntryProblem::SourceDamaged`](crate::EntryProblem::SourceDamaged)), found by
    /// reading unchanged files again; each was stored as a new version.
    pub source_damaged: Vec<crate::EntryReport>,
    /// Unchanged files found at another path than in the parent snapshot (moved or
    /// renamed), not read.
    pub files_moved: u64,
    /// Unchanged files read again to verify them.
    pub files_verified: u64,
    /// What disappeared since the parent snapshot (`None` without a parent).
    pub disappearance: Option<Disappearance>,
}

impl IndexedRepository {
    /// Backs up `paths` and writes a snapshot. Unreadable files are reported through
    /// `progress` and listed in the outcome; the snapshot is still written.
    pub fn backup(
        &self,
        paths: &[PathBuf],
        options: &BackupOptions,
        progress: &dyn BackupProgress,
    ) -> Result<BackupOutcome> {
        let started = Instant::now();
        let time = options
            .time
            .unwrap_or_else(|| chrono::Local::now().fixed_offset());
        let host = options.host.clone().unwrap_or_else(hostname);
        let sources = root::absolute_sources(paths)?;
        let excludes = PathPatterns::new(&options.excludes)?;
        let lock = self.lock(LockKind::Shared)?;
        if let Some(since) = lock.alone_since() {
            // Nobody else is writing: temporary packs of killed backups are garbage.
            self.inner.backend.remove_unfinished_writes(since)?;
        }

        // What the index is made of as this backup starts: if a prune replaces index files
        // meanwhile, blobs this backup deduplicated against may have left the index.
        let index_files_at_start = self.index_file_names()?;

        // Leftovers first: the parent's trees may be in packs only they hold. While a prune
        // runs, packs no index lists may be its garbage, about to be deleted (SPEC W11).
        let adoption = if lock.prune_running() {
            resume::Adoption::default()
        } else {
            resume::adopt_unindexed_packs(self)?
        };
        for unverified in &adoption.unverified {
            progress.pack_unverified(unverified);
        }

        let shown_paths: Vec<String> = sources.iter().map(|p| p.display().to_string()).collect();
        let (parent, runs_before) = self.choose_parent(&options.parent, &host, &shown_paths)?;
        // An unreadable parent only costs reading every file again.
        let parent_tree = parent
            .as_ref()
            .and_then(|p| self.read_tree(&p.snapshot.tree).ok());

        let pool = workers::pool("backup", options.threads, Work::Cpu)?;
        let saver = BlobSaver::new(self.clone())?;
        let baseline = archiver::Baseline {
            parent: parent.as_ref().map(|p| p.id),
            index: parent_index::ParentIndex::new(
                self,
                parent_tree
                    .as_ref()
                    .and(parent.as_ref().map(|p| p.snapshot.tree)),
            ),
            verify: VerifySlice::new(options.verify_unchanged_percent, runs_before),
        };
        let archiver = archiver::Archiver::new(
            self.clone(),
            &saver,
            &excludes,
            progress,
            baseline,
            options.thumbnails,
        );
        let root_tree = std::thread::scope(|scope| {
            if progress.wants_totals() {
                scope.spawn(|| {
                    let (files, bytes) = crate::source::count_files(&sources, &excludes);
                    progress.totals(files, bytes);
                });
            }
            pool.install(|| root::archive_roots(&archiver, &sources, parent_tree.as_ref()))
        })?;
        let mut summary = archiver.summary();
        let errors = archiver.take_errors();
        let warnings = archiver.take_warnings();
        let source_damaged = archiver.take_damaged();
        let (files_moved, files_verified) = archiver.moved_and_verified();
        drop(archiver);
        let stats = saver.finish()?;

        summary.blobs_added = stats.blobs;
        summary.data_added = stats.raw_bytes;
        summary.data_added_stored = stats.stored_bytes;
        summary.thumbnail_bytes_added = stats.thumbnail_bytes;
        summary.errors = errors.len() as u64;
        summary.packs_adopted = adoption.adopted;
        summary.duration_seconds = started.elapsed().as_secs_f64();
        let mut tags = options.tags.clone();
        tags.sort();
        tags.dedup();
        let snapshot = Snapshot {
            version: SNAPSHOT_VERSION,
            time,
            hostname: host,
            username: username(),
            paths: shown_paths,
            tags,
            tree: root_tree,
            parent: parent.as_ref().map(|p| p.id),
            summary: Some(summary.clone()),
            program_version: format!("photovault {}", crate::VERSION),
            original: None,
            lost: Vec::new(),
        };
        // A prune that ran meanwhile may have taken blobs this backup deduplicated against
        // out of the index: index them again, before the snapshot is written and, since
        // the prune may remove the index files it replaced only now, after it (SPEC W9).
        if !index_files_at_start.is_subset(&self.index_file_names()?) {
            crate::prune::keep_new_snapshot_whole(self, root_tree)?;
        }
        let snapshot_id = self.save_snapshot(&snapshot)?;
        if !index_files_at_start.is_subset(&self.index_file_names()?) {
            crate::prune::keep_new_snapshot_whole(self, root_tree)?;
        }
        // The snapshot is written whatever disappeared; an unreadable parent tree only
        // means the comparison cannot be made.
        let disappearance = match &parent {
            Some(p) if parent_tree.is_some() => self
                .disappearance(
                    &p.snapshot,
                    &snapshot,
                    summary.total_files,
                    options.mass_deletion_percent,
                )
                .ok(),
            _ => None,
        };
        Ok(BackupOutcome {
            snapshot_id,
            snapshot,
            summary,
            errors,
            warnings,
            unverified_packs: adoption.unverified,
            source_damaged,
            files_moved,
            files_verified,
            disappearance,
        })
    }

    fn index_file_names(&self) -> Result<std::collections::HashSet<String>> {
        Ok(self
            .inner
            .backend
            .list(crate::backend::FileKind::Index)?
            .into_iter()
            .map(|f| f.name)
            .collect())
    }

    /// The parent snapshot, and how many snapshots of this host and these paths there are
    /// (the run number that moves the verify slice on).
    fn choose_parent(
        &self,
        choice: &ParentChoice,
        host: &str,
        paths: &[String],
    ) -> Result<(Option<crate::SnapshotEntry>, u64)> {
        let mut same: Vec<crate::SnapshotEntry> = self
            .snapshots()?
            .into_iter()
            .filter(|s| s.snapshot.hostname == host && s.snapshot.paths == paths)
            .collect();
        let runs = same.len() as u64;
        let parent = match choice {
            ParentChoice::None => None,
            ParentChoice::Snapshot(id) => Some(crate::SnapshotEntry {
                id: *id,
                snapshot: self.load_snapshot(id)?,
            }),
            ParentChoice::Latest => same.pop(),
        };
        Ok((parent, runs))
    }
}
