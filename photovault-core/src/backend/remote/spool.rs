//! Where a pack waits while it fills: a temporary file on the local disk, uploaded once
//! complete, so that memory does not grow with the number of packs in flight.

use std::fs::OpenOptions;

use crate::backend::{BackendError, BackendResult, FileKind, PendingWrite, TempFile};

/// A new spool file for an object of `kind`, in `$TMPDIR/photovault-spool`. It is removed
/// when the pending write is dropped, uploaded or not.
pub(super) fn begin(kind: FileKind, location: &str) -> BackendResult<Box<dyn PendingWrite>> {
    let dir = std::env::temp_dir().join("photovault-spool");
    let io = |source| BackendError::Io {
        location: location.to_string(),
        op: "spool",
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    let mut suffix = [0u8; 8];
    crate::crypto::random_bytes(&mut suffix);
    let path = dir.join(format!("{}-{}", kind.dir(), hex::encode(suffix)));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(io)?;
    Ok(Box::new(TempFile::new(
        kind,
        file,
        path,
        location.to_string(),
    )))
}
