//! Backup: walk the given paths, store what is new, and record a snapshot.
//!
//! Directories are archived in parallel (rayon, work-stealing across folders and files), each
//! file read once and chunked as it is read; a file whose size, mtime, ctime and inode match
//! the parent snapshot is not read at all. Blobs go through the shared
//! [`BlobSaver`](crate::pack) and only after every pack and index file is stored is the
//! snapshot written (SPEC.md, "Write order").

mod archiver;
mod progress;
mod resume;
mod root;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, FixedOffset};

use crate::error::Result;
use crate::format::snapshot::{Snapshot, SnapshotSummary, SNAPSHOT_VERSION};
use crate::host::{hostname, username};
use crate::id::SnapshotId;
use crate::pack::BlobSaver;
use crate::repository::LockKind;
use crate::repository::Repository;
use crate::source::PathPatterns;
use crate::workers::{self, Work};

pub use progress::{BackupProgress, FileStatus};
pub(crate) use resume::verify as verify_whole_pack;
pub use resume::UnverifiedPack;

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
#[derive(Debug, Clone, Default)]
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
}

impl Repository {
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
            resume::adopt_unindexed_packs(&self.inner)?
        };
        for unverified in &adoption.unverified {
            progress.pack_unverified(unverified);
        }

        let shown_paths: Vec<String> = sources.iter().map(|p| p.display().to_string()).collect();
        let parent = self.choose_parent(&options.parent, &host, &shown_paths)?;
        // An unreadable parent only costs reading every file again.
        let parent_tree = parent
            .as_ref()
            .and_then(|p| self.read_tree(&p.snapshot.tree).ok());

        let pool = workers::pool("backup", options.threads, Work::Cpu)?;
        let saver = BlobSaver::new(self.inner.clone())?;
        let archiver =
            archiver::Archiver::new(Arc::clone(&self.inner), &saver, &excludes, progress);
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
        drop(archiver);
        let stats = saver.finish()?;

        summary.blobs_added = stats.blobs;
        summary.data_added = stats.raw_bytes;
        summary.data_added_stored = stats.stored_bytes;
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
            parent: parent.map(|p| p.id),
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
        Ok(BackupOutcome {
            snapshot_id,
            snapshot,
            summary,
            errors,
            warnings,
            unverified_packs: adoption.unverified,
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

    fn choose_parent(
        &self,
        choice: &ParentChoice,
        host: &str,
        paths: &[String],
    ) -> Result<Option<crate::SnapshotEntry>> {
        match choice {
            ParentChoice::None => Ok(None),
            ParentChoice::Snapshot(id) => Ok(Some(crate::SnapshotEntry {
                id: *id,
                snapshot: self.load_snapshot(id)?,
            })),
            ParentChoice::Latest => Ok(self
                .snapshots()?
                .into_iter()
                .rev()
                .find(|s| s.snapshot.hostname == host && s.snapshot.paths == paths)),
        }
    }
}
