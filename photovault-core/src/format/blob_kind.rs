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
}

impl BlobKind {
    pub(crate) fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(BlobKind::Data),
            1 => Some(BlobKind::Tree),
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
