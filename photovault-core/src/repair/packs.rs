//! `repair packs`: salvage the intact blobs of damaged packs and drop the damaged ones.
//!
//! Intact blobs are stored again in new packs first; then the damaged packs are removed and
//! the index is rebuilt from the remaining pack headers. Blobs that were damaged are then
//! simply absent: the next backup stores them again if the source still has them (a file
//! whose blobs are missing is read again even if it is unchanged), and
//! `repair snapshots` rewrites snapshots whose data is gone for good.

use serde::Serialize;

use crate::backend::FileKind;
use crate::check::BlobFault;
use crate::error::{Error, Result};
use crate::format::blob::{open_blob, BlobLocation};
use crate::id::{BlobId, PackId};
use crate::pack::{header_of, BlobSaver};
use crate::repository::IndexedRepository;

/// What `repair packs` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepairPacksReport {
    /// Packs removed.
    pub packs_removed: Vec<PackId>,
    /// Blobs saved into new packs.
    pub blobs_salvaged: u64,
    /// Blobs lost (damaged), with what is wrong with each.
    pub blobs_lost: Vec<(BlobId, BlobFault)>,
}

impl IndexedRepository {
    /// Rewrites the given packs without their damaged blobs (find them with
    /// `check --read-data`). Takes an exclusive lock.
    pub fn repair_packs(&self, packs: &[PackId]) -> Result<RepairPacksReport> {
        let mut report = RepairPacksReport::default();
        let _lock = self.lock(crate::repository::LockKind::Exclusive)?;
        let saver = BlobSaver::new(self.clone())?;
        for pack in packs {
            let bytes = self.backend().read_all(FileKind::Pack, &pack.to_hex())?;
            let entries = match header_of(&self.inner.key, pack, &bytes) {
                Ok(entries) => entries,
                // Without the header, the index still says where each blob is.
                Err(_) => self.indexed_entries(pack)?,
            };
            for entry in entries {
                let stored = bytes.get(entry.offset as usize..entry.end() as usize);
                let opened = stored.ok_or(BlobFault::BeyondPackEnd).and_then(|s| {
                    open_blob(&self.inner.key, &BlobLocation { pack: *pack, entry }, s)
                        .map_err(|e| BlobFault::Damaged(e.into()))
                });
                match opened {
                    Ok(plain) => {
                        saver.save_again(entry.kind, entry.id, &plain, entry.compression)?;
                        report.blobs_salvaged += 1;
                    }
                    Err(reason) => report.blobs_lost.push((entry.id, reason)),
                }
            }
        }
        saver.finish()?;
        // Deletion order: no index may name a pack once it is gone, so the index is rebuilt
        // without the damaged packs before they are removed.
        self.rebuild_index(packs)?;
        for pack in packs {
            self.inner.remove_file(FileKind::Pack, &pack.to_hex())?;
            report.packs_removed.push(*pack);
        }
        Ok(report)
    }

    fn indexed_entries(&self, pack: &PackId) -> Result<Vec<crate::format::blob::BlobEntry>> {
        let out = self.index().pack_entries(pack)?;
        if out.is_empty() {
            return Err(Error::damaged(
                format!("pack {}", pack.short()),
                crate::Damage::Malformed(crate::Malformed::PackUnknown),
            ));
        }
        Ok(out)
    }
}
