//! What a repository on a network store keeps on the local disk besides its index: whole
//! tree packs and snapshot files, the metadata every backup, `ls` and restore reads again.
//!
//! Both are immutable and named by the BLAKE3 of their bytes, so a cached copy is checked
//! against its name when it is stored and can never go stale; a pack that prune deletes is
//! dropped from the cache too. With them, a backup that finds nothing changed downloads no
//! tree and no snapshot it has seen before (restic caches the same three things). A local
//! repository needs none of this: its disk is as fast as the cache's.

use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use crate::backend::{Backend, FileKind};
use crate::error::Result;

/// Cached tree packs and snapshots under `<cache>/<repository id>/`.
#[derive(Debug)]
pub(crate) struct RemoteCache {
    dir: PathBuf,
}

impl RemoteCache {
    pub(crate) fn new(dir: PathBuf) -> Self {
        RemoteCache { dir }
    }

    fn path(&self, kind: FileKind, name: &str) -> PathBuf {
        self.dir.join(kind.dir()).join(name)
    }

    /// `length` bytes at `offset` of the tree pack `name`, from the cache, or fetched whole
    /// into it first.
    pub(crate) fn read_tree_pack(
        &self,
        backend: &dyn Backend,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Result<Vec<u8>> {
        if let Some(bytes) = self.cached_range(FileKind::Pack, name, offset, length) {
            return Ok(bytes);
        }
        let whole = backend.read_all(FileKind::Pack, name)?;
        self.keep(FileKind::Pack, name, &whole);
        let start = (offset as usize).min(whole.len());
        let end = (offset.saturating_add(length) as usize).min(whole.len());
        if end - start != length as usize {
            // Let the store say how the range is wrong.
            return Ok(backend.read(FileKind::Pack, name, offset, length)?);
        }
        Ok(whole[start..end].to_vec())
    }

    /// The snapshot file `name`, from the cache or fetched into it.
    pub(crate) fn read_snapshot(&self, backend: &dyn Backend, name: &str) -> Result<Vec<u8>> {
        if let Ok(bytes) = fs::read(self.path(FileKind::Snapshot, name)) {
            if matches_name(name, &bytes) {
                return Ok(bytes);
            }
        }
        let bytes = backend.read_all(FileKind::Snapshot, name)?;
        self.keep(FileKind::Snapshot, name, &bytes);
        Ok(bytes)
    }

    /// Keeps a snapshot this process wrote.
    pub(crate) fn wrote_snapshot(&self, name: &str, bytes: &[u8]) {
        self.keep(FileKind::Snapshot, name, bytes);
    }

    /// Keeps a tree pack this process wrote, from the local file it was spooled to.
    pub(crate) fn wrote_tree_pack(&self, name: &str, spooled: &std::path::Path) {
        if let Ok(bytes) = fs::read(spooled) {
            self.keep(FileKind::Pack, name, &bytes);
        }
    }

    /// Drops a cached object (a pack prune deleted, a snapshot forget removed).
    pub(crate) fn forget(&self, kind: FileKind, name: &str) {
        let _ = fs::remove_file(self.path(kind, name));
    }

    fn cached_range(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> Option<Vec<u8>> {
        let mut file = fs::File::open(self.path(kind, name)).ok()?;
        if file.metadata().ok()?.len() < offset.checked_add(length)? {
            return None;
        }
        file.seek(SeekFrom::Start(offset)).ok()?;
        let mut bytes = vec![0u8; length as usize];
        file.read_exact(&mut bytes).ok()?;
        Some(bytes)
    }

    /// Stores a verified copy; a cache that cannot be written only costs speed.
    pub(crate) fn keep(&self, kind: FileKind, name: &str, bytes: &[u8]) {
        if !matches_name(name, bytes) {
            return;
        }
        let path = self.path(kind, name);
        let Some(dir) = path.parent() else { return };
        let mut suffix = [0u8; 8];
        crate::crypto::random_bytes(&mut suffix);
        let temp = dir.join(format!(".tmp-{}", hex::encode(suffix)));
        let stored = fs::create_dir_all(dir)
            .and_then(|()| fs::write(&temp, bytes))
            .and_then(|()| fs::rename(&temp, &path));
        if stored.is_err() {
            let _ = fs::remove_file(&temp);
        }
    }
}

fn matches_name(name: &str, bytes: &[u8]) -> bool {
    blake3::hash(bytes).to_hex().as_str() == name
}
