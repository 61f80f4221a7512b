//! A blob as stored inside a pack, and the record that locates it.
//!
//! Stored blob: `seal(encryption_key, aad::blob(kind, id, compression, raw_length), payload)`
//! where the payload is the plaintext, or its zstd frame when `compression` is `Zstd`.
//! Opening checks the tag, decompresses to at most `raw_length` bytes, and checks that the
//! plaintext hashes (keyed BLAKE3) to `id`.

use crate::crypto::{self, aad, MasterKey};
use crate::error::{Damage, Error, Result};
use crate::id::{BlobId, PackId};

pub use super::blob_kind::{BlobKind, Compression};

/// Where a blob lives and how to read it: one record of a pack header or index file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobEntry {
    /// The blob's id.
    pub id: BlobId,
    /// Data or tree.
    pub kind: BlobKind,
    /// Payload encoding.
    pub compression: Compression,
    /// Offset of the stored blob in its pack.
    pub offset: u32,
    /// Length of the stored (sealed) blob.
    pub length: u32,
    /// Length of the plaintext.
    pub raw_length: u32,
}

/// Bytes of one encoded [`BlobEntry`].
pub const ENTRY_LEN: usize = 46;

impl BlobEntry {
    /// `kind u8 || compression u8 || offset u32 || length u32 || raw_length u32 || id [32]`,
    /// integers little endian.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.kind as u8);
        out.push(self.compression as u8);
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.length.to_le_bytes());
        out.extend_from_slice(&self.raw_length.to_le_bytes());
        out.extend_from_slice(self.id.as_bytes());
    }

    /// Decodes one record from exactly [`ENTRY_LEN`] bytes.
    pub fn decode(b: &[u8]) -> Result<Self, Damage> {
        if b.len() != ENTRY_LEN {
            return Err(Damage::Truncated("blob entry"));
        }
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let kind = BlobKind::from_u8(b[0])
            .ok_or(Damage::Malformed(crate::Malformed::UnknownBlobKind(b[0])))?;
        let compression = Compression::from_u8(b[1]).ok_or(Damage::Malformed(
            crate::Malformed::UnknownCompression(b[1]),
        ))?;
        let length = u32_at(6);
        if (length as usize) < crypto::OVERHEAD {
            return Err(Damage::Malformed(crate::Malformed::BlobBelowOverhead(
                length,
            )));
        }
        let mut id = [0u8; 32];
        id.copy_from_slice(&b[14..46]);
        Ok(BlobEntry {
            id: BlobId(id),
            kind,
            compression,
            offset: u32_at(2),
            length,
            raw_length: u32_at(10),
        })
    }

    /// The end of the stored blob in its pack.
    pub fn end(&self) -> u64 {
        self.offset as u64 + self.length as u64
    }
}

/// A blob located in a specific pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobLocation {
    /// The pack that holds it.
    pub pack: PackId,
    /// Its record in that pack.
    pub entry: BlobEntry,
}

/// Seals a blob's payload (already compressed or not), appending the stored bytes to `out`.
pub fn seal_blob(
    key: &MasterKey,
    kind: BlobKind,
    id: &BlobId,
    compression: Compression,
    raw_length: u32,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    let aad = aad::blob(kind, id, compression, raw_length);
    crypto::seal(key.encryption_key(), &aad, payload, out);
}

/// Opens a stored blob read from `location` and verifies it completely.
pub fn open_blob(key: &MasterKey, location: &BlobLocation, stored: &[u8]) -> Result<Vec<u8>> {
    let e = &location.entry;
    let payload = crypto::open(key.encryption_key(), &blob_aad(e), stored)
        .map_err(|err| seal_damage(location, err))?;
    let plaintext = match e.compression {
        Compression::None => payload,
        compressed => crate::compress::decompress(compressed, &payload, e.raw_length as usize)
            .map_err(|d| Error::damaged(blob_name(location), d))?,
    };
    verify_plaintext(key, location, &plaintext)?;
    Ok(plaintext)
}

/// Opens a stored blob where it lies (a read buffer) and verifies it completely, without
/// copying: the plaintext is decrypted in `stored`, or decompressed into `scratch`, and the
/// returned slice is whichever holds it. On failure `stored` is left scrambled.
///
/// `overlaps_later` says that a blob still to be opened from the same buffer shares some of
/// these bytes (only a damaged index says so); they are then opened from a copy, so that the
/// other blob still finds its bytes as stored.
pub fn open_blob_in_place<'a>(
    key: &MasterKey,
    location: &BlobLocation,
    stored: &'a mut [u8],
    overlaps_later: bool,
    scratch: &'a mut Vec<u8>,
) -> Result<&'a [u8]> {
    if overlaps_later {
        *scratch = open_blob(key, location, stored)?;
        return Ok(scratch);
    }
    let e = &location.entry;
    let payload = crypto::open_in_place(key.encryption_key(), &blob_aad(e), stored)
        .map_err(|err| seal_damage(location, err))?;
    let plaintext: &[u8] = match e.compression {
        Compression::None => payload,
        compressed => {
            crate::compress::decompress_into(compressed, payload, e.raw_length as usize, scratch)
                .map_err(|d| Error::damaged(blob_name(location), d))?;
            scratch
        }
    };
    verify_plaintext(key, location, plaintext)?;
    Ok(plaintext)
}

