//! What a blob is and how its payload is encoded: the two one-byte fields every layer
//! names (the sealing's associated data, compression, packs, the index).
//!
//! A leaf module, depending on nothing, so that `crypto::aad` and `compress` can name them
//! without depending on the blob format that depends on both of them.

use serde::{Deserialize, Serialize};

/// What a blob holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum BlobKind {
    /// A chunk of file content.
    Data = 0,
    /// A directory listing (a [`Tree`](crate::format::tree::Tree)).
    Tree = 1,
    /// A small preview of a photo or video, named after the file's content rather than its
    /// own bytes ([`MasterKey::thumbnail_id`](crate::crypto::MasterKey::thumbnail_id)).
    /// Only in packs and index files of version 2 (SPEC §7.2, §16.6).
    Thumbnail = 2,
}

impl BlobKind {
    /// Every kind, in the order of their numbers.
    pub const ALL: [BlobKind; 3] = [BlobKind::Data, BlobKind::Tree, BlobKind::Thumbnail];

    /// The version byte a pack header or index file needs to list blobs of this kind:
    /// thumbnails came with version 2, so that a reader that does not know them refuses the
    /// file by its version rather than by an unknown kind.
    pub(crate) fn min_listing_version(self) -> u8 {
        match self {
            BlobKind::Data | BlobKind::Tree => 1,
            BlobKind::Thumbnail => 2,
        }
    }

    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(BlobKind::Data),
            1 => Some(BlobKind::Tree),
            2 => Some(BlobKind::Thumbnail),
            _ => None,
        }
    }
}

/// How the payload of a stored blob is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Compression {
    /// Stored as is (already-compressed media, or compression did not pay).
    None = 0,
    /// One zstd frame.
    Zstd = 1,
    /// One zstd frame of the plaintext's two byte planes as 16-bit words
    /// ([`split_planes`](crate::compress::split_planes)): for uncompressed RAW sensor data.
    ZstdWords16 = 2,
}

impl Compression {
    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Compression::None),
            1 => Some(Compression::Zstd),
            2 => Some(Compression::ZstdWords16),
            _ => None,
        }
    }
}
