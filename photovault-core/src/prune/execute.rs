//! Carrying out a prune plan, in the order that keeps every snapshot readable at every
//! moment (SPEC W9): copy the used blobs of repacked packs into new packs and index them;
//! write index files without the packs that go; remove the index files they replace; and
//! only then, when no other process holds a lock, delete the packs no index lists.
//!
//! The last step is the second phase. Until it runs, the packs that go are merely unused
//! (listed by no index file): a backup that starts now cannot deduplicate against them, and
//! one that started earlier, with the old index in hand, still holds its lock, so deletion
//! waits for a later prune. Before deleting, snapshots written since the plan are checked,
//! and a pack holding a blob one of them needs is indexed again instead of deleted.

use rayon::prelude::*;
use serde::Serialize;

use crate::backend::FileKind;
use crate::error::{Error, Result};
use crate::format::blob::{open_blob, BlobLocation};
use crate::format::index_file::IndexFile;
use crate::id::{BlobId, PackId};
use crate::index::{read_index_file, write_index_file, FLUSH_BLOBS};
use crate::pack::BlobSaver;

use super::plan::PrunePlan;
use super::reindex::reindex_missing;
use super::{PrunePhase, PruneProgress};

/// What a prune did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PruneReport {
    /// Packs whose used blobs were copied into new packs.
    pub packs_repacked: u64,
    /// Blobs copied.
    pub blobs_repacked: u64,
    /// Index files written (the rewritten ones and those of the new packs).
    pub index_files_written: u64,
    /// Index files removed.
    pub index_files_removed: u64,
    /// Packs deleted from the storage.
    pub packs_deleted: u64,
    /// Their bytes.
    pub bytes_deleted: u64,
    /// Packs indexed again because a snapshot written during the prune needs them.
    pub packs_reindexed: u64,
    /// Why unused packs were left for a later prune, if they were.
    pub deletion_deferred: Option<Deferral>,
}

/// Why a prune left unused packs in place (a later prune deletes them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Deferral {
    /// Other processes held locks: one may still use the packs through an index it read
    /// before they left it.
    #[error("{locks} other process(es) hold a lock and may still use them")]
    OtherLocks {
        /// How many live locks other than the prune's.
        locks: usize,
    },
    /// A snapshot written during the prune references blobs found neither in the index nor
    /// in the unused packs.
    #[error("a snapshot written during the prune references {blobs} blob(s) that are nowhere to be found; check the repository")]
    BlobsMissing {
        /// How many.
        blobs: usize,
    },
}

impl PrunePlan {
    /// Carries out the plan. An interruption at any point leaves a repository whose
    /// snapshots all read; the next prune finishes the job.
    pub fn execute(self, progress: &dyn PruneProgress) -> Result<PruneReport> {
        let mut report = PruneReport::default();
        let repo = self.repo.clone();
        self.repack(&mut report, progress)?;
        self.rewrite_index(&mut report, progress)?;
        repo.refresh_index()?;
        self.delete_unused(&mut report, progress)?;
        Ok(report)
    }

    fn repack(&self, report: &mut PruneReport, progress: &dyn PruneProgress) -> Result<()> {
        if self.repack.is_empty() {
            return Ok(());
        }
        progress.phase(PrunePhase::Repacking {
            packs: self.repack.len() as u64,
        });
        let repo = &self.repo;
        let saver = BlobSaver::new(repo.clone())?;
        let packs: Vec<(&PackId, &Vec<crate::format::blob::BlobEntry>)> =
            self.repack.iter().collect();
        let copied: Vec<Result<u64>> = packs
            .par_iter()
            .map(|(pack, entries)| {
                let bytes = repo.backend().read_all(FileKind::Pack, &pack.to_hex())?;
                for entry in entries.iter() {
                    let location = BlobLocation {
                        pack: **pack,
                        entry: *entry,
                    };
                    let stored = bytes
                        .get(entry.offset as usize..entry.end() as usize)
                        .ok_or_else(|| {
                            Error::damaged(
                                format!("pack {}", pack.short()),
                                crate::Damage::Truncated("a blob the index lists"),
                            )
                        })?;
                    let plain = open_blob(&repo.inner.key, &location, stored)?;
                    saver.save_again(entry.kind, entry.id, &plain, entry.compression)?;
                }
                progress.pack_done();
                Ok(entries.len() as u64)
            })
            .collect();
        for result in copied {
            report.blobs_repacked += result?;
        }
        saver.finish()?;
        report.packs_repacked = self.repack.len() as u64;
        Ok(())
    }

