//! The pack header: the sealed list of a pack's blobs, stored at its end.
//!
//! `Pack = Blob_1 || ... || Blob_n || SealedHeader || header_length (u32 LE)`, where
//! `SealedHeader = seal(aad::PACK_HEADER, version u8 = 1 || n u32 LE || n × BlobEntry)` and
//! `header_length` is the length of `SealedHeader`. With the headers alone the whole index
//! can be rebuilt (`pvault repair index`).

use crate::crypto::{self, aad, MasterKey};
use crate::error::Damage;
use crate::format::blob::{BlobEntry, ENTRY_LEN};

/// The newest version byte of the header plaintext: 2 admits thumbnail blobs, and is
/// written only by packs that hold them (version 1 otherwise, so that older readers still
/// read every pack without thumbnails).
pub const HEADER_VERSION: u8 = 2;

/// Bytes of the trailing header length field.
pub const TRAILER_LEN: usize = 4;

/// No pack is longer than this (4 GiB): blob offsets are 32-bit, and writers close a pack at
/// its target size (at most 1 GiB) plus one blob. A reader treats a longer pack as damaged
/// without reading it, so a huge or sparse file in `data/` costs nothing.
pub const MAX_PACK_LEN: u64 = 1 << 32;

/// The header plaintext: `version || count || entries`.
pub fn encode_plain(entries: &[BlobEntry]) -> Vec<u8> {
    let mut plain = Vec::with_capacity(5 + entries.len() * ENTRY_LEN);
    plain.push(listing_version(entries));
    plain.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    for e in entries {
        e.encode(&mut plain);
    }
    plain
}

/// Seals the header for `entries` and appends it and its length to `pack`.
pub fn append_header(key: &MasterKey, entries: &[BlobEntry], pack: &mut Vec<u8>) {
    let plain = encode_plain(entries);
    let start = pack.len();
    crypto::seal(key.encryption_key(), aad::PACK_HEADER, &plain, pack);
    let sealed_len = (pack.len() - start) as u32;
    pack.extend_from_slice(&sealed_len.to_le_bytes());
}

/// Reads the trailing length field: how many bytes before it hold the sealed header.
pub fn sealed_header_length(trailer: &[u8]) -> Result<u32, Damage> {
    let t: [u8; 4] = trailer
        .try_into()
        .map_err(|_| Damage::Truncated("pack trailer"))?;
    Ok(u32::from_le_bytes(t))
}

/// Opens and decodes a sealed header of a pack of `pack_length` bytes, checking that every
/// blob lies within the pack's blob area and that no two overlap.
pub fn decode_header(
    key: &MasterKey,
    sealed: &[u8],
    pack_length: u64,
) -> Result<Vec<BlobEntry>, Damage> {
    let plain =
        crypto::open(key.encryption_key(), aad::PACK_HEADER, sealed).map_err(|e| match e {
            crypto::SealError::Truncated => Damage::Truncated("pack header"),
            crypto::SealError::Authentication => Damage::Authentication,
        })?;
    let blob_area_end = pack_length
        .checked_sub((sealed.len() + TRAILER_LEN) as u64)
        .ok_or(Damage::Truncated("pack shorter than its header"))?;
    decode_plain(&plain, blob_area_end)
}

/// Decodes a header plaintext for a pack whose blob area ends at `blob_area_end`; entries
/// come back sorted by offset.
pub fn decode_plain(plain: &[u8], blob_area_end: u64) -> Result<Vec<BlobEntry>, Damage> {
    if plain.len() < 5 {
        return Err(Damage::Truncated("pack header"));
    }
    let version = plain[0];
    if version == 0 || version > HEADER_VERSION {
        return Err(Damage::Malformed(crate::Malformed::PackHeaderVersion(
            version,
        )));
    }
    let count = u32::from_le_bytes([plain[1], plain[2], plain[3], plain[4]]) as usize;
    let body = &plain[5..];
    if body.len() != count.saturating_mul(ENTRY_LEN) {
        return Err(Damage::Malformed(crate::Malformed::PackHeaderCount {
            count,
            bytes: body.len(),
        }));
    }
    let mut entries: Vec<BlobEntry> = body
        .chunks_exact(ENTRY_LEN)
        .map(BlobEntry::decode)
        .collect::<Result<_, _>>()?;
    check_kinds_admitted(&entries, version, "pack header")?;
    entries.sort_by_key(|e| e.offset);
    check_layout(&entries, blob_area_end)?;
    Ok(entries)
}

