//! Compression: zstd for what compresses (RAW sensor data, sidecars, trees), nothing for
//! what is already compressed (JPEG, HEIC, PNG, video, archives).
//!
//! The decision is made per file. Its first bytes say whether it is a compressed format
//! ([`MediaKind::is_compressed`]), so photos and videos cost no compression CPU at all. For a large
//! file of any other kind, [`ContentClass::probe`] compresses its first chunk twice, as it
//! is and as two byte planes of 16-bit words, and keeps the better form for the whole file:
//! uncompressed RAW sensor data and 16-bit scans are 16-bit samples whose high bytes are
//! smooth and whose low bytes are noisy, and zstd only sees that once the two are apart
//! (on the photo corpus, zstd level 3: ratio 2.07 at 317 MB/s instead of 1.49 at 66 MB/s).
//! Every blob is then kept compressed only when that saves at least 1/32 of its size.
//!
//! Compression contexts and scratch buffers live per thread and are reused, so the hot path
//! does not allocate.

use std::cell::RefCell;

use crate::error::Damage;
use crate::format::blob_kind::Compression;
use crate::media::MediaKind;

/// Files at least this large are probed for 16-bit structure; smaller ones are compressed as
/// they are (the probe would cost more than it could save).
pub const PROBE_MIN_FILE_SIZE: u64 = 1 << 20;

/// Bytes of a file's first chunk that [`ContentClass::probe`] compresses, twice.
const PROBE_BYTES: usize = 128 << 10;

/// Blobs up to this size are compressed at level 1 when the configured level is 2 or 3: on
/// inputs this small zstd's level 1 compresses about as well (the 200,000-small-file corpus:
/// ratio 1.327 against 1.320 at 4 KiB; XMP sidecars: 3.31 against 3.39) at 1.4 to 2 times
/// the speed, and small files are where a backup spends its compression time.
pub const SMALL_BLOB: usize = 16 << 10;

/// The zstd level a blob of `len` bytes is compressed at, given the configured `level`.
pub fn level_for(len: usize, level: i32) -> i32 {
    if len <= SMALL_BLOB && (2..=3).contains(&level) {
        1
    } else {
        level
    }
}

/// What a file's content calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentClass {
    /// A format that is already compressed: never spend CPU on it.
    Compressed,
    /// Anything else: try zstd, and keep the result if it pays.
    Try,
    /// 16-bit samples: try zstd on the two byte planes ([`Compression::ZstdWords16`]).
    Words16,
}

impl ContentClass {
    /// What a file of `kind` calls for, before [`ContentClass::probe`]. Backup takes the
    /// kind from the file's first bytes alone ([`MediaKind::from_content`]): a misnamed
    /// file is compressed as what it is.
    pub fn of(kind: MediaKind) -> Self {
        if kind.is_compressed() {
            ContentClass::Compressed
        } else {
            ContentClass::Try
        }
    }

    /// What a blob stored with `compression` called for: the same treatment again when it is
    /// stored anew (repack, repair, copy).
    pub fn of_stored(compression: Compression) -> Self {
        match compression {
            Compression::None => ContentClass::Compressed,
            Compression::Zstd => ContentClass::Try,
            Compression::ZstdWords16 => ContentClass::Words16,
        }
    }

    /// Refines [`ContentClass::Try`] for a large file from its first chunk: `Words16` when
    /// zstd does better on the byte planes of `chunk` than on `chunk` itself.
    pub fn probe(self, chunk: &[u8], level: i32) -> Self {
        if self != ContentClass::Try || chunk.len() < 4096 {
            return self;
        }
        let sample = &chunk[..chunk.len().min(PROBE_BYTES) & !1];
        let as_is = compressed_len(sample, Compression::Zstd, level);
        let planar = compressed_len(sample, Compression::ZstdWords16, level);
        if planar + sample.len() / 64 < as_is {
            ContentClass::Words16
        } else {
            ContentClass::Try
        }
    }
}

