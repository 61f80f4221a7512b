//! XChaCha20-Poly1305 sealing: `nonce (24) || ciphertext || tag (16)`.
//!
//! The 192-bit nonce is random for every seal, so nonces never need to be tracked.

use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, Tag, XChaCha20Poly1305, XNonce};

use super::random_bytes;

/// Bytes of nonce in front of every sealed object.
pub const NONCE_LEN: usize = 24;
/// Bytes of authentication tag at the end of every sealed object.
pub const TAG_LEN: usize = 16;
/// What sealing adds to the plaintext length.
pub const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// Opening failed: the data is too short, or the tag does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Shorter than nonce plus tag.
    #[error("sealed data shorter than nonce and tag")]
    Truncated,
    /// The tag does not verify under this key and associated data.
    #[error("authentication failed")]
    Authentication,
}

/// Seals `plaintext`, appending `nonce || ciphertext || tag` to `out`.
pub fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8], out: &mut Vec<u8>) {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    random_bytes(&mut nonce);
    out.reserve(plaintext.len() + OVERHEAD);
    out.extend_from_slice(&nonce);
    let start = out.len();
    out.extend_from_slice(plaintext);
    let tag = cipher
        .encrypt_inout_detached(&XNonce::from(nonce), aad, (&mut out[start..]).into())
        .expect("XChaCha20-Poly1305 encrypts any length we produce");
    out.extend_from_slice(&tag);
}

/// Opens `sealed` (`nonce || ciphertext || tag`) and returns the plaintext.
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < OVERHEAD {
        return Err(SealError::Truncated);
    }
    let mut plaintext = sealed[NONCE_LEN..sealed.len() - TAG_LEN].to_vec();
    decrypt(
        key,
        aad,
        &sealed[..NONCE_LEN],
        &mut plaintext,
        &sealed[sealed.len() - TAG_LEN..],
    )?;
    Ok(plaintext)
}

/// Opens `sealed` where it lies, and returns the part of it that now holds the plaintext.
/// On failure the contents of `sealed` are unspecified.
pub fn open_in_place<'a>(
    key: &[u8; 32],
    aad: &[u8],
    sealed: &'a mut [u8],
) -> Result<&'a mut [u8], SealError> {
    if sealed.len() < OVERHEAD {
        return Err(SealError::Truncated);
    }
    let (nonce, rest) = sealed.split_at_mut(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at_mut(rest.len() - TAG_LEN);
    decrypt(key, aad, nonce, ciphertext, tag)?;
    Ok(ciphertext)
}

fn decrypt(
    key: &[u8; 32],
    aad: &[u8],
    nonce: &[u8],
    ciphertext: &mut [u8],
    tag: &[u8],
) -> Result<(), SealError> {
    let nonce = XNonce::try_from(nonce).expect("nonce has NONCE_LEN bytes");
    let tag = Tag::try_from(tag).expect("tag has TAG_LEN bytes");
    XChaCha20Poly1305::new(key.into())
        .decrypt_inout_detached(&nonce, aad, ciphertext.into(), &tag)
        .map_err(|_| SealError::Authentication)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let key = [7u8; 32];
        let mut sealed = Vec::new();
        seal(&key, b"ctx", b"hello photos", &mut sealed);
        assert_eq!(sealed.len(), 12 + OVERHEAD);
        assert_eq!(open(&key, b"ctx", &sealed).unwrap(), b"hello photos");
        assert_eq!(
            open(&key, b"other", &sealed),
            Err(SealError::Authentication)
        );
        assert_eq!(
            open(&[8u8; 32], b"ctx", &sealed),
            Err(SealError::Authentication)
        );
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 1;
            assert_eq!(open(&key, b"ctx", &bad), Err(SealError::Authentication));
        }
        assert_eq!(open(&key, b"ctx", &sealed[..10]), Err(SealError::Truncated));
        let mut in_place = sealed.clone();
        assert_eq!(
            open_in_place(&key, b"ctx", &mut in_place).unwrap(),
            b"hello photos"
        );
    }
}
