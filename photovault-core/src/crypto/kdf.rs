//! Argon2id: turns a password into the key that wraps the master key.

use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::{Damage, Error, Result};

/// Argon2id parameters, stored in each key file so they can change per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl Default for KdfParams {
    /// m = 64 MiB, t = 3, p = 1: about a quarter of a second on a laptop core.
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 1,
        }
    }
}

/// Derives the 32-byte wrapping key from `password` and `salt` with Argon2id (version 0x13).
pub fn derive_wrapping_key(
    password: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>> {
    let argon_params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| {
        Error::damaged(
            "key file",
            Damage::Malformed(crate::Malformed::KdfParams(e.to_string())),
        )
    })?;
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params)
        .hash_password_into(password, salt, out.as_mut())
        .map_err(|e| {
            Error::damaged(
                "key file",
                Damage::Malformed(crate::Malformed::Kdf(e.to_string())),
            )
        })?;
    Ok(out)
}
