//! Typed 32-byte identifiers.
//!
//! Every object in a repository is named by 32 bytes: blobs by a keyed BLAKE3 MAC of their
//! plaintext, files (packs, index files, snapshots, keys, locks) by the plain BLAKE3 hash of
//! their stored bytes. Distinct types keep a pack id from being used where a blob id belongs.
//! In JSON they are lower-case hex; in binary encodings they are the 32 raw bytes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }

            /// Lower-case hex, 64 characters: the form used in file names and JSON.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }

            /// The first 8 hex characters, as shown to people.
            pub fn short(&self) -> String {
                hex::encode(&self.0[..4])
            }

            /// Parses 64 hex characters.
            pub fn from_hex(s: &str) -> Option<Self> {
                let mut out = [0u8; 32];
                hex::decode_to_slice(s, &mut out).ok()?;
                Some(Self(out))
            }

            /// The plain (unkeyed) BLAKE3 hash of `data`: how stored files are named.
            pub fn hash_of(data: &[u8]) -> Self {
                Self(*blake3::hash(data).as_bytes())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.short())
            }
        }

        impl FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, InvalidId> {
                Self::from_hex(s).ok_or_else(|| InvalidId(s.to_string()))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                if s.is_human_readable() {
                    s.serialize_str(&self.to_hex())
                } else {
                    self.0.serialize(s)
                }
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                if d.is_human_readable() {
                    let s = String::deserialize(d)?;
                    Self::from_hex(&s).ok_or_else(|| serde::de::Error::custom(InvalidId(s)))
                } else {
                    Ok(Self(<[u8; 32]>::deserialize(d)?))
                }
            }
        }
    };
}

id_type!(
    /// Names a blob (a file chunk or a tree): keyed BLAKE3 of its plaintext.
    BlobId
);
id_type!(
    /// Names a pack file: BLAKE3 of the whole file.
    PackId
);
id_type!(
    /// Names a snapshot file: BLAKE3 of the stored (encrypted) file.
    SnapshotId
);
id_type!(
    /// Names an index file: BLAKE3 of the stored (encrypted) file.
    IndexId
);
id_type!(
    /// Names a key file: BLAKE3 of the stored file.
    KeyId
);

/// A string that is not 64 hex characters.
#[derive(Debug, Clone, thiserror::Error)]
#[error("'{0}' is not a 64-character hex id")]
pub struct InvalidId(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip() {
        let id = BlobId::hash_of(b"photo");
        assert_eq!(BlobId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(id.short().len(), 8);
        assert!(BlobId::from_hex("zz").is_none());
    }

    #[test]
    fn json_is_hex_and_binary_is_raw() {
        let id = PackId::hash_of(b"pack");
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.to_hex()));
        let bin = bincode::serde::encode_to_vec(id, bincode::config::standard()).unwrap();
        assert_eq!(bin, id.0.to_vec());
    }
}