    fn rewrite_index(&self, report: &mut PruneReport, progress: &dyn PruneProgress) -> Result<()> {
        if self.index_files_to_rewrite.is_empty() {
            return Ok(());
        }
        progress.phase(PrunePhase::RewritingIndex {
            files: self.index_files_to_rewrite.len() as u64,
        });
        let backend = self.repo.backend().as_ref();
        let key = &self.repo.inner.key;
        let goes = |pack: &PackId| self.delete.contains(pack) || self.repack.contains_key(pack);
        let mut batch = IndexFile::default();
        let mut batch_blobs = 0;
        for name in &self.index_files_to_rewrite {
            let (_, file) = read_index_file(backend, key, name)?;
            for pack in file.packs.into_iter().filter(|p| !goes(&p.id)) {
                batch_blobs += pack.blobs.len();
                batch.packs.push(pack);
                if batch_blobs >= FLUSH_BLOBS {
                    write_index_file(backend, key, &batch)?;
                    report.index_files_written += 1;
                    batch = IndexFile::default();
                    batch_blobs = 0;
                }
            }
        }
        if !batch.packs.is_empty() {
            write_index_file(backend, key, &batch)?;
            report.index_files_written += 1;
        }
        for name in &self.index_files_to_rewrite {
            backend.remove(FileKind::Index, name)?;
            report.index_files_removed += 1;
        }
        Ok(())
    }

    fn delete_unused(self, report: &mut PruneReport, progress: &dyn PruneProgress) -> Result<()> {
        let repo = self.repo.clone();
        // Listed before the locks are checked: a pack that exists now was written by a
        // process that took its lock earlier (W10), so if no other lock is live then, its
        // writer has ended, and it is indexed or garbage.
        let listed: Vec<(PackId, u64)> = repo
            .backend()
            .list(FileKind::Pack)?
            .into_iter()
            .filter_map(|f| f.name.parse::<PackId>().ok().map(|id| (id, f.size)))
            .collect();
        let others = self.lock.others_now()?;
        if others == 0 {
            if let Some(since) = self.lock.alone_since() {
                // Temporary files of writes that were under way before this prune began,
                // by processes that have ended since: a killed backup's or prune's (W10).
                repo.backend().remove_unfinished_writes(since)?;
            }
        }
        let index = repo.index();
        index.refresh()?;
        let known = index.known_packs()?;
        let mut unused: Vec<(PackId, u64)> = listed
            .into_iter()
            .filter(|(id, _)| !known.contains(id))
            .collect();

        // A backup that read the index before this prune rewrote it may have written a
        // snapshot using blobs of packs that just left the index: index those again, also
        // when deletion has to wait (W9).
        let new_roots: Vec<(BlobId, Option<crate::id::SnapshotId>)> = repo
            .snapshots()?
            .into_iter()
            .filter(|s| !self.snapshots_seen.contains(&s.id))
            .map(|s| (s.snapshot.tree, Some(s.id)))
            .collect();
        let mut still_missing = 0;
        if !new_roots.is_empty() {
            let (reindexed, missing) = reindex_missing(&repo, &new_roots, &mut unused)?;
            report.packs_reindexed = reindexed;
            still_missing = missing;
        }
        if others > 0 {
            report.deletion_deferred = Some(Deferral::OtherLocks { locks: others });
            return Ok(());
        }
        if still_missing > 0 {
            report.deletion_deferred = Some(Deferral::BlobsMissing {
                blobs: still_missing,
            });
            return Ok(());
        }
        progress.phase(PrunePhase::Deleting {
            packs: unused.len() as u64,
        });
        let removed: Vec<Result<u64>> = unused
            .par_iter()
            .map(|(id, size)| {
                repo.inner.remove_file(FileKind::Pack, &id.to_hex())?;
                progress.pack_done();
                Ok(*size)
            })
            .collect();
        for result in removed {
            report.bytes_deleted += result?;
            report.packs_deleted += 1;
        }
        Ok(())
    }
}
