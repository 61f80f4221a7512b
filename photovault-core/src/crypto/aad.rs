//! Associated data: the context every sealed object is bound to.
//!
//! Decryption only succeeds under the same associated data, so a blob cannot be served in
//! place of another blob, a tree in place of file data, or an index file in place of a
//! snapshot. The exact bytes are part of the format (SPEC.md, "Associated data").

use crate::format::blob_kind::{BlobKind, Compression};
use crate::id::BlobId;

/// Associated data of a stored file other than a pack (config, snapshot, index, lock).
pub fn file(kind: &'static str) -> Vec<u8> {
    format!("photovault/v1/{kind}").into_bytes()
}

/// Associated data of a pack header.
pub const PACK_HEADER: &[u8] = b"photovault/v1/pack-header";

/// Associated data of the master key inside a key file.
pub const KEY_FILE: &[u8] = b"photovault/v1/key";

/// Associated data of one blob: its kind, id, compression and uncompressed length.
pub fn blob(kind: BlobKind, id: &BlobId, compression: Compression, raw_length: u32) -> [u8; 56] {
    let mut out = [0u8; 56];
    out[..18].copy_from_slice(b"photovault/v1/blob");
    out[18] = kind as u8;
    out[19..51].copy_from_slice(id.as_bytes());
    out[51] = compression as u8;
    out[52..56].copy_from_slice(&raw_length.to_le_bytes());
    out
}
