//! Reading a pack's header back: the tail length, then the sealed header before it.

use crate::backend::{Backend, FileKind};
use crate::crypto::MasterKey;
use crate::error::{Damage, Error, Result};
use crate::format::blob::BlobEntry;
use crate::format::pack_header::{self, TRAILER_LEN};
use crate::id::PackId;

/// Reads and verifies the header of the pack `id`, which is `size` bytes long.
pub fn read_header(
    backend: &dyn Backend,
    key: &MasterKey,
    id: &PackId,
    size: u64,
) -> Result<Vec<BlobEntry>> {
    let shown = format!("pack {}", id.short());
    let name = id.to_hex();
    if size < TRAILER_LEN as u64 {
        // Listed as (nearly) empty: read it, so that what stands in its place (a FIFO, a
        // folder) is named by the backend; a short regular file is merely truncated.
        backend.read(FileKind::Pack, &name, 0, 0)?;
        return Err(Error::damaged(
            shown,
            Damage::Truncated("pack shorter than its trailer"),
        ));
    }
    let trailer = backend.read(
        FileKind::Pack,
        &name,
        size - TRAILER_LEN as u64,
        TRAILER_LEN as u64,
    )?;
    let sealed_len = pack_header::sealed_header_length(&trailer)
        .map_err(|d| Error::damaged(shown.clone(), d))? as u64;
    if sealed_len + TRAILER_LEN as u64 > size {
        return Err(Error::damaged(
            shown,
            Damage::Malformed(crate::Malformed::HeaderLength(sealed_len)),
        ));
    }
    let sealed = backend.read(
        FileKind::Pack,
        &name,
        size - TRAILER_LEN as u64 - sealed_len,
        sealed_len,
    )?;
    pack_header::decode_header(key, &sealed, size).map_err(|d| Error::damaged(shown, d))
}

/// Decodes the header of a pack held whole in memory.
pub fn header_of(key: &MasterKey, id: &PackId, bytes: &[u8]) -> Result<Vec<BlobEntry>> {
    let shown = format!("pack {}", id.short());
    let n = bytes.len();
    if n < TRAILER_LEN {
        return Err(Error::damaged(
            shown,
            Damage::Truncated("pack shorter than its trailer"),
        ));
    }
    let sealed_len = pack_header::sealed_header_length(&bytes[n - TRAILER_LEN..])
        .map_err(|d| Error::damaged(shown.clone(), d))? as usize;
    if sealed_len + TRAILER_LEN > n {
        return Err(Error::damaged(
            shown,
            Damage::Malformed(crate::Malformed::HeaderLength(sealed_len as u64)),
        ));
    }
    let sealed = &bytes[n - TRAILER_LEN - sealed_len..n - TRAILER_LEN];
    pack_header::decode_header(key, sealed, n as u64).map_err(|d| Error::damaged(shown, d))
}
