//! Finding blobs again that a prune took out of the index while a backup was using them.
//!
//! A backup deduplicates against the index it read when it started. If a prune takes a
//! pack out of the index meanwhile (its blobs were unused then), the backup's snapshot may
//! reference blobs in that pack. The pack is still there: a prune deletes packs only when no
//! other process holds a lock. So the backup, before it writes its snapshot, and the prune,
//! before it deletes, look for such blobs and index the packs holding them again.

use std::collections::HashSet;

use crate::backend::FileKind;
use crate::error::Result;
use crate::id::{BlobId, PackId, SnapshotId};
use crate::pack::read_header;
use crate::repository::IndexedRepository;

use super::used::{Unreadable, UsedBlobs};

/// Blobs reachable from `roots` (through trees `used` has not read yet) that the index
/// does not list. A tree that cannot be read is skipped: it is missing itself, or damaged
/// (which `check` reports).
pub(crate) fn missing_blobs(
    repo: &IndexedRepository,
    used: &mut UsedBlobs,
    roots: &[(BlobId, Option<SnapshotId>)],
) -> Result<HashSet<BlobId>> {
    let index = repo.index();
    let mut missing = HashSet::new();
    let mut lookup_error = None;
    used.walk_roots(
        repo,
        roots,
        Unreadable::Skip,
        &mut |id| match index.contains(id) {
            Ok(true) => {}
            Ok(false) => {
                missing.insert(*id);
            }
            Err(e) => {
                lookup_error.get_or_insert(e);
            }
        },
    )?;
    match lookup_error {
        Some(e) => Err(e),
        None => Ok(missing),
    }
}

/// Indexes again (after verifying them completely, W11) the packs among `candidates` that
/// hold `needed` blobs, and takes them off `candidates`. Returns how many packs were indexed
/// and how many needed blobs none of them holds.
pub(crate) fn reindex_packs_holding(
    repo: &IndexedRepository,
    candidates: &mut Vec<(PackId, u64)>,
    mut needed: HashSet<BlobId>,
) -> Result<(u64, usize)> {
    let index = repo.index();
    let mut reindexed = Vec::new();
    for (id, size) in candidates.iter() {
        if needed.is_empty() {
            break;
        }
        let Ok(blobs) = read_header(repo.backend().as_ref(), &repo.inner.key, id, *size) else {
            continue;
        };
        if !blobs.iter().any(|b| needed.contains(&b.id)) {
            continue;
        }
        if let Ok(pack) = crate::backup::verify_whole_pack(&repo.inner, id, *size) {
            for blob in &pack.blobs {
                needed.remove(&blob.id);
            }
            index.add_pending(pack)?;
            reindexed.push(*id);
        }
    }
    index.flush()?;
    candidates.retain(|(id, _)| !reindexed.contains(id));
    Ok((reindexed.len() as u64, needed.len()))
}

/// Indexes again the packs among `candidates` holding blobs that `roots` reach and the index
/// lacks, round after round (a tree found again reveals what is below it). Returns how many
/// packs were indexed and how many missing blobs were found nowhere.
pub(crate) fn reindex_missing(
    repo: &IndexedRepository,
    roots: &[(BlobId, Option<SnapshotId>)],
    candidates: &mut Vec<(PackId, u64)>,
) -> Result<(u64, usize)> {
    let mut total = 0;
    loop {
        let needed = missing_blobs(repo, &mut UsedBlobs::default(), roots)?;
        if needed.is_empty() {
            return Ok((total, 0));
        }
        let (reindexed, still_missing) = reindex_packs_holding(repo, candidates, needed)?;
        total += reindexed;
        if reindexed == 0 {
            return Ok((total, still_missing));
        }
    }
}

/// Makes sure every blob a new snapshot with root `tree` references is indexed, indexing
/// again the packs a concurrent prune took out of the index. Called by a backup before it
/// writes its snapshot, when index files it had read were removed meanwhile. Returns how
/// many packs it indexed again, or [`crate::Error::BlobNotFound`] for a blob found nowhere.
pub(crate) fn keep_new_snapshot_whole(repo: &IndexedRepository, tree: BlobId) -> Result<u64> {
    let index = repo.index();
    index.refresh()?;
    let known = index.known_packs()?;
    let mut unindexed: Vec<(PackId, u64)> = repo
        .backend()
        .list(FileKind::Pack)?
        .into_iter()
        .filter_map(|f| f.name.parse::<PackId>().ok().map(|id| (id, f.size)))
        .filter(|(id, _)| !known.contains(id))
        .collect();
    let roots = [(tree, None)];
    let (reindexed, still_missing) = reindex_missing(repo, &roots, &mut unindexed)?;
    if still_missing > 0 {
        let first = missing_blobs(repo, &mut UsedBlobs::default(), &roots)?
            .into_iter()
            .next();
        if let Some(id) = first {
            return Err(crate::Error::BlobNotFound { id });
        }
    }
    Ok(reindexed)
}
