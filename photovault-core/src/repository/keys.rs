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

/// A key file that opening the repository did not try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKeyFile {
    /// The key file's name.
    pub name: String,
    /// Why it was not tried.
    pub reason: String,
}

/// Tries the password against the key files, cheapest Argon2 work first; a key is accepted
/// only if `accept` (which decrypts the config) succeeds with it, so a stray key left by an
/// interrupted `init` cannot shadow the real one.
///
/// Key files are not authenticated: anyone who can write to the storage can add one that
/// asks for 4 GiB and 100 passes. Key files asking for more than `limit` are not tried
/// (they are returned as skipped), and the order (by work, then name) means that an added
/// key file can never make opening with a cheaper key slower.
pub(super) fn unlock<T>(
    backend: &dyn Backend,
    password: &[u8],
    limit: KdfParams,
    mut accept: impl FnMut(&MasterKey) -> Result<T>,
) -> Result<(MasterKey, KeyId, T, Vec<SkippedKeyFile>)> {
    let mut last_error = None;
    let mut skipped = Vec::new();
    let mut candidates: Vec<(String, KeyFile)> = Vec::new();
    for file in backend.list(FileKind::Key)? {
        let shown = format!("key file {}", &file.name[..file.name.len().min(8)]);
        let parsed = backend
            .read_all(FileKind::Key, &file.name)
            .map_err(Error::from)
            .and_then(|bytes| KeyFile::decode(&bytes, &shown));
        match parsed {
            Ok(key_file) if exceeds(&key_file.params, &limit) => skipped.push(SkippedKeyFile {
                name: file.name,
                reason: format!(
                    "asks for {} KiB of memory and {} passes, over this reader's limit of {} KiB and {} passes",
                    key_file.params.memory_kib,
                    key_file.params.iterations,
                    limit.memory_kib,
                    limit.iterations
                ),
            }),
            Ok(key_file) => candidates.push((file.name, key_file)),
            Err(e) => last_error = Some(e),
        }
    }
    candidates.sort_by(|(a_name, a), (b_name, b)| {
        work(&a.params)
            .cmp(&work(&b.params))
            .then(a_name.cmp(b_name))
    });
    for (name, key_file) in candidates {
        let shown = format!("key file {}", &name[..name.len().min(8)]);
        match key_file.unwrap_key(password, &shown) {
            Ok(Some(key)) => match accept(&key) {
                Ok(value) => {
                    let id = name.parse().unwrap_or(KeyId([0; 32]));
                    return Ok((key, id, value, skipped));
                }
                Err(e) => last_error = Some(e),
            },
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
    }
    if !skipped.is_empty() {
        return Err(Error::KeyFilesOverLimit { skipped });
    }
    // A damaged key file or config is only the answer when no key fits at all.
    match last_error {
        Some(
            e @ (Error::UnsupportedVersion { .. } | Error::Damaged { .. } | Error::Backend(_)),
        ) => Err(e),
        _ => Err(Error::WrongPassword),
    }
}

/// Argon2id's work for these parameters, in KiB-passes.
fn work(p: &KdfParams) -> u64 {
    p.memory_kib as u64 * p.iterations as u64
}

fn exceeds(p: &KdfParams, limit: &KdfParams) -> bool {
    p.memory_kib > limit.memory_kib
        || p.iterations > limit.iterations
        || p.parallelism > limit.parallelism
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
