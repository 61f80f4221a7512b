//! Cryptography: the master key, password-based key wrapping, and authenticated encryption.
//!
//! Every stored byte except the key files is sealed with XChaCha20-Poly1305 under the
//! repository's master key, with associated data that names what the bytes are (see
//! [`aad`]), so an attacker with write access can neither read nor alter nor swap them
//! without detection.

pub mod aad;
mod aead;
mod kdf;
mod master_key;

pub use aead::{open, open_in_place, seal, SealError, NONCE_LEN, OVERHEAD, TAG_LEN};
pub use kdf::{derive_wrapping_key, KdfParams};
pub use master_key::{MasterKey, MASTER_KEY_LEN};

/// Fills `buf` with bytes from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) {
    getrandom::getrandom(buf).expect("the operating system's random source failed");
}
