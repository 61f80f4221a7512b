//! The master key: one per repository, shared by all its key files.

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::random_bytes;
use crate::id::BlobId;

/// Length of the serialized master key inside a key file.
pub const MASTER_KEY_LEN: usize = 72;

/// The secrets of a repository: the encryption key, the key of the blob-id MAC, and the
/// chunker seed. Wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterKey {
    encryption: [u8; 32],
    mac: [u8; 32],
    chunker_seed: u64,
}

impl MasterKey {
    /// A fresh random master key (at `init`).
    pub fn generate() -> Self {
        let mut bytes = [0u8; MASTER_KEY_LEN];
        random_bytes(&mut bytes);
        let key = Self::from_bytes(&bytes);
        bytes.zeroize();
        key
    }

    /// Reads the 72-byte layout `encryption (32) || mac (32) || chunker_seed (u64 LE)`.
    pub fn from_bytes(bytes: &[u8; MASTER_KEY_LEN]) -> Self {
        let mut encryption = [0u8; 32];
        let mut mac = [0u8; 32];
        encryption.copy_from_slice(&bytes[..32]);
        mac.copy_from_slice(&bytes[32..64]);
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&bytes[64..72]);
        MasterKey {
            encryption,
            mac,
            chunker_seed: u64::from_le_bytes(seed),
        }
    }

    /// A fresh master key that names blobs and cuts chunks as `other` does (same MAC key,
    /// same chunker seed) but encrypts with its own key: for a repository that `copy` fills
    /// from `other` blob for blob (SPEC §4.1).
    pub fn sharing_ids_with(other: &MasterKey) -> Self {
        let mut key = Self::generate();
        key.mac = other.mac;
        key.chunker_seed = other.chunker_seed;
        key
    }

    /// Whether blob ids and chunk boundaries of this key and `other` are the same.
    pub fn same_ids_as(&self, other: &MasterKey) -> bool {
        self.mac == other.mac && self.chunker_seed == other.chunker_seed
    }

    /// The 72-byte layout (see [`MasterKey::from_bytes`]).
    pub fn to_bytes(&self) -> zeroize::Zeroizing<[u8; MASTER_KEY_LEN]> {
        let mut out = zeroize::Zeroizing::new([0u8; MASTER_KEY_LEN]);
        out[..32].copy_from_slice(&self.encryption);
        out[32..64].copy_from_slice(&self.mac);
        out[64..].copy_from_slice(&self.chunker_seed.to_le_bytes());
        out
    }

    /// The XChaCha20-Poly1305 key for everything stored.
    pub fn encryption_key(&self) -> &[u8; 32] {
        &self.encryption
    }

    /// The seed that XORs FastCDC's gear table, so boundaries differ per repository.
    pub fn chunker_seed(&self) -> u64 {
        self.chunker_seed
    }

    /// A blob's id: BLAKE3 in keyed mode over the plaintext.
    pub fn blob_id(&self, plaintext: &[u8]) -> BlobId {
        BlobId(*blake3::keyed_hash(&self.mac, plaintext).as_bytes())
    }

    /// The id of the thumbnail of a file whose content is the blobs `content`, in order:
    /// BLAKE3 in keyed mode over `photovault/v1/thumbnail` and the content ids (SPEC §3.4).
    /// Named after what it shows, a thumbnail is found from a tree node alone, files with
    /// the same content share one, and it can be added to snapshots after they were made.
    pub fn thumbnail_id(&self, content: &[BlobId]) -> BlobId {
        let mut hasher = blake3::Hasher::new_keyed(&self.mac);
        hasher.update(THUMBNAIL_DOMAIN);
        for id in content {
            hasher.update(&id.0);
        }
        BlobId(*hasher.finalize().as_bytes())
    }
}

/// What a thumbnail id hashes before the content ids, so that it never equals the id of a
/// blob whose plaintext is those ids.
const THUMBNAIL_DOMAIN: &[u8] = b"photovault/v1/thumbnail";

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}