fn blob_aad(e: &BlobEntry) -> [u8; 56] {
    aad::blob(e.kind, &e.id, e.compression, e.raw_length)
}

fn blob_name(location: &BlobLocation) -> String {
    format!(
        "blob {} in pack {}",
        location.entry.id.short(),
        location.pack.short()
    )
}

fn seal_damage(location: &BlobLocation, err: crypto::SealError) -> Error {
    Error::damaged(
        blob_name(location),
        match err {
            crypto::SealError::Truncated => Damage::Truncated("blob"),
            crypto::SealError::Authentication => Damage::Authentication,
        },
    )
}

/// The plaintext has the recorded length and hashes to the blob's id.
fn verify_plaintext(key: &MasterKey, location: &BlobLocation, plaintext: &[u8]) -> Result<()> {
    let e = &location.entry;
    if plaintext.len() != e.raw_length as usize {
        return Err(Error::damaged(
            blob_name(location),
            Damage::Malformed(crate::Malformed::PlaintextLength {
                actual: plaintext.len() as u64,
                recorded: e.raw_length,
            }),
        ));
    }
    // A thumbnail is named after the content it shows, not its own bytes (SPEC §6.2): the
    // seal, whose associated data holds the id, is what binds the two.
    if e.kind != BlobKind::Thumbnail && key.blob_id(plaintext) != e.id {
        return Err(Error::damaged(blob_name(location), Damage::IdMismatch));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_round_trip() {
        let e = BlobEntry {
            id: BlobId([9; 32]),
            kind: BlobKind::Tree,
            compression: Compression::Zstd,
            offset: 12345,
            length: 999,
            raw_length: 4000,
        };
        let mut b = Vec::new();
        e.encode(&mut b);
        assert_eq!(b.len(), ENTRY_LEN);
        assert_eq!(BlobEntry::decode(&b).unwrap(), e);
    }

    #[test]
    fn sealed_blob_is_bound_to_its_id_and_kind() {
        let key = MasterKey::generate();
        let data = b"a chunk of a photo".to_vec();
        let (loc, stored) = stored_blob(&key, &data, Compression::None);
        let entry = loc.entry;
        assert_eq!(open_blob(&key, &loc, &stored).unwrap(), data);
        let as_tree = BlobLocation {
            entry: BlobEntry {
                kind: BlobKind::Tree,
                ..entry
            },
            ..loc
        };
        assert!(open_blob(&key, &as_tree, &stored).is_err());
        let other_id = BlobLocation {
            entry: BlobEntry {
                id: BlobId([2; 32]),
                ..entry
            },
            ..loc
        };
        assert!(open_blob(&key, &other_id, &stored).is_err());
    }

    /// Seals `data` with `compression` as a blob at offset 0 of some pack.
    fn stored_blob(
        key: &MasterKey,
        data: &[u8],
        compression: Compression,
    ) -> (BlobLocation, Vec<u8>) {
        let id = key.blob_id(data);
        let mut payload = Vec::new();
        let compression = if crate::compress::compress_into(data, compression, 3, &mut payload) {
            compression
        } else {
            payload = data.to_vec();
            Compression::None
        };
        let mut stored = Vec::new();
        seal_blob(
            key,
            BlobKind::Data,
            &id,
            compression,
            data.len() as u32,
            &payload,
            &mut stored,
        );
        let entry = BlobEntry {
            id,
            kind: BlobKind::Data,
            compression,
            offset: 0,
            length: stored.len() as u32,
            raw_length: data.len() as u32,
        };
        (
            BlobLocation {
                pack: PackId([1; 32]),
                entry,
            },
            stored,
        )
    }

    #[test]
    fn opening_in_place_gives_what_opening_a_copy_gives() {
        let key = MasterKey::generate();
        let words: Vec<u8> = (0..40_000u32)
            .flat_map(|i| ((i / 7) as u16).to_le_bytes())
            .collect();
        let random: Vec<u8> = (0..50_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let cases = [
            (words.clone(), Compression::Zstd),
            (words, Compression::ZstdWords16),
            (random, Compression::None),
        ];
        let mut scratch = Vec::new();
        for (data, compression) in cases {
            let (location, stored) = stored_blob(&key, &data, compression);
            assert_eq!(location.entry.compression, compression);
            assert_eq!(open_blob(&key, &location, &stored).unwrap(), data);
            let mut buffer = stored.clone();
            let opened = open_blob_in_place(&key, &location, &mut buffer, false, &mut scratch);
            assert_eq!(opened.unwrap(), data.as_slice());
        }
    }

    #[test]
    fn a_blob_sharing_bytes_with_a_later_one_leaves_them_as_stored() {
        let key = MasterKey::generate();
        let (location, stored) = stored_blob(
            &key,
            b"bytes that a damaged index lists twice",
            Compression::None,
        );
        let mut buffer = stored.clone();
        let mut scratch = Vec::new();
        let opened = open_blob_in_place(&key, &location, &mut buffer, true, &mut scratch).unwrap();
        assert_eq!(opened, b"bytes that a damaged index lists twice");
        assert_eq!(buffer, stored);
        let mut tampered = stored.clone();
        tampered[30] ^= 1;
        let error = open_blob_in_place(&key, &location, &mut tampered, false, &mut scratch);
        assert!(error.unwrap_err().to_string().contains("authentication"));
    }
}
