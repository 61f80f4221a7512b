//! Resuming after an interrupted backup: packs that reached the repository but whose index
//! file was never written are indexed from their headers, so their data is not stored again.

use rayon::prelude::*;

use crate::backend::FileKind;
use crate::error::Result;
use crate::format::index_file::IndexedPack;
use crate::id::PackId;
use crate::pack::read_header;
use crate::repository::RepoInner;

/// Indexes every complete pack no index file lists. Returns how many packs were adopted.
/// Packs whose header cannot be read are left alone (`check` reports them as unused).
pub(super) fn adopt_unindexed_packs(repo: &RepoInner) -> Result<u64> {
    let index = repo.index()?;
    let known = index.known_packs()?;
    let unknown: Vec<(PackId, u64)> = repo
        .backend
        .list(FileKind::Pack)?
        .into_iter()
        .filter_map(|f| f.name.parse::<PackId>().ok().map(|id| (id, f.size)))
        .filter(|(id, _)| !known.contains(id))
        .collect();
    if unknown.is_empty() {
        return Ok(0);
    }
    let adopted: Vec<IndexedPack> = unknown
        .par_iter()
        .filter_map(|(id, size)| {
            read_header(repo.backend.as_ref(), &repo.key, id, *size)
                .ok()
                .map(|blobs| IndexedPack { id: *id, blobs })
        })
        .collect();
    let count = adopted.len() as u64;
    for pack in adopted {
        index.add_pending(pack)?;
    }
    index.flush(repo)?;
    Ok(count)
}
