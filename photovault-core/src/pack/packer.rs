//! One pack under construction.

use crate::crypto::MasterKey;
use crate::format::blob::{BlobEntry, BlobKind, Compression};
use crate::format::pack_header;
use crate::id::{BlobId, PackId};

/// Accumulates sealed blobs until the pack reaches its target size.
#[derive(Debug)]
pub struct Packer {
    target_size: usize,
    bytes: Vec<u8>,
    entries: Vec<BlobEntry>,
}

/// A complete pack, ready to store.
#[derive(Debug)]
pub struct FinishedPack {
    /// BLAKE3 of `bytes`: the pack's name.
    pub id: PackId,
    /// The whole pack file.
    pub bytes: Vec<u8>,
    /// Its blobs.
    pub entries: Vec<BlobEntry>,
}

impl Packer {
    /// An empty packer that considers itself full at `target_size` bytes.
    pub fn new(target_size: usize) -> Self {
        Packer {
            target_size,
            bytes: Vec::new(),
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
    ) -> bool {
        if self.bytes.capacity() == 0 {
            // Grow from 1 MiB: tree packs rarely fill, and data packs get a recycled buffer.
            self.bytes.reserve(self.target_size.min(1 << 20));
        }
        self.entries.push(BlobEntry {
            id,
            kind,
            compression,
            offset: self.bytes.len() as u32,
            length: sealed.len() as u32,
            raw_length,
        });
        self.bytes.extend_from_slice(sealed);
        self.bytes.len() >= self.target_size
    }

    /// Gives the packer an empty buffer to fill next (a recycled one, to keep memory flat).
    pub fn recycle(&mut self, mut buffer: Vec<u8>) {
        if self.bytes.capacity() == 0 {
            buffer.clear();
            self.bytes = buffer;
        }
    }

    /// Whether nothing was added since the last finish.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Seals the header, names the pack and resets the packer. `None` when empty.
    pub fn finish(&mut self, key: &MasterKey) -> Option<FinishedPack> {
        if self.entries.is_empty() {
            return None;
        }
        let mut bytes = std::mem::take(&mut self.bytes);
        let entries = std::mem::take(&mut self.entries);
        pack_header::append_header(key, &entries, &mut bytes);
        Some(FinishedPack {
            id: PackId::hash_of(&bytes),
            bytes,
            entries,
        })
    }
}
