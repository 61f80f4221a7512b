//! Compression: zstd for what compresses (RAW sensor data, sidecars, trees), nothing for
//! what is already compressed (JPEG, HEIC, PNG, video, archives).
//!
//! The decision is made per file from its first bytes ([`ContentClass::sniff`]) so that
//! photos and videos cost no compression CPU at all; for everything else each blob is
//! compressed and kept compressed only when that saves at least 1/32 of its size.

use crate::error::Damage;

/// What a file's leading bytes say about its compressibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentClass {
    /// A format that is already compressed: never spend CPU on it.
    Compressed,
    /// Anything else: try, and keep the result if it pays.
    Try,
}

impl ContentClass {
    /// Classifies a file by its first bytes.
    pub fn sniff(head: &[u8]) -> Self {
        let starts = |magic: &[u8]| head.starts_with(magic);
        let compressed = starts(b"\xFF\xD8\xFF") // JPEG
            || starts(b"\x89PNG\r\n\x1a\n")
            || starts(b"GIF8")
            || (starts(b"RIFF") && head.get(8..12) == Some(b"WEBP"))
            || starts(b"PK\x03\x04") // zip, docx, ...
            || starts(b"\x1f\x8b") // gzip
            || starts(b"\x28\xb5\x2f\xfd") // zstd
            || starts(b"\xfd7zXZ\x00") // xz
            || starts(b"7z\xbc\xaf\x27\x1c")
            || starts(b"BZh")
            || starts(b"\x1a\x45\xdf\xa3") // Matroska / WebM
            || is_compressed_iso_bmff(head);
        if compressed {
            ContentClass::Compressed
        } else {
            ContentClass::Try
        }
    }
}

/// ISO base media files (MP4, MOV, HEIC, AVIF, 3GP) hold compressed video or images; Canon's
/// CR3 (brand `crx `) also uses the container but holds RAW data, which may compress.
fn is_compressed_iso_bmff(head: &[u8]) -> bool {
    if head.get(4..8) != Some(b"ftyp") {
        return false;
    }
    !matches!(head.get(8..12), Some(b"crx "))
}

/// Compresses `data` at `level`; `None` when the result would not save at least 1/32.
pub fn compress_if_smaller(data: &[u8], level: i32) -> Option<Vec<u8>> {
    let compressed = zstd::bulk::compress(data, level).ok()?;
    (compressed.len() + data.len() / 32 < data.len()).then_some(compressed)
}

/// Decompresses one zstd frame that must yield exactly `raw_length` bytes. The output
/// buffer is bounded by `raw_length`, so a hostile frame cannot inflate beyond it.
pub fn decompress(frame: &[u8], raw_length: usize) -> Result<Vec<u8>, Damage> {
    let out = zstd::bulk::decompress(frame, raw_length)
        .map_err(|e| Damage::Decompression(e.to_string()))?;
    if out.len() != raw_length {
        return Err(Damage::Decompression(format!(
            "{} bytes where {raw_length} were recorded",
            out.len()
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_is_not_compressed_and_raw_data_is_tried() {
        assert_eq!(
            ContentClass::sniff(b"\xFF\xD8\xFF\xE1..Exif"),
            ContentClass::Compressed
        );
        assert_eq!(
            ContentClass::sniff(b"\0\0\0\x18ftypheic"),
            ContentClass::Compressed
        );
        assert_eq!(
            ContentClass::sniff(b"\0\0\0\x18ftypqt  "),
            ContentClass::Compressed
        );
        assert_eq!(
            ContentClass::sniff(b"\0\0\0\x18ftypcrx "),
            ContentClass::Try
        );
        assert_eq!(ContentClass::sniff(b"II*\0"), ContentClass::Try);
        assert_eq!(ContentClass::sniff(b"<x:xmpmeta"), ContentClass::Try);
    }

    #[test]
    fn decompression_is_bounded_by_the_recorded_length() {
        let data = vec![0u8; 1 << 20];
        let frame = compress_if_smaller(&data, 3).expect("zeros compress");
        assert_eq!(decompress(&frame, data.len()).unwrap(), data);
        assert!(
            decompress(&frame, 1000).is_err(),
            "a bomb must not inflate past its record"
        );
        assert!(decompress(&frame, data.len() + 1).is_err());
    }

    #[test]
    fn incompressible_data_is_stored_raw() {
        let noise: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let _ = compress_if_smaller(&noise, 3); // must not panic whatever it decides
        assert!(compress_if_smaller(&[1, 2, 3], 3).is_none());
    }
}
