//! Sealing of whole files other than packs: config, snapshots, index files, locks.
//!
//! `SealedFile = seal(encryption_key, aad::file(kind), plaintext)`; the plaintext is JSON for
//! config, snapshots and locks, and the binary index encoding for index files.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::crypto::{self, aad, MasterKey};
use crate::error::{Damage, Error, Result};

/// Seals `plaintext` as a file of `kind` ("config", "snapshot", "index", "lock").
pub fn seal(key: &MasterKey, kind: &'static str, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plaintext.len() + crypto::OVERHEAD);
    crypto::seal(key.encryption_key(), &aad::file(kind), plaintext, &mut out);
    out
}

/// Opens a sealed file of `kind`; `name` says which one in errors.
pub fn open(key: &MasterKey, kind: &'static str, name: &str, sealed: &[u8]) -> Result<Vec<u8>> {
    crypto::open(key.encryption_key(), &aad::file(kind), sealed).map_err(|e| {
        Error::damaged(
            name,
            match e {
                crypto::SealError::Truncated => Damage::Truncated("sealed file"),
                crypto::SealError::Authentication => Damage::Authentication,
            },
        )
    })
}

/// Serializes `value` as JSON and seals it.
pub fn seal_json<T: Serialize>(key: &MasterKey, kind: &'static str, value: &T) -> Vec<u8> {
    let json = serde_json::to_vec(value).expect("our types always serialize to JSON");
    seal(key, kind, &json)
}

/// Opens a sealed JSON file and decodes it.
pub fn open_json<T: DeserializeOwned>(
    key: &MasterKey,
    kind: &'static str,
    name: &str,
    sealed: &[u8],
) -> Result<T> {
    let plain = open(key, kind, name, sealed)?;
    serde_json::from_slice(&plain).map_err(|e| {
        Error::damaged(
            name,
            Damage::Malformed(crate::Malformed::Json(e.to_string())),
        )
    })
}

/// Refuses to store an object longer than readers accept (SPEC §2.3): a writer never
/// writes what it could not read back.
pub(crate) fn refuse_oversized(
    kind: crate::backend::FileKind,
    what: &str,
    len: usize,
) -> crate::Result<()> {
    if len as u64 <= kind.max_len() {
        return Ok(());
    }
    Err(crate::Error::WouldNotReadBack {
        what: format!("{what} of {len} bytes"),
        damage: crate::Damage::Malformed(crate::Malformed::TooLong {
            max: kind.max_len(),
        }),
    })
}

#[cfg(test)]
mod size_tests {
    use super::refuse_oversized;
    use crate::backend::FileKind;

    #[test]
    fn a_writer_refuses_what_readers_would_refuse() {
        let limit = FileKind::Snapshot.max_len() as usize;
        assert!(refuse_oversized(FileKind::Snapshot, "a snapshot", limit).is_ok());
        assert!(refuse_oversized(FileKind::Snapshot, "a snapshot", limit + 1).is_err());
        let index = FileKind::Index.max_len() as usize;
        assert!(refuse_oversized(FileKind::Index, "an index file", index + 1).is_err());
    }
}
