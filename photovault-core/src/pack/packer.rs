//! One pack under construction.

use crate::backend::{BackendResult, FileKind, MemoryWrite, PendingWrite};
use crate::crypto::MasterKey;
use crate::format::blob::{BlobEntry, BlobKind, Compression};
use crate::format::pack_header;
use crate::id::{BlobId, PackId};

/// Appends sealed blobs to a pending file, hashing as it goes, until the pack reaches its
/// target size. The bytes go straight to the file (a temporary file for a local
/// repository), so a pack costs no memory beyond its list of entries.
#[derive(Debug)]
pub struct Packer {
    target_size: usize,
    out: Box<dyn PendingWrite>,
    hasher: blake3::Hasher,
    len: usize,
    entries: Vec<BlobEntry>,
}

/// A complete pack, ready to be stored under its name.
#[derive(Debug)]
pub struct FinishedPack {
    /// BLAKE3 of its bytes: the pack's name.
    pub id: PackId,
    /// The whole pack file, waiting for [`Backend::finish_write`](crate::backend::Backend::finish_write).
    pub file: Box<dyn PendingWrite>,
    /// Its blobs.
    pub entries: Vec<BlobEntry>,
}

impl FinishedPack {
    /// The pack's bytes, when it was built in memory ([`Packer::new`]).
    pub fn bytes(&self) -> Option<&[u8]> {
        self.file.in_memory()
    }
}

impl Packer {
    /// A packer that builds its pack in memory and considers it full at `target_size` bytes.
    pub fn new(target_size: usize) -> Self {
        Self::writing_to(target_size, Box::new(MemoryWrite::new(FileKind::Pack)))
    }

    /// A packer that appends its pack to `out` (from [`Backend::begin_write`](crate::backend::Backend::begin_write)).
    pub fn writing_to(target_size: usize, out: Box<dyn PendingWrite>) -> Self {
        Packer {
            target_size,
            out,
            hasher: blake3::Hasher::new(),
            len: 0,
            entries: Vec::new(),
        }
    }

    /// Appends a sealed blob. Returns whether the pack has reached its target size.
    pub fn add(
        &mut self,
        id: BlobId,
        kind: BlobKind,
        compression: Compression,
        raw_length: u32,
        sealed: &[u8],
    ) -> BackendResult<bool> {
        self.out.append(sealed)?;
        self.hasher.update(sealed);
        self.entries.push(BlobEntry {
            id,
            kind,
            compression,
            offset: self.len as u32,
            length: sealed.len() as u32,
            raw_length,
        });
        self.len += sealed.len();
        Ok(self.len >= self.target_size)
    }

    /// Whether nothing was added yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends the sealed header and names the pack. `None` when nothing was added.
    pub fn finish(mut self, key: &MasterKey) -> BackendResult<Option<FinishedPack>> {
        if self.entries.is_empty() {
            return Ok(None);
        }
        let mut header = Vec::new();
        pack_header::append_header(key, &self.entries, &mut header);
        self.out.append(&header)?;
        self.hasher.update(&header);
        Ok(Some(FinishedPack {
            id: PackId(*self.hasher.finalize().as_bytes()),
            file: self.out,
            entries: self.entries,
        }))
    }
}
