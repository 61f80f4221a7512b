//! Planning a prune: which packs are deleted, rewritten or kept, and why.
//!
//! Nothing is changed here. The plan holds the prune's lock, so it stays true while it is
//! shown (`--dry-run`) and executed.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::backend::FileKind;
use crate::error::{Error, Result};
use crate::format::blob::{BlobEntry, BlobKind};
use crate::id::{PackId, SnapshotId};
use crate::index::read_index_file;
use crate::repository::{IndexedRepository, LockGuard, LockKind};

use super::reindex::reindex_missing;
use super::used::{PruneBlocker, UsedBlobs};
use super::PruneOptions;

/// What a prune will do, in numbers. Sizes are bytes as stored (compressed and sealed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PruneStats {
    /// Snapshots whose data is kept.
    pub snapshots: u64,
    /// Distinct blobs they reference.
    pub blobs_used: u64,
    /// Bytes of those blobs.
    pub bytes_used: u64,
    /// Indexed blobs no snapshot references (and further copies of used blobs).
    pub blobs_unused: u64,
    /// Bytes of those blobs.
    pub bytes_unused: u64,
    /// Packs in the storage.
    pub packs: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Indexed packs holding only unused blobs: deleted.
    pub packs_to_delete: u64,
    /// Their bytes.
    pub bytes_to_delete: u64,
    /// Packs mostly unused: their used blobs are copied into new packs, then they are deleted.
    pub packs_to_repack: u64,
    /// Their bytes.
    pub bytes_to_repack: u64,
    /// Used bytes copied out of them.
    pub bytes_to_copy: u64,
    /// Packs kept as they are.
    pub packs_to_keep: u64,
    /// Their bytes.
    pub bytes_to_keep: u64,
    /// Unused bytes left in kept packs.
    pub bytes_unused_kept: u64,
    /// Packs no index file lists (left by killed backups, or being written by a running one):
    /// deleted when no other process holds a lock.
    pub unindexed_packs: u64,
    /// Their bytes.
    pub unindexed_bytes: u64,
    /// Index files rewritten without the deleted and repacked packs.
    pub index_files_to_rewrite: u64,
    /// The size of the packs afterwards (if every deletion can be done now).
    pub bytes_after: u64,
}

/// A computed prune, holding the repository's prune lock until it is executed or dropped.
/// Show it with [`PrunePlan::stats`]; carry it out with [`PrunePlan::execute`].
pub struct PrunePlan {
    pub(super) repo: IndexedRepository,
    pub(super) lock: LockGuard,
    pub(super) stats: PruneStats,
    /// Indexed packs with no used blob.
    pub(super) delete: HashSet<PackId>,
    /// Packs to rewrite, with the used blobs to copy out of them.
    pub(super) repack: HashMap<PackId, Vec<BlobEntry>>,
    pub(super) index_files_to_rewrite: Vec<String>,
    pub(super) snapshots_seen: HashSet<SnapshotId>,
}

impl std::fmt::Debug for PrunePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrunePlan")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl PrunePlan {
    /// What the prune will do.
    pub fn stats(&self) -> &PruneStats {
        &self.stats
    }

    /// The packs it deletes because nothing in them is used.
    pub fn packs_to_delete(&self) -> Vec<PackId> {
        let mut out: Vec<PackId> = self.delete.iter().copied().collect();
        out.sort();
        out
    }

    /// The packs it rewrites.
    pub fn packs_to_repack(&self) -> Vec<PackId> {
        let mut out: Vec<PackId> = self.repack.keys().copied().collect();
        out.sort();
        out
    }
}

/// One indexed pack, as the used blobs see it.
#[derive(Default)]
struct PackUsage {
    used_blobs: u64,
    used_bytes: u64,
    unused_blobs: u64,
    unused_bytes: u64,
}

