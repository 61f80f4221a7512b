//! The index: where each blob lives.
//!
//! Truth is the set of index files in the repository (and, behind them, the pack headers).
//! Lookups go to a local redb cache that mirrors those files, so loading the index
//! ([`Repository::to_indexed`](crate::Repository::to_indexed), the one place it is opened)
//! reads only the index files it has not seen and the index never has to fit in RAM. Blobs stored
//! by the running process but not yet written to an index file wait in a small in-memory
//! pending set; every [`FLUSH_BLOBS`] blobs they are written out as a new index file.

mod cache;
mod files;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, RwLock};

use crate::error::Result;
use crate::format::blob::{BlobKind, BlobLocation};
use crate::format::index_file::{IndexFile, IndexedPack};
use crate::id::BlobId;

pub(crate) use cache::{IndexCache, CACHE_FILE, OLD_CACHE_FILES};
pub(crate) use files::{read_index_file, write_index_file};

/// Pending blobs are written to an index file once there are this many.
pub const FLUSH_BLOBS: usize = 50_000;

/// A cache that had to load at least this many blob records at once is compacted afterwards.
const COMPACT_AFTER_LOADING: usize = 1_000_000;

/// The repository's blob locations: cache plus pending. Opened from explicit inputs (the
/// backend, the key, where the cache lives), not from a repository, so that every operation
/// (backup, check, repair, and prune and copy next) shares one index and one way of
/// writing index files.
pub(crate) struct Index {
    backend: std::sync::Arc<dyn crate::backend::Backend>,
    key: crate::crypto::MasterKey,
    cache: IndexCache,
    /// Blobs stored by this process whose index file is not written yet, by id and kind
    /// (a blob is deduplicated by both, SPEC §8.1).
    pending_blobs: RwLock<HashMap<(BlobId, BlobKind), BlobLocation>>,
    /// The packs holding them: what the next index file lists.
    pending_packs: Mutex<Vec<IndexedPack>>,
}

impl Index {
    /// Opens the cache at `cache_path` (in memory when `None`) and brings it up to date with
    /// the index files in `backend`.
    pub(crate) fn open(
        backend: std::sync::Arc<dyn crate::backend::Backend>,
        key: crate::crypto::MasterKey,
        cache_path: Option<&Path>,
    ) -> Result<Index> {
        let mut cache = IndexCache::open(cache_path)?;
        if cache.sync(backend.as_ref(), &key)? >= COMPACT_AFTER_LOADING {
            cache.compact();
        }
        Ok(Index {
            backend,
            key,
            cache,
            pending_blobs: RwLock::new(HashMap::new()),
            pending_packs: Mutex::new(Vec::new()),
        })
    }

    /// Brings the cache up to date after index files were added, removed or replaced
    /// (repair, prune): new files are loaded, and a vanished one makes it start over.
    pub(crate) fn refresh(&self) -> Result<()> {
        self.cache
            .sync(self.backend.as_ref(), &self.key)
            .map(|_| ())
    }

    /// Where a blob is, if the repository has it.
    pub(crate) fn lookup(&self, id: &BlobId) -> Result<Option<BlobLocation>> {
        if let Some(loc) = self.pending_locations(id).first() {
            return Ok(Some(*loc));
        }
        self.cache.get(id)
    }

    /// What this process stored of a blob and has not written to an index file yet.
    fn pending_locations(&self, id: &BlobId) -> Vec<BlobLocation> {
        let pending = self.pending_blobs.read().expect("pending index");
        BlobKind::ALL
            .iter()
            .filter_map(|kind| pending.get(&(*id, *kind)).copied())
            .collect()
    }

    /// A blob's record (kind, lengths) without resolving its pack, if the repository has it.
    pub(crate) fn entry(&self, id: &BlobId) -> Result<Option<crate::format::blob::BlobEntry>> {
        if let Some(location) = self.pending_locations(id).first() {
            return Ok(Some(location.entry));
        }
        self.cache.entry(id)
    }

