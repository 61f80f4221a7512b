//! Key files: unlocking with a password, and adding, listing and removing passwords.

use crate::backend::{Backend, FileKind};
use crate::crypto::{KdfParams, MasterKey};
use crate::error::{Error, Result};
use crate::format::key_file::KeyFile;
use crate::id::KeyId;

use super::Repository;

/// A key file as listed by `pvault key list`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyInfo {
    /// The key file's id.
    pub id: KeyId,
    /// Whether this process opened the repository with it.
    pub current: bool,
    /// When it was added.
    pub created: String,
    /// Host that added it.
    pub hostname: String,
    /// User that added it.
    pub username: String,
}

/// Tries the password against every key file; a key is accepted only if `accept` (which
/// decrypts the config) succeeds with it, so a stray key left by an interrupted `init` cannot
/// shadow the real one.
pub(super) fn unlock<T>(
    backend: &dyn Backend,
    password: &[u8],
    mut accept: impl FnMut(&MasterKey) -> Result<T>,
) -> Result<(MasterKey, KeyId, T)> {
    let mut last_error = None;
    for file in backend.list(FileKind::Key)? {
        let shown = format!("key file {}", &file.name[..file.name.len().min(8)]);
        let result = backend
            .read_all(FileKind::Key, &file.name)
            .map_err(Error::from)
            .and_then(|bytes| KeyFile::decode(&bytes, &shown))
            .and_then(|key_file| key_file.unwrap_key(password, &shown));
        match result {
            Ok(Some(key)) => match accept(&key) {
                Ok(value) => {
                    let id = file.name.parse().unwrap_or(KeyId([0; 32]));
                    return Ok((key, id, value));
                }
                Err(e) => last_error = Some(e),
            },
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
    }
    // A damaged key file or config is only the answer when no key fits at all.
    match last_error {
        Some(
            e @ (Error::UnsupportedVersion { .. } | Error::Damaged { .. } | Error::Backend(_)),
        ) => Err(e),
        _ => Err(Error::WrongPassword),
    }
}

impl Repository {
    /// Lists the repository's key files.
    pub fn keys(&self) -> Result<Vec<KeyInfo>> {
        let backend = &self.inner.backend;
        let mut out = Vec::new();
        for file in backend.list(FileKind::Key)? {
            let Ok(id) = file.name.parse::<KeyId>() else {
                continue;
            };
            let bytes = backend.read_all(FileKind::Key, &file.name)?;
            let key_file = KeyFile::decode(&bytes, &file.name)?;
            out.push(KeyInfo {
                id,
                current: id == self.inner.key_id,
                created: key_file.created,
                hostname: key_file.hostname,
                username: key_file.username,
            });
        }
        Ok(out)
    }

    /// Adds a key file for another password; both open the repository.
    pub fn add_key(&self, password: &[u8], kdf: KdfParams) -> Result<KeyId> {
        let bytes = KeyFile::wrap(&self.inner.key, password, kdf)?.encode();
        let id = KeyId::hash_of(&bytes);
        self.inner
            .backend
            .write(FileKind::Key, &id.to_hex(), &bytes)?;
        Ok(id)
    }

    /// Removes a key file by id or unique id prefix. The key in use cannot be removed.
    pub fn remove_key(&self, id_prefix: &str) -> Result<KeyId> {
        let matches: Vec<KeyInfo> = self
            .keys()?
            .into_iter()
            .filter(|k| k.id.to_hex().starts_with(id_prefix))
            .collect();
        let key = match matches.as_slice() {
            [one] => one,
            [] => {
                return Err(Error::InvalidArgument(format!(
                    "no key matches '{id_prefix}'"
                )))
            }
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "'{id_prefix}' matches several keys"
                )))
            }
        };
        if key.current {
            return Err(Error::InvalidArgument(
                "refusing to remove the key this process opened the repository with; open it with another password first".into(),
            ));
        }
        self.inner.backend.remove(FileKind::Key, &key.id.to_hex())?;
        Ok(key.id)
    }

    /// Replaces the current key's password: adds the new key, then removes the old one.
    pub fn change_password(&self, new_password: &[u8], kdf: KdfParams) -> Result<KeyId> {
        let new_id = self.add_key(new_password, kdf)?;
        self.inner
            .backend
            .remove(FileKind::Key, &self.inner.key_id.to_hex())?;
        Ok(new_id)
    }
}