struct Contexts {
    compressor: Option<(i32, zstd::bulk::Compressor<'static>)>,
    decompressor: Option<zstd::bulk::Decompressor<'static>>,
    planes: Vec<u8>,
}

thread_local! {
    static CONTEXTS: RefCell<Contexts> = const {
        RefCell::new(Contexts { compressor: None, decompressor: None, planes: Vec::new() })
    };
}

impl Contexts {
    /// Compresses `data` into `out` (cleared first); whether the frame fits in `limit`.
    fn zstd(&mut self, data: &[u8], level: i32, limit: usize, out: &mut Vec<u8>) -> bool {
        match &mut self.compressor {
            Some((current, _)) if *current == level => {}
            Some((current, compressor)) => {
                if compressor.set_compression_level(level).is_err() {
                    return false;
                }
                *current = level;
            }
            None => match zstd::bulk::Compressor::new(level) {
                Ok(c) => self.compressor = Some((level, c)),
                Err(_) => return false,
            },
        }
        let (_, compressor) = self.compressor.as_mut().expect("just made");
        out.clear();
        out.reserve(zstd::zstd_safe::compress_bound(data.len()));
        match compressor.compress_to_buffer(data, out) {
            Ok(n) => n <= limit,
            Err(_) => false,
        }
    }
}

/// Encodes `data` with `compression` into `out` when that saves at least 1/32 of its size,
/// at [`level_for`]`(data.len(), level)`. Returns `false` (and `out` holds nothing useful)
/// when it does not pay, in which case the blob is stored with [`Compression::None`].
pub fn compress_into(data: &[u8], compression: Compression, level: i32, out: &mut Vec<u8>) -> bool {
    if data.len() < 64 {
        return false;
    }
    let limit = data.len() - data.len() / 32 - 1;
    let level = level_for(data.len(), level);
    CONTEXTS.with(|contexts| {
        let mut contexts = contexts.borrow_mut();
        match compression {
            Compression::None => false,
            Compression::Zstd => contexts.zstd(data, level, limit, out),
            Compression::ZstdWords16 => {
                let mut planes = std::mem::take(&mut contexts.planes);
                split_planes(data, &mut planes);
                let ok = contexts.zstd(&planes, level, limit, out);
                contexts.planes = planes;
                ok
            }
        }
    })
}

/// The compression a blob of `class` is tried with.
pub fn compression_for(class: ContentClass) -> Compression {
    match class {
        ContentClass::Compressed => Compression::None,
        ContentClass::Try => Compression::Zstd,
        ContentClass::Words16 => Compression::ZstdWords16,
    }
}

/// Compresses `data` at `level`; `None` when the result would not save at least 1/32.
pub fn compress_if_smaller(data: &[u8], level: i32) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    compress_into(data, Compression::Zstd, level, &mut out).then_some(out)
}

fn compressed_len(data: &[u8], compression: Compression, level: i32) -> usize {
    let mut out = Vec::new();
    if compress_into(data, compression, level, &mut out) {
        out.len()
    } else {
        data.len()
    }
}

/// Decodes a payload stored with `compression` into exactly `raw_length` bytes. Output
/// buffers are bounded by `raw_length`, so a hostile frame cannot inflate beyond it.
pub fn decompress(
    compression: Compression,
    payload: &[u8],
    raw_length: usize,
) -> Result<Vec<u8>, Damage> {
    if compression == Compression::None {
        check_stored_length(payload.len(), raw_length)?;
        return Ok(payload.to_vec());
    }
    let mut out = Vec::new();
    decompress_into(compression, payload, raw_length, &mut out)?;
    Ok(out)
}

/// Decodes a compressed payload (`Zstd` or `ZstdWords16`) into `out`, replacing its contents
/// and reusing its capacity; like [`decompress`] otherwise. A payload stored with
/// `Compression::None` is its own plaintext and is copied.
pub fn decompress_into(
    compression: Compression,
    payload: &[u8],
    raw_length: usize,
    out: &mut Vec<u8>,
) -> Result<(), Damage> {
    out.clear();
    match compression {
        Compression::None => {
            check_stored_length(payload.len(), raw_length)?;
            out.extend_from_slice(payload);
            Ok(())
        }
        Compression::Zstd => {
            out.reserve(raw_length);
            zstd_exact(payload, raw_length, out)
        }
        Compression::ZstdWords16 => {
            // The planes go to this thread's scratch buffer.
            let mut planes = CONTEXTS.with(|c| std::mem::take(&mut c.borrow_mut().planes));
            planes.clear();
            planes.reserve_exact(raw_length);
            let result =
                zstd_exact(payload, raw_length, &mut planes).map(|()| join_planes(&planes, out));
            CONTEXTS.with(|c| c.borrow_mut().planes = planes);
            result
        }
    }
}

