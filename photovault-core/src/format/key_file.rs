//! Key files: the master key wrapped by a password, one file per password.
//!
//! A key file is plain JSON (it must be readable before anything can be decrypted):
//! the Argon2id parameters and salt, and `wrapped`, the hex of
//! `seal(argon2id(password, salt), aad::KEY_FILE, master_key (72 bytes))`.
//! It is named by the BLAKE3 hash of its bytes, under `keys/`.

use serde::{Deserialize, Serialize};

use crate::crypto::{self, aad, derive_wrapping_key, KdfParams, MasterKey, MASTER_KEY_LEN};
use crate::error::{Damage, Error, Result};

/// The newest key file version.
pub const KEY_FILE_VERSION: u32 = 1;

/// One password's way into the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFile {
    /// Format version.
    pub version: u32,
    /// When the key was added (RFC 3339).
    pub created: String,
    /// Host that added it.
    #[serde(default)]
    pub hostname: String,
    /// User that added it.
    #[serde(default)]
    pub username: String,
    /// Always "argon2id".
    pub kdf: String,
    /// Argon2id parameters.
    pub params: KdfParams,
    /// Argon2 salt, hex (32 random bytes).
    pub salt: String,
    /// The sealed master key, hex.
    pub wrapped: String,
}

impl KeyFile {
    /// Wraps `master` under `password` with fresh salt.
    pub fn wrap(master: &MasterKey, password: &[u8], params: KdfParams) -> Result<Self> {
        if password.is_empty() {
            return Err(Error::EmptyPassword);
        }
        let mut salt = [0u8; 32];
        crypto::random_bytes(&mut salt);
        let wrapping = derive_wrapping_key(password, &salt, params)?;
        let mut sealed = Vec::new();
        crypto::seal(
            &wrapping,
            aad::KEY_FILE,
            master.to_bytes().as_ref(),
            &mut sealed,
        );
        Ok(KeyFile {
            version: KEY_FILE_VERSION,
            created: chrono::Local::now().to_rfc3339(),
            hostname: crate::host::hostname(),
            username: crate::host::username(),
            kdf: "argon2id".into(),
            params,
            salt: hex::encode(salt),
            wrapped: hex::encode(sealed),
        })
    }

    /// Unwraps the master key. `Ok(None)` means the password does not fit this key.
    pub fn unwrap_key(&self, password: &[u8], name: &str) -> Result<Option<MasterKey>> {
        if self.version > KEY_FILE_VERSION {
            return Err(Error::UnsupportedVersion {
                what: format!("key file {name}"),
                found: self.version,
                supported: KEY_FILE_VERSION,
            });
        }
        if self.kdf != "argon2id" {
            return Err(Error::damaged(
                name,
                Damage::Malformed(crate::Malformed::UnknownKdf(self.kdf.clone())),
            ));
        }
        // Bound the work a hostile key file can ask of us: at most 4 GiB and 100 passes.
        let p = self.params;
        if p.memory_kib > 4 * 1024 * 1024 || p.iterations > 100 || p.parallelism > 64 {
            return Err(Error::damaged(
                name,
                Damage::Malformed(crate::Malformed::KdfOutOfRange),
            ));
        }
        let malformed = |what: crate::Malformed| Error::damaged(name, Damage::Malformed(what));
        let salt = hex::decode(&self.salt).map_err(|_| malformed(crate::Malformed::SaltNotHex))?;
        let sealed = hex::decode(&self.wrapped)
            .map_err(|_| malformed(crate::Malformed::WrappedKeyNotHex))?;
        let wrapping = derive_wrapping_key(password, &salt, p)?;
        let Ok(plain) = crypto::open(&wrapping, aad::KEY_FILE, &sealed) else {
            return Ok(None);
        };
        let plain = zeroize::Zeroizing::new(plain);
        let bytes: &[u8; MASTER_KEY_LEN] = plain
            .as_slice()
            .try_into()
            .map_err(|_| malformed(crate::Malformed::WrappedKeyLength))?;
        Ok(Some(MasterKey::from_bytes(bytes)))
    }

    /// Parses a key file's JSON.
    pub fn decode(bytes: &[u8], name: &str) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| {
            Error::damaged(
                name,
                Damage::Malformed(crate::Malformed::Json(e.to_string())),
            )
        })
    }

    /// The stored JSON.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("key files always serialize")
    }
}