    /// Every location of a blob, the preferred one first: what this process stored, then
    /// what the index files list in the order they were indexed.
    pub(crate) fn locations(&self, id: &BlobId) -> Result<Vec<BlobLocation>> {
        let mut out = self.pending_locations(id);
        for location in self.cache.locations(id)? {
            if !out.contains(&location) {
                out.push(location);
            }
        }
        Ok(out)
    }

    /// Whether the repository has a blob.
    pub(crate) fn contains(&self, id: &BlobId) -> Result<bool> {
        if !self.pending_locations(id).is_empty() {
            return Ok(true);
        }
        self.cache.contains(id)
    }

    /// Whether the repository has a blob of this kind: what deduplication asks, so that a
    /// tree is stored in a tree pack even when a file's content has the same bytes.
    pub(crate) fn contains_kind(&self, id: &BlobId, kind: BlobKind) -> Result<bool> {
        if self
            .pending_blobs
            .read()
            .expect("pending index")
            .contains_key(&(*id, kind))
        {
            return Ok(true);
        }
        self.cache.contains_kind(id, kind)
    }

    /// Records a pack that has been stored. Returns whether enough is pending to flush.
    pub(crate) fn add_pending(&self, pack: IndexedPack) -> Result<bool> {
        {
            let mut pending = self.pending_blobs.write().expect("pending index");
            for entry in &pack.blobs {
                pending.insert(
                    (entry.id, entry.kind),
                    BlobLocation {
                        pack: pack.id,
                        entry: *entry,
                    },
                );
            }
        }
        let mut pending_packs = self.pending_packs.lock().expect("pending packs");
        pending_packs.push(pack);
        Ok(pending_packs.iter().map(|p| p.blobs.len()).sum::<usize>() >= FLUSH_BLOBS)
    }

    /// Writes every pending pack to a new index file, then moves them into the cache.
    pub(crate) fn flush(&self) -> Result<()> {
        let packs = std::mem::take(&mut *self.pending_packs.lock().expect("pending packs"));
        if packs.is_empty() {
            return Ok(());
        }
        let file = IndexFile { packs };
        let id = write_index_file(self.backend.as_ref(), &self.key, &file)?;
        self.cache.insert_index_file(&id, &file)?;
        let mut pending = self.pending_blobs.write().expect("pending index");
        for pack in &file.packs {
            for entry in &pack.blobs {
                pending.remove(&(entry.id, entry.kind));
            }
        }
        Ok(())
    }

    /// Calls `each` with every location the index holds (cache and pending): the index as
    /// blob → location turned around, for the operations that work pack by pack.
    pub(crate) fn for_each_location(&self, each: &mut dyn FnMut(BlobLocation)) -> Result<()> {
        self.for_each_ranked_location(&mut |location, _| each(location))
    }

    /// Like [`Index::for_each_location`], also saying whether each location is its blob's
    /// primary one (the one readers try first) or a further copy. What this process stored
    /// and has not flushed counts as primary.
    pub(crate) fn for_each_ranked_location(
        &self,
        each: &mut dyn FnMut(BlobLocation, bool),
    ) -> Result<()> {
        for location in self.pending_blobs.read().expect("pending index").values() {
            each(*location, true);
        }
        self.cache.for_each_location(each)
    }

    /// The blobs the index says `pack` holds (pack → blobs), in offset order.
    pub(crate) fn pack_entries(
        &self,
        pack: &crate::id::PackId,
    ) -> Result<Vec<crate::format::blob::BlobEntry>> {
        let mut out = Vec::new();
        self.for_each_location(&mut |location| {
            if location.pack == *pack {
                out.push(location.entry);
            }
        })?;
        out.sort_by_key(|e| e.offset);
        out.dedup();
        Ok(out)
    }

    /// Every pack the index knows (cache and pending).
    pub(crate) fn known_packs(&self) -> Result<std::collections::HashSet<crate::id::PackId>> {
        let mut packs = self.cache.pack_ids()?;
        packs.extend(
            self.pending_packs
                .lock()
                .expect("pending packs")
                .iter()
                .map(|p| p.id),
        );
        Ok(packs)
    }

    /// Number of blobs in the cache.
    pub(crate) fn len(&self) -> Result<u64> {
        self.cache.len()
    }
}