fn check_stored_length(stored: usize, raw_length: usize) -> Result<(), Damage> {
    if stored != raw_length {
        return Err(Damage::Malformed(crate::Malformed::StoredLength {
            stored: stored as u64,
            recorded: raw_length as u64,
        }));
    }
    Ok(())
}

/// Decompresses one zstd frame into `out` (empty, with capacity for at least `raw_length`
/// bytes), which must then hold exactly `raw_length` bytes.
fn zstd_exact(frame: &[u8], raw_length: usize, out: &mut Vec<u8>) -> Result<(), Damage> {
    let result = CONTEXTS.with(|contexts| {
        let mut contexts = contexts.borrow_mut();
        if contexts.decompressor.is_none() {
            contexts.decompressor = Some(
                zstd::bulk::Decompressor::new()
                    .map_err(|e| Damage::Decompression(e.to_string()))?,
            );
        }
        let decompressor = contexts.decompressor.as_mut().expect("just made");
        // zstd writes at most `out`'s capacity; a reused buffer may hold more than
        // `raw_length`, and any frame that fills more is refused below.
        decompressor
            .decompress_to_buffer(frame, out)
            .map_err(|e| Damage::Decompression(e.to_string()))
    });
    if let Err(e) = result {
        // A failed frame can leave the context mid-frame: start the next one afresh.
        CONTEXTS.with(|c| c.borrow_mut().decompressor = None);
        return Err(e);
    }
    if out.len() != raw_length {
        return Err(Damage::Decompression(format!(
            "{} bytes where {raw_length} were recorded",
            out.len()
        )));
    }
    Ok(())
}

/// The byte planes of `data` read as 16-bit words: every even-offset byte, then every
/// odd-offset byte (an odd length puts its last byte at the end of the first plane).
pub fn split_planes(data: &[u8], out: &mut Vec<u8>) {
    let first = data.len().div_ceil(2);
    out.clear();
    out.resize(data.len(), 0);
    let (low, high) = out.split_at_mut(first);
    for (i, pair) in data.chunks_exact(2).enumerate() {
        low[i] = pair[0];
        high[i] = pair[1];
    }
    if data.len() % 2 == 1 {
        low[first - 1] = data[data.len() - 1];
    }
}

