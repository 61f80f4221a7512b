//! Index files: which blobs live in which packs, so a reader need not open every pack.
//!
//! `IndexFile = seal(aad::file("index"), version u8 = 1 || pack_count u32 LE ||
//! pack_count × (pack_id [32] || blob_count u32 LE || blob_count × BlobEntry))`.
//! An index file is named by the BLAKE3 hash of its stored bytes.

use crate::error::Damage;
use crate::format::blob::{BlobEntry, ENTRY_LEN};
use crate::format::pack_header::{
    check_kinds_admitted, check_layout, listing_version, MAX_PACK_LEN,
};
use crate::id::PackId;

/// The newest version byte of the index plaintext: 2 admits thumbnail blobs, and is written
/// only by index files that list them (SPEC §8.1).
pub const INDEX_VERSION: u8 = 2;

/// The packs one index file describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexFile {
    /// Each pack with the blobs it holds.
    pub packs: Vec<IndexedPack>,
}

/// One pack and its blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedPack {
    /// The pack.
    pub id: PackId,
    /// Its blobs, as in its header.
    pub blobs: Vec<BlobEntry>,
}

impl IndexFile {
    /// How many blob records it holds, over all its packs.
    pub fn blob_count(&self) -> usize {
        self.packs.iter().map(|p| p.blobs.len()).sum()
    }

    /// The plaintext encoding (sealed by [`crate::format::sealed_file`]).
    pub fn encode(&self) -> Vec<u8> {
        let blobs = self.blob_count();
        let mut out = Vec::with_capacity(5 + self.packs.len() * 36 + blobs * ENTRY_LEN);
        let version = self
            .packs
            .iter()
            .map(|p| listing_version(&p.blobs))
            .max()
            .unwrap_or(1);
        out.push(version);
        out.extend_from_slice(&(self.packs.len() as u32).to_le_bytes());
        for p in &self.packs {
            out.extend_from_slice(p.id.as_bytes());
            out.extend_from_slice(&(p.blobs.len() as u32).to_le_bytes());
            for b in &p.blobs {
                b.encode(&mut out);
            }
        }
        out
    }

    /// Decodes the plaintext, rejecting anything that does not add up exactly.
    pub fn decode(b: &[u8]) -> Result<Self, Damage> {
        let mut r = Reader(b);
        let version = r.take(1)?[0];
        if version == 0 || version > INDEX_VERSION {
            return Err(Damage::Malformed(crate::Malformed::IndexVersion(version)));
        }
        let pack_count = r.u32()? as usize;
        let mut packs = Vec::with_capacity(pack_count.min(b.len() / 36));
        for _ in 0..pack_count {
            let id = PackId(r.take(32)?.try_into().expect("32 bytes"));
            let blob_count = r.u32()? as usize;
            let body = r.take(
                blob_count
                    .checked_mul(ENTRY_LEN)
                    .ok_or(Damage::Truncated("index"))?,
            )?;
            let blobs: Vec<BlobEntry> = body
                .chunks_exact(ENTRY_LEN)
                .map(BlobEntry::decode)
                .collect::<Result<_, _>>()?;
            // Readers slice pack reads by these entries: they must not overlap, and no pack
            // is longer than MAX_PACK_LEN.
            check_layout(&blobs, MAX_PACK_LEN)
                .and_then(|()| check_kinds_admitted(&blobs, version, "index"))
                .map_err(|damage| {
                    Damage::Malformed(crate::Malformed::IndexedPack {
                        pack: id,
                        damage: Box::new(damage),
                    })
                })?;
            packs.push(IndexedPack { id, blobs });
        }
        if !r.0.is_empty() {
            return Err(Damage::Malformed(crate::Malformed::IndexTrailing(
                r.0.len(),
            )));
        }
        Ok(IndexFile { packs })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Damage> {
        if self.0.len() < n {
            return Err(Damage::Truncated("index"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, Damage> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::blob::{BlobKind, Compression};
    use crate::id::BlobId;

    fn pack(kinds: &[BlobKind]) -> IndexedPack {
        IndexedPack {
            id: PackId([7; 32]),
            blobs: kinds
                .iter()
                .enumerate()
                .map(|(i, kind)| BlobEntry {
                    id: BlobId([i as u8; 32]),
                    kind: *kind,
                    compression: Compression::None,
                    offset: 100 * i as u32,
                    length: 100,
                    raw_length: 60,
                })
                .collect(),
        }
    }

    #[test]
    fn index_files_without_thumbnails_keep_version_1_for_older_readers() {
        let plain = IndexFile {
            packs: vec![
                pack(&[BlobKind::Data, BlobKind::Data]),
                pack(&[BlobKind::Tree]),
            ],
        }
        .encode();
        assert_eq!(plain[0], 1);
        let with_thumbnails = IndexFile {
            packs: vec![pack(&[BlobKind::Data]), pack(&[BlobKind::Thumbnail])],
        };
        let encoded = with_thumbnails.encode();
        assert_eq!(encoded[0], 2);
        assert_eq!(IndexFile::decode(&encoded).unwrap(), with_thumbnails);
    }

    #[test]
    fn a_thumbnail_in_a_version_1_index_or_a_newer_version_is_refused() {
        let mut encoded = IndexFile {
            packs: vec![pack(&[BlobKind::Thumbnail])],
        }
        .encode();
        encoded[0] = 1;
        assert!(
            matches!(IndexFile::decode(&encoded), Err(Damage::Malformed(m)) if m.to_string().contains("kind 2"))
        );
        encoded[0] = 3;
        assert!(matches!(
            IndexFile::decode(&encoded),
            Err(Damage::Malformed(crate::Malformed::IndexVersion(3)))
        ));
    }
}
