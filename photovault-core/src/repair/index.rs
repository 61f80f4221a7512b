//! `repair index`: read every pack header and write a fresh set of index files.

use rayon::prelude::*;
use serde::Serialize;

use crate::backend::FileKind;
use crate::check::PackFault;
use crate::error::Result;
use crate::format::index_file::{IndexFile, IndexedPack};
use crate::id::PackId;
use crate::index::write_index_file;
use crate::index::FLUSH_BLOBS;
use crate::pack::read_header;
use crate::repository::Repository;

/// What `repair index` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepairIndexReport {
    /// Packs whose headers were read and indexed.
    pub packs: u64,
    /// Blobs indexed.
    pub blobs: u64,
    /// Index files written.
    pub index_files_written: u64,
    /// Old index files removed.
    pub index_files_removed: u64,
    /// Packs whose headers could not be read: their blobs are not indexed.
    pub unreadable_packs: Vec<(PackId, PackFault)>,
}

impl Repository {
    /// Rebuilds the index from the pack headers: the existing index files may be missing or
    /// damaged. Takes an exclusive lock.
    pub fn repair_index(&self) -> Result<RepairIndexReport> {
        let _lock = self.lock(crate::repository::LockKind::Exclusive)?;
        self.rebuild_index(&[])
    }

    /// Rebuilds the index from every pack but `excluded`; the caller holds an exclusive lock.
    pub(crate) fn rebuild_index(&self, excluded: &[PackId]) -> Result<RepairIndexReport> {
        let backend = self.backend();
        let old: Vec<String> = backend
            .list(FileKind::Index)?
            .into_iter()
            .map(|f| f.name)
            .collect();
        let packs: Vec<(PackId, u64)> = backend
            .list(FileKind::Pack)?
            .into_iter()
            .filter_map(|f| f.name.parse::<PackId>().ok().map(|id| (id, f.size)))
            .filter(|(id, _)| !excluded.contains(id))
            .collect();
        let headers: Vec<_> = packs
            .par_iter()
            .map(|(id, size)| {
                (
                    *id,
                    read_header(backend.as_ref(), &self.inner.key, id, *size),
                )
            })
            .collect();

        let mut report = RepairIndexReport::default();
        let mut written = Vec::new();
        let mut batch = IndexFile::default();
        let mut batch_blobs = 0usize;
        let mut flush = |batch: &mut IndexFile, report: &mut RepairIndexReport| -> Result<()> {
            if batch.packs.is_empty() {
                return Ok(());
            }
            let id = write_index_file(backend.as_ref(), &self.inner.key, batch)?;
            written.push(id.to_hex());
            report.index_files_written += 1;
            batch.packs.clear();
            Ok(())
        };
        for (id, header) in headers {
            match header {
                Ok(blobs) => {
                    report.packs += 1;
                    report.blobs += blobs.len() as u64;
                    batch_blobs += blobs.len();
                    batch.packs.push(IndexedPack { id, blobs });
                    if batch_blobs >= FLUSH_BLOBS {
                        flush(&mut batch, &mut report)?;
                        batch_blobs = 0;
                    }
                }
                Err(e) => report
                    .unreadable_packs
                    .push((id, PackFault::Header(e.into()))),
            }
        }
        flush(&mut batch, &mut report)?;
        for name in old.iter().filter(|n| !written.contains(n)) {
            backend.remove(FileKind::Index, name)?;
            report.index_files_removed += 1;
        }
        Ok(report)
    }
}