/// The inverse of [`split_planes`].
pub fn join_planes(planes: &[u8], out: &mut Vec<u8>) {
    let first = planes.len().div_ceil(2);
    let (low, high) = planes.split_at(first);
    out.clear();
    out.resize(planes.len(), 0);
    for (i, pair) in out.chunks_exact_mut(2).enumerate() {
        pair[0] = low[i];
        pair[1] = high[i];
    }
    if planes.len() % 2 == 1 {
        let last = planes.len() - 1;
        out[last] = low[first - 1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sensor_like(samples: usize) -> Vec<u8> {
        let mut x = 7u32;
        let mut out = Vec::with_capacity(2 * samples);
        for i in 0..samples {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let smooth = ((i / 700) % 40) as u8;
            out.push(((x >> 16) as u8 >> 2).wrapping_add(smooth * 3));
            out.push(smooth);
        }
        out
    }

    #[test]
    fn media_is_not_compressed_and_raw_data_is_tried() {
        let class = |head: &[u8]| ContentClass::of(MediaKind::from_content(head));
        assert_eq!(class(b"\xFF\xD8\xFF\xE1..Exif"), ContentClass::Compressed);
        assert_eq!(class(b"\0\0\0\x18ftypheic"), ContentClass::Compressed);
        assert_eq!(class(b"\0\0\0\x18ftypqt  "), ContentClass::Compressed);
        assert_eq!(class(b"\0\0\0\x18ftypcrx "), ContentClass::Try);
        assert_eq!(class(b"II*\0"), ContentClass::Try);
        assert_eq!(class(b"<x:xmpmeta"), ContentClass::Try);
    }

    #[test]
    fn sixteen_bit_samples_are_compressed_as_byte_planes_and_text_is_not() {
        let samples = sensor_like(200_000);
        assert_eq!(ContentClass::Try.probe(&samples, 3), ContentClass::Words16);
        let text = "<rdf:Description crs:Exposure=\"+0.50\" crs:Contrast=\"+12\"/>\n".repeat(5000);
        assert_eq!(
            ContentClass::Try.probe(text.as_bytes(), 3),
            ContentClass::Try
        );
        assert_eq!(
            ContentClass::Compressed.probe(&samples, 3),
            ContentClass::Compressed
        );
    }

    #[test]
    fn byte_planes_round_trip_at_every_length() {
        for len in [0usize, 1, 2, 3, 4, 5, 100, 101] {
            let data: Vec<u8> = (0..len as u32).map(|i| (i * 37 + 1) as u8).collect();
            let (mut planes, mut back) = (Vec::new(), Vec::new());
            split_planes(&data, &mut planes);
            join_planes(&planes, &mut back);
            assert_eq!(back, data, "length {len}");
        }
        let mut planes = Vec::new();
        split_planes(&[1, 2, 3, 4, 5], &mut planes);
        assert_eq!(planes, [1, 3, 5, 2, 4]);
    }

    #[test]
    fn every_compression_round_trips_through_decompress() {
        let data = sensor_like(100_001);
        for compression in [Compression::Zstd, Compression::ZstdWords16] {
            let mut out = Vec::new();
            assert!(
                compress_into(&data, compression, 3, &mut out),
                "{compression:?}"
            );
            assert_eq!(decompress(compression, &out, data.len()).unwrap(), data);
        }
        assert_eq!(
            decompress(Compression::None, &data, data.len()).unwrap(),
            data
        );
    }

    #[test]
    fn decompression_is_bounded_by_the_recorded_length() {
        let data = vec![0u8; 1 << 20];
        let frame = compress_if_smaller(&data, 3).expect("zeros compress");
        assert_eq!(
            decompress(Compression::Zstd, &frame, data.len()).unwrap(),
            data
        );
        for compression in [Compression::Zstd, Compression::ZstdWords16] {
            assert!(
                decompress(compression, &frame, 1000).is_err(),
                "a bomb must not inflate past its record"
            );
            assert!(decompress(compression, &frame, data.len() + 1).is_err());
        }
        // The context recovers from a failed frame.
        assert_eq!(
            decompress(Compression::Zstd, &frame, data.len()).unwrap(),
            data
        );
    }

    #[test]
    fn incompressible_data_is_stored_raw() {
        let noise: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        let _ = compress_if_smaller(&noise, 3); // must not panic whatever it decides
        assert!(compress_if_smaller(&[1, 2, 3], 3).is_none());
    }

    #[test]
    fn small_blobs_use_level_1_in_place_of_the_default_levels_only() {
        let text: Vec<u8> = (0..4096u32)
            .map(|i| b"abcdefgh ijk"[(i * i % 12) as usize])
            .collect();
        let at = |level: i32| zstd::bulk::compress(&text, level).unwrap();
        let stored = |level: i32| {
            let mut out = Vec::new();
            assert!(compress_into(&text, Compression::Zstd, level, &mut out));
            out
        };
        assert_eq!(stored(3), at(1));
        assert_eq!(stored(2), at(1));
        assert_eq!(stored(9), at(9));
        assert_eq!(level_for(SMALL_BLOB + 1, 3), 3);
        assert_eq!(level_for(SMALL_BLOB, 3), 1);
        assert_eq!(level_for(100, -5), -5);
        assert_eq!(
            decompress(Compression::Zstd, &stored(3), text.len()).unwrap(),
            text
        );
    }
}