/// The version a pack header or index file listing `entries` is written with: the lowest
/// that admits every kind among them.
pub fn listing_version(entries: &[BlobEntry]) -> u8 {
    entries
        .iter()
        .map(|e| e.kind.min_listing_version())
        .max()
        .unwrap_or(1)
}

/// Refuses a listing of version `version` that names a kind that version does not admit.
pub fn check_kinds_admitted(
    entries: &[BlobEntry],
    version: u8,
    what: &'static str,
) -> Result<(), Damage> {
    match entries
        .iter()
        .find(|e| e.kind.min_listing_version() > version)
    {
        Some(e) => Err(Damage::Malformed(crate::Malformed::KindNotAdmitted {
            what,
            version,
            blob: e.id,
            kind: e.kind as u8,
        })),
        None => Ok(()),
    }
}

/// Checks that blobs lie within a pack's blob area (which ends at `blob_area_end`) and that
/// no two overlap: what every writer guarantees, and what a reader relies on before it
/// slices a read buffer by these entries. `entries` need not be sorted.
pub fn check_layout(entries: &[BlobEntry], blob_area_end: u64) -> Result<(), Damage> {
    let mut spans: Vec<&BlobEntry> = entries.iter().collect();
    spans.sort_by_key(|e| e.offset);
    let mut previous_end = 0u64;
    for e in spans {
        if (e.offset as u64) < previous_end || e.end() > blob_area_end {
            return Err(Damage::Malformed(crate::Malformed::BlobOutsidePack {
                blob: e.id,
                offset: e.offset,
                length: e.length,
            }));
        }
        previous_end = e.end();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::blob::{BlobKind, Compression};
    use crate::id::BlobId;

    fn entry(i: u8, offset: u32, length: u32) -> BlobEntry {
        BlobEntry {
            id: BlobId([i; 32]),
            kind: BlobKind::Data,
            compression: Compression::None,
            offset,
            length,
            raw_length: length - 40,
        }
    }

    #[test]
    fn header_round_trip_from_pack_tail() {
        let key = MasterKey::generate();
        let entries = vec![entry(1, 0, 100), entry(2, 100, 50)];
        let mut pack = vec![0u8; 150];
        append_header(&key, &entries, &mut pack);
        let n = pack.len();
        let sealed_len = sealed_header_length(&pack[n - 4..]).unwrap() as usize;
        let sealed = &pack[n - 4 - sealed_len..n - 4];
        assert_eq!(decode_header(&key, sealed, n as u64).unwrap(), entries);
    }

    #[test]
    fn overlapping_or_outside_blobs_are_rejected() {
        let key = MasterKey::generate();
        for bad in [
            vec![entry(1, 0, 100), entry(2, 90, 50)],
            vec![entry(1, 0, 400)],
        ] {
            let mut pack = vec![0u8; 150];
            append_header(&key, &bad, &mut pack);
            let n = pack.len();
            let sealed_len = sealed_header_length(&pack[n - 4..]).unwrap() as usize;
            assert!(decode_header(&key, &pack[n - 4 - sealed_len..n - 4], n as u64).is_err());
        }
    }

    #[test]
    fn a_thumbnail_pack_is_version_2_and_others_stay_version_1() {
        let data = vec![entry(1, 0, 100)];
        assert_eq!(encode_plain(&data)[0], 1);
        let mut thumbnails = vec![entry(2, 0, 100)];
        thumbnails[0].kind = BlobKind::Thumbnail;
        let plain = encode_plain(&thumbnails);
        assert_eq!(plain[0], 2);
        assert_eq!(decode_plain(&plain, 100).unwrap(), thumbnails);
        let mut as_version_1 = plain.clone();
        as_version_1[0] = 1;
        assert!(decode_plain(&as_version_1, 100).is_err());
        let mut as_version_3 = plain;
        as_version_3[0] = 3;
        assert!(decode_plain(&as_version_3, 100).is_err());
    }
}
