//! A repository with its index loaded: what every operation that reads or stores blobs
//! works on.
//!
//! Opening a repository ([`Repository::open`]) reads its config and unlocks a key, and no
//! more: listing snapshots, managing keys and locks, and removing snapshots need nothing
//! else. Loading the index is a step of its own, [`Repository::to_indexed`], which gives an
//! [`IndexedRepository`]; operations that read or store blobs (backup, restore, check, ls,
//! copy, prune, …) exist only on that type, so the compiler shows where the index is needed
//! and nothing loads it behind a getter. One `IndexedRepository` is meant to serve a whole
//! process (a `pvault run` of several steps, a mount, a web viewer): it is cheap to clone,
//! and its locks bring the index up to date ([`IndexedRepository::lock`]) instead of
//! loading it again.

use std::ops::Deref;
use std::sync::Arc;

use super::{LockGuard, LockKind, Repository};
use crate::error::{Damage, Error, Result};
use crate::format::blob::{BlobKind, BlobLocation};
use crate::format::tree::{Tree, TREE_VERSION};
use crate::id::BlobId;
use crate::index::Index;

/// A [`Repository`] with its index loaded, from [`Repository::to_indexed`]. Cheap to clone
/// (clones share the index); safe to share between threads. Everything a [`Repository`]
/// does is reachable through it (it dereferences to one).
#[derive(Clone)]
pub struct IndexedRepository {
    repo: Repository,
    index: Arc<Index>,
}

impl Repository {
    /// Loads the index: opens the local index cache (or one in memory, with
    /// [`OpenOptions::no_cache`](crate::OpenOptions::no_cache)) and reads the index files it
    /// has not seen yet. Do it once per process and share the result (clone it).
    pub fn to_indexed(&self) -> Result<IndexedRepository> {
        let inner = &self.inner;
        let path = inner.index_cache_path();
        let index = Index::open(inner.backend.clone(), inner.key.clone(), path.as_deref())?;
        Ok(IndexedRepository {
            repo: self.clone(),
            index: Arc::new(index),
        })
    }
}

impl Deref for IndexedRepository {
    type Target = Repository;

    fn deref(&self) -> &Repository {
        &self.repo
    }
}

impl IndexedRepository {
    /// The opened repository, without the index.
    pub fn repository(&self) -> &Repository {
        &self.repo
    }

    /// The loaded index.
    pub(crate) fn index(&self) -> &Index {
        &self.index
    }

    /// Brings the index up to date with the repository's index files (another process may
    /// have added, removed or replaced some). Only new index files are read. Locks do it
    /// themselves ([`IndexedRepository::lock`]).
    pub fn refresh_index(&self) -> Result<()> {
        self.index.refresh()
    }

    /// Takes a lock like [`Repository::lock`], then brings the index up to date, since a
    /// prune or repair may have replaced index files before the lock was held.
    pub fn lock(&self, kind: LockKind) -> Result<LockGuard> {
        let guard = self.repo.lock(kind)?;
        self.index.refresh()?;
        Ok(guard)
    }

    /// The shared lock of an operation that only reads, like
    /// [`Repository::lock_for_reading`], then brings the index up to date.
    pub fn lock_for_reading(&self) -> Result<Option<LockGuard>> {
        let guard = self.repo.lock_for_reading()?;
        self.index.refresh()?;
        Ok(guard)
    }

    /// Rebuilds the index files from the pack headers like [`Repository::repair_index`],
    /// then brings this index up to date (it still lists what the removed files did).
    pub fn repair_index(&self) -> Result<crate::RepairIndexReport> {
        let report = self.repo.repair_index()?;
        self.index.refresh()?;
        Ok(report)
    }

    /// Reads, decrypts and verifies one blob, from whichever of its locations holds it
    /// intact (SPEC R4). The error is that of the first location when none does.
    pub fn read_blob(&self, id: &BlobId) -> Result<Vec<u8>> {
        self.read_blob_avoiding(id, None)
    }

    /// Like [`IndexedRepository::read_blob`], but without trying the location `avoid` (one
    /// that already failed for this blob).
    pub(crate) fn read_blob_avoiding(
        &self,
        id: &BlobId,
        avoid: Option<&BlobLocation>,
    ) -> Result<Vec<u8>> {
        let locations = self.index.locations(id)?;
        let mut first_error = None;
        for location in locations.iter().filter(|l| Some(*l) != avoid) {
            match self.inner.read_blob_at(location) {
                Ok(plain) => return Ok(plain),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        Err(first_error.unwrap_or(Error::BlobNotFound { id: *id }))
    }

    /// Reads a directory tree.
    pub fn read_tree(&self, id: &BlobId) -> Result<Tree> {
        let plain = self.read_blob(id)?;
        let shown = || format!("tree {}", id.short());
        let damage = match Tree::decode(&plain) {
            Ok(tree) => return Ok(tree),
            Err(damage) => damage,
        };
        // Trees of old repositories may be stored as data blobs of the same bytes (SPEC
        // §10.1), so the kind matters only once the bytes are known not to be a tree.
        let locations = self.index.locations(id)?;
        let stored_as_data =
            !locations.is_empty() && locations.iter().all(|l| l.entry.kind == BlobKind::Data);
        match plain.first() {
            _ if stored_as_data => Err(Error::damaged(
                shown(),
                Damage::Malformed(crate::Malformed::ContentNotTree),
            )),
            Some(&version) if version > TREE_VERSION => Err(Error::UnsupportedVersion {
                what: shown(),
                found: version as u32,
                supported: TREE_VERSION as u32,
            }),
            _ => Err(Error::damaged(shown(), damage)),
        }
    }

    /// Number of blobs in the index.
    pub fn indexed_blobs(&self) -> Result<u64> {
        self.index.len()
    }

    /// Where the index says a blob is stored, without reading it. The lookup goes to the
    /// on-disk index cache, so it costs the same whether the repository holds a thousand
    /// blobs or ten million.
    #[doc(hidden)]
    pub fn find_blob(&self, id: &BlobId) -> Result<Option<BlobLocation>> {
        self.index.lookup(id)
    }
}
