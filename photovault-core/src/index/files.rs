//! Index files in the repository: the one place that reads and verifies them, and the one
//! place that seals and stores them (backup's flushes, repair, an importer's own files).

use crate::backend::{Backend, FileKind};
use crate::crypto::MasterKey;
use crate::error::{Damage, Error, Result};
use crate::format::index_file::IndexFile;
use crate::format::sealed_file;
use crate::id::IndexId;

/// Reads, verifies (name = hash, seal, structure) and decodes the index file `name`.
pub(crate) fn read_index_file(
    backend: &dyn Backend,
    key: &MasterKey,
    name: &str,
) -> Result<(IndexId, IndexFile)> {
    let shown = format!("index file {}", &name[..name.len().min(8)]);
    let id: IndexId = name.parse().map_err(|_| {
        Error::damaged(
            shown.clone(),
            Damage::Malformed(crate::Malformed::NameNotId),
        )
    })?;
    let sealed = backend.read_all(FileKind::Index, name)?;
    if IndexId::hash_of(&sealed) != id {
        return Err(Error::damaged(shown, Damage::IdMismatch));
    }
    let plain = sealed_file::open(key, "index", &shown, &sealed)?;
    let file = IndexFile::decode(&plain).map_err(|d| Error::damaged(shown, d))?;
    Ok((id, file))
}

/// Seals `file` and stores it under its hash; returns its id. Callers store every pack it
/// lists first (SPEC W1).
pub(crate) fn write_index_file(
    backend: &dyn Backend,
    key: &MasterKey,
    file: &IndexFile,
) -> Result<IndexId> {
    let sealed = sealed_file::seal(key, "index", &file.encode());
    sealed_file::refuse_oversized(FileKind::Index, "an index file", sealed.len())?;
    let id = IndexId::hash_of(&sealed);
    backend.write(FileKind::Index, &id.to_hex(), &sealed)?;
    Ok(id)
}