impl IndexedRepository {
    /// Takes the prune lock and computes what a prune would do, changing nothing. Refuses
    /// ([`Error::PruneRefused`]) when it cannot tell what is used: an unreadable snapshot or
    /// tree, blobs missing from the index, packs missing from the storage.
    pub fn plan_prune(&self, options: &PruneOptions) -> Result<PrunePlan> {
        let lock = self.lock(LockKind::Prune)?;
        match self.plan_locked(lock, options)? {
            Planned::Plan(plan) => Ok(*plan),
            // Packs were indexed again: plan with the index as it is now.
            Planned::Again(lock) => match self.plan_locked(lock, options)? {
                Planned::Plan(plan) => Ok(*plan),
                Planned::Again(_) => Err(Error::PruneRefused {
                    reason: PruneBlocker::MissingBlobs { count: 0 },
                }),
            },
        }
    }

    fn plan_locked(&self, lock: LockGuard, options: &PruneOptions) -> Result<Planned> {
        let (snapshots, unreadable) = self.snapshots_and_errors()?;
        if let Some((name, error)) = unreadable.into_iter().next() {
            return Err(Error::PruneRefused {
                reason: PruneBlocker::UnreadableSnapshot {
                    name,
                    error: error.to_string(),
                },
            });
        }
        let mut used = UsedBlobs::default();
        if let Err(e) = used.walk(self, &snapshots, &mut |_| {}) {
            // A tree may be missing only from the index (see below).
            return match self.reindex_what_snapshots_miss(&snapshots)? {
                (reindexed, 0) if reindexed > 0 => Ok(Planned::Again(lock)),
                _ => Err(e),
            };
        }

        let stored: HashMap<PackId, u64> = self
            .backend()
            .list(FileKind::Pack)?
            .into_iter()
            .filter_map(|f| f.name.parse::<PackId>().ok().map(|id| (id, f.size)))
            .collect();
        let index = self.index();
        let mut usage: HashMap<PackId, PackUsage> = HashMap::new();
        let mut found = vec![false; used.len()];
        index.for_each_ranked_location(&mut |location, primary| {
            let pack = usage.entry(location.pack).or_default();
            let id = &location.entry.id;
            let position = match location.entry.kind {
                // Optional: kept when used, never missing.
                BlobKind::Thumbnail => (primary && used.keeps_thumbnail(id)).then_some(None),
                BlobKind::Data | BlobKind::Tree => {
                    primary.then(|| used.position(id).map(Some)).flatten()
                }
            };
            match position {
                Some(at) => {
                    if let Some(at) = at {
                        found[at] = true;
                    }
                    pack.used_blobs += 1;
                    pack.used_bytes += location.entry.length as u64;
                }
                None => {
                    pack.unused_blobs += 1;
                    pack.unused_bytes += location.entry.length as u64;
                }
            }
        })?;
        let missing = found.iter().filter(|f| !**f).count() as u64;
        if missing > 0 {
            // A backup of an older photovault that ran beside a prune can leave a snapshot
            // whose blobs are in packs the prune took out of the index: index them again.
            let reindexed = self.reindex_what_snapshots_miss(&snapshots)?;
            if reindexed.1 > 0 || reindexed.0 == 0 {
                return Err(Error::PruneRefused {
                    reason: PruneBlocker::MissingBlobs { count: missing },
                });
            }
            return Ok(Planned::Again(lock));
        }
        let mut absent: Vec<PackId> = usage
            .keys()
            .filter(|p| !stored.contains_key(p))
            .copied()
            .collect();
        if !absent.is_empty() {
            absent.sort();
            return Err(Error::PruneRefused {
                reason: PruneBlocker::MissingPacks { packs: absent },
            });
        }

        let mut stats = PruneStats {
            snapshots: snapshots.len() as u64,
            blobs_used: used.len() as u64,
            packs: stored.len() as u64,
            bytes: stored.values().sum(),
            ..PruneStats::default()
        };
        let mut delete = HashSet::new();
        let mut partly_used: Vec<(PackId, u64, &PackUsage)> = Vec::new();
        for (pack, u) in &usage {
            let size = stored[pack];
            stats.bytes_used += u.used_bytes;
            stats.blobs_unused += u.unused_blobs;
            stats.bytes_unused += u.unused_bytes;
            if u.used_blobs == 0 {
                delete.insert(*pack);
                stats.packs_to_delete += 1;
                stats.bytes_to_delete += size;
            } else if u.unused_blobs > 0 {
                partly_used.push((*pack, size, u));
            } else {
                stats.packs_to_keep += 1;
                stats.bytes_to_keep += size;
            }
        }
        for (pack, size) in &stored {
            if !usage.contains_key(pack) {
                stats.unindexed_packs += 1;
                stats.unindexed_bytes += size;
            }
        }

        // Rewrite the most wasteful packs first, until what stays unused is tolerated.
        partly_used.sort_by(|a, b| {
            let waste = |(_, size, u): &(PackId, u64, &PackUsage)| {
                u.unused_bytes as f64 / *size.max(&1) as f64
            };
            waste(b).total_cmp(&waste(a)).then(a.0.cmp(&b.0))
        });
        let mut unused_kept: u64 = partly_used.iter().map(|(_, _, u)| u.unused_bytes).sum();
        let limit = options.max_unused.limit(stats.bytes_used);
        let mut repack_ids = HashSet::new();
        for (pack, size, u) in &partly_used {
            let within_budget = options
                .max_repack_bytes
                .is_none_or(|max| stats.bytes_to_repack + size <= max);
            if unused_kept > limit && within_budget {
                repack_ids.insert(*pack);
                unused_kept -= u.unused_bytes;
                stats.packs_to_repack += 1;
                stats.bytes_to_repack += size;
                stats.bytes_to_copy += u.used_bytes;
            } else {
                stats.packs_to_keep += 1;
                stats.bytes_to_keep += size;
            }
        }
        stats.bytes_unused_kept = unused_kept;
        // The copied blobs' header entries (46 bytes each, sealed per pack) come on top.
        let copied_blobs: u64 = partly_used
            .iter()
            .filter(|(pack, _, _)| repack_ids.contains(pack))
            .map(|(_, _, u)| u.used_blobs)
            .sum();
        stats.bytes_after = stats.bytes_to_keep
            + stats.bytes_to_copy
            + copied_blobs * crate::format::blob::ENTRY_LEN as u64;

        let mut repack: HashMap<PackId, Vec<BlobEntry>> =
            repack_ids.iter().map(|p| (*p, Vec::new())).collect();
        if !repack.is_empty() {
            index.for_each_ranked_location(&mut |location, primary| {
                if let Some(entries) = repack.get_mut(&location.pack) {
                    if primary && used.keeps(&location.entry) {
                        entries.push(location.entry);
                    }
                }
            })?;
            for entries in repack.values_mut() {
                entries.sort_by_key(|e| e.offset);
            }
        }

        let mut index_files_to_rewrite = Vec::new();
        for file in self.backend().list(FileKind::Index)? {
            let (_, content) =
                read_index_file(self.backend().as_ref(), &self.inner.key, &file.name)?;
            if content
                .packs
                .iter()
                .any(|p| delete.contains(&p.id) || repack.contains_key(&p.id))
            {
                index_files_to_rewrite.push(file.name);
            }
        }
        stats.index_files_to_rewrite = index_files_to_rewrite.len() as u64;

        Ok(Planned::Plan(Box::new(PrunePlan {
            repo: self.clone(),
            lock,
            stats,
            delete,
            repack,
            index_files_to_rewrite,
            snapshots_seen: snapshots.iter().map(|s| s.id).collect(),
        })))
    }

    /// Indexes again the unindexed packs holding blobs `snapshots` need and the index lacks.
    /// Returns how many packs it indexed and how many needed blobs it found nowhere.
    fn reindex_what_snapshots_miss(
        &self,
        snapshots: &[crate::repository::SnapshotEntry],
    ) -> Result<(u64, usize)> {
        let roots: Vec<_> = snapshots
            .iter()
            .map(|s| (s.snapshot.tree, Some(s.id)))
            .collect();
        let known = self.index().known_packs()?;
        let mut unindexed: Vec<(PackId, u64)> = self
            .backend()
            .list(FileKind::Pack)?
            .into_iter()
            .filter_map(|f| f.name.parse::<PackId>().ok().map(|id| (id, f.size)))
            .filter(|(id, _)| !known.contains(id))
            .collect();
        unindexed.sort();
        reindex_missing(self, &roots, &mut unindexed)
    }
}

/// A plan, or the lock back when the index changed and planning must start again.
enum Planned {
    Plan(Box<PrunePlan>),
    Again(LockGuard),
}
