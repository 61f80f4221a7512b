//! Resuming after an interrupted backup: packs that reached the repository but whose index
//! file was never written are indexed from their headers, so their data is not stored again.
//!
//! A leftover pack is only adopted once it verifies completely (SPEC W2, W4): its bytes hash
//! to its name, its header opens, and every blob it lists decrypts and hashes to its id.
//! Anyone who can write to the storage can drop a file into `data/`; adopting it unverified
//! would let a copied or damaged pack shadow intact blobs. A pack that does not verify is
//! left alone and reported, never indexed.

use rayon::prelude::*;

use crate::backend::FileKind;
use crate::error::Result;
use crate::format::index_file::IndexedPack;
use crate::id::PackId;
use crate::pack::{read_header, read_pack};
use crate::repository::{IndexedRepository, RepoInner};

/// A pack found in the repository that no index lists and that does not verify: a backup
/// leaves it where it is and does not use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnverifiedPack {
    /// The pack's name.
    pub pack: PackId,
    /// What is wrong with it.
    pub reason: String,
}

/// What looking for leftover packs found.
#[derive(Debug, Default)]
pub(super) struct Adoption {
    /// Packs verified and indexed.
    pub(super) adopted: u64,
    /// Packs left alone because they do not verify.
    pub(super) unverified: Vec<UnverifiedPack>,
}

/// Indexes every complete, verified pack no index file lists.
pub(super) fn adopt_unindexed_packs(repo: &IndexedRepository) -> Result<Adoption> {
    let index = repo.index();
    let known = index.known_packs()?;
    let unknown: Vec<(PackId, u64)> = repo
        .inner
        .backend
        .list(FileKind::Pack)?
        .into_iter()
        .filter_map(|f| f.name.parse::<PackId>().ok().map(|id| (id, f.size)))
        .filter(|(id, _)| !known.contains(id))
        .collect();
    if unknown.is_empty() {
        return Ok(Adoption::default());
    }
    let verified: Vec<std::result::Result<IndexedPack, UnverifiedPack>> = unknown
        .par_iter()
        .map(|(id, size)| verify(&repo.inner, id, *size))
        .collect();
    let mut adoption = Adoption::default();
    for result in verified {
        match result {
            Ok(pack) => {
                index.add_pending(pack)?;
                adoption.adopted += 1;
            }
            Err(unverified) => adoption.unverified.push(unverified),
        }
    }
    index.flush()?;
    Ok(adoption)
}

/// Reads a leftover pack whole and returns its index entry if every byte of it verifies.
pub(crate) fn verify(
    repo: &RepoInner,
    id: &PackId,
    size: u64,
) -> std::result::Result<IndexedPack, UnverifiedPack> {
    let refuse = |reason: String| UnverifiedPack { pack: *id, reason };
    let blobs =
        read_header(repo.backend.as_ref(), &repo.key, id, size).map_err(|e| refuse(e.reason()))?;
    let reading = read_pack(repo.backend.as_ref(), &repo.key, id, size, &blobs, |_| None);
    match reading.problems.first() {
        None => Ok(IndexedPack { id: *id, blobs }),
        Some(problem) => Err(refuse(problem.to_string())),
    }
}
