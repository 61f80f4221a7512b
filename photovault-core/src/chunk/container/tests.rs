//! The cut points of each container, of edited containers, and of broken ones.

use std::collections::HashSet;

use super::*;
use crate::chunk::{Chunker, ChunkerParams, ChunkingScheme};

const MIN_FILE: u64 = 64 * 1024;

fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn cuts(data: &[u8]) -> Vec<u64> {
    cut_points(data, MIN_FILE)
}

/// A JPEG segment: marker, big-endian length (including itself), payload.
fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, marker];
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// SOI, the given metadata segments, then "image data": DQT and noise.
fn jpeg(segments: &[Vec<u8>], image: &[u8]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&segment(0xDB, &[0; 65]));
    out.extend_from_slice(image);
    out
}

fn exif(len: usize, seed: u64) -> Vec<u8> {
    [b"Exif\0\0".as_slice(), &noise(len, seed)].concat()
}

#[test]
fn a_jpeg_is_cut_before_its_image_data_and_between_large_metadata_segments() {
    let app0 = segment(0xE0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0");
    let app1 = segment(0xE1, &exif(30_000, 1));
    let icc = segment(0xE2, &noise(3_000, 2));
    let xmp = segment(0xE1, &noise(5_000, 3));
    let file = jpeg(
        &[app0.clone(), app1.clone(), icc.clone(), xmp.clone()],
        &noise(300_000, 4),
    );
    let after_app1 = (2 + app0.len() + app1.len()) as u64;
    let image = after_app1 + (icc.len() + xmp.len()) as u64;
    // SOI+APP0 is too small to be a part; ICC+XMP together are one.
    assert_eq!(cuts(&file), [after_app1, image]);
    assert_eq!(&file[image as usize..image as usize + 2], b"\xFF\xDB");

    // No metadata at all: the image part starts after SOI.
    let bare = jpeg(&[], &noise(100_000, 5));
    assert_eq!(cuts(&bare), [2]);
    // A small file is one chunk whatever it holds.
    assert_eq!(cuts(&jpeg(&[app1], &noise(1000, 6))), Vec::<u64>::new());
}

/// The chunks of `file` as the container scheme cuts it, by content.
fn chunk_set(file: &[u8]) -> HashSet<Vec<u8>> {
    let chunker = Chunker::new(ChunkerParams::default(), 7).with_scheme(ChunkingScheme::Container);
    let mut at = 0;
    chunker
        .file_chunk_lengths(file)
        .into_iter()
        .map(|n| {
            at += n;
            file[at - n..at].to_vec()
        })
        .collect()
}

/// Bytes of `after`'s chunks that `before` does not have.
fn new_bytes(before: &[u8], after: &[u8]) -> usize {
    let old = chunk_set(before);
    chunk_set(after)
        .into_iter()
        .filter(|c| !old.contains(c))
        .map(|c| c.len())
        .sum()
}

#[test]
fn a_grown_exif_block_costs_the_metadata_not_the_image() {
    let image = noise(3_000_000, 10);
    let before = jpeg(&[segment(0xE1, &exif(20_000, 11))], &image);
    let after = jpeg(
        &[
            segment(0xE1, &exif(21_024, 11)),
            segment(0xE1, &noise(1024, 12)),
        ],
        &image,
    );
    let cost = new_bytes(&before, &after);
    assert!(cost < 30_000, "cost {cost}");
    // Plain CDC stores the start of the image again.
    let plain = Chunker::new(ChunkerParams::default(), 7);
    let set = |f: &[u8]| -> HashSet<Vec<u8>> {
        let mut at = 0;
        plain
            .chunk_lengths(f)
            .into_iter()
            .map(|n| {
                at += n;
                f[at - n..at].to_vec()
            })
            .collect()
    };
    let old = set(&before);
    let plain_cost: usize = set(&after)
        .into_iter()
        .filter(|c| !old.contains(c))
        .map(|c| c.len())
        .sum();
    assert!(plain_cost > 64 * 1024, "plain cost {plain_cost}");
}

#[test]
fn broken_jpegs_are_cut_plain() {
    let good = jpeg(&[segment(0xE1, &exif(20_000, 1))], &noise(100_000, 2));
    assert_eq!(cuts(&good).len(), 1);
    // Truncated inside the metadata segments.
    assert_eq!(cuts(&good[..70_000]).len(), 1, "image data left");
    let mut cut_short = jpeg(
        &[
            segment(0xE1, &exif(40_000, 1)),
            segment(0xE2, &noise(40_000, 2)),
        ],
        &[],
    );
    cut_short.truncate(70_000);
    assert_eq!(cuts(&cut_short), Vec::<u64>::new());
    // A segment length below 2, a byte that is no marker, only metadata.
    let mut bad_length = good.clone();
    bad_length[4..6].copy_from_slice(&[0, 1]);
    assert_eq!(cuts(&bad_length), Vec::<u64>::new());
    let mut no_marker = good.clone();
    no_marker[2 + segment(0xE1, &exif(20_000, 1)).len()] = 0x00;
    assert_eq!(cuts(&no_marker), Vec::<u64>::new());
    // A marker that neither carries metadata nor starts image data (garbage after SOI).
    let mut odd = good.clone();
    odd[3] = 0x01;
    assert_eq!(cuts(&odd), Vec::<u64>::new());
    let mut many = vec![0xFF, 0xD8];
    for _ in 0..=jpeg::MAX_SEGMENTS {
        many.extend_from_slice(&segment(0xFE, &[b'x'; 100]));
    }
    many.extend_from_slice(&jpeg(&[], &noise(1000, 3)));
    assert_eq!(cuts(&many), Vec::<u64>::new(), "over the segment limit");
}

/// A PNG chunk: length, type, data, (fake) CRC.
fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&[0; 4]);
    out
}

#[test]
fn a_png_is_cut_around_its_image_data() {
    let head = [
        b"\x89PNG\r\n\x1a\n".as_slice(),
        &png_chunk(b"IHDR", &[0; 13]),
    ]
    .concat();
    let text = png_chunk(b"tEXt", b"Comment\0a picture");
    let idats: Vec<u8> = (0..10)
        .flat_map(|i| png_chunk(b"IDAT", &noise(20_000, i)))
        .collect();
    let tail = [
        png_chunk(b"eXIf", &noise(2000, 99)),
        png_chunk(b"IEND", b""),
    ]
    .concat();
    let file = [head.clone(), text.clone(), idats.clone(), tail.clone()].concat();
    let start = (head.len() + text.len()) as u64;
    assert_eq!(cuts(&file), [start, start + idats.len() as u64]);
    // Garbage after IEND stays with it; a chunk past the end makes the file plain.
    let trailing = [file.clone(), noise(500, 5)].concat();
    assert_eq!(cuts(&trailing), [start, start + idats.len() as u64]);
    assert_eq!(cuts(&file[..file.len() - 30]), Vec::<u64>::new());
}

/// A box: 32-bit size, type, body.
fn bmff_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

#[test]
fn an_mp4_is_cut_around_mdat_wherever_moov_is() {
    let ftyp = bmff_box(b"ftyp", b"isom\0\0\0\0isomiso2");
    let mdat = bmff_box(b"mdat", &noise(500_000, 1));
    let moov = bmff_box(b"moov", &noise(10_000, 2));
    let uuid = bmff_box(b"uuid", &noise(5_000, 3));
    let camera = [ftyp.clone(), mdat.clone(), moov.clone()].concat();
    let body = (ftyp.len() + 8) as u64;
    let end = body + mdat.len() as u64 - 8;
    assert_eq!(cuts(&camera), [body, end]);
    // exiftool moves moov first and adds an XMP uuid box: the body is the same part.
    let edited = [ftyp.clone(), moov.clone(), uuid.clone(), mdat.clone()].concat();
    let body = (ftyp.len() + moov.len() + uuid.len() + 8) as u64;
    // ftyp and moov are grouped (ftyp alone is too small), uuid and mdat's header too.
    assert_eq!(cuts(&edited), [(ftyp.len() + moov.len()) as u64, body]);
    assert!(new_bytes(&camera, &edited) < 20_000);

    // A 64-bit size and a last box of size 0 ("to the end") are read.
    let mut large = ftyp.clone();
    large.extend_from_slice(&1u32.to_be_bytes());
    large.extend_from_slice(b"mdat");
    large.extend_from_slice(&(16u64 + 100_000).to_be_bytes());
    large.extend_from_slice(&noise(100_000, 4));
    large.extend_from_slice(&[0, 0, 0, 0]);
    large.extend_from_slice(b"moov");
    large.extend_from_slice(&noise(100, 5));
    let body = ftyp.len() as u64 + 16;
    assert_eq!(cuts(&large), [body, body + 100_000]);
}

#[test]
fn broken_bmff_files_are_cut_plain() {
    let ftyp = bmff_box(b"ftyp", b"heic\0\0\0\0mif1heic");
    let mdat = bmff_box(b"mdat", &noise(100_000, 1));
    let good = [ftyp.clone(), mdat.clone()].concat();
    assert_eq!(cuts(&good).len(), 1);
    // A box length past the end of the file (truncated), smaller than its header, or a
    // trailing fragment too short for a header.
    assert_eq!(cuts(&good[..good.len() - 1]), Vec::<u64>::new());
    let mut tiny = good.clone();
    tiny[ftyp.len()..ftyp.len() + 4].copy_from_slice(&4u32.to_be_bytes());
    assert_eq!(cuts(&tiny), Vec::<u64>::new());
    let trailing = [good.clone(), vec![0, 0, 0]].concat();
    assert_eq!(cuts(&trailing), Vec::<u64>::new());
    // Too many boxes.
    let mut many = ftyp.clone();
    for _ in 0..bmff::MAX_BOXES {
        many.extend_from_slice(&bmff_box(b"free", &[0; 60]));
    }
    many.extend_from_slice(&mdat);
    assert_eq!(cuts(&many), Vec::<u64>::new());
}

/// A HEIF `meta` box whose `iinf` lists `items` (id, type) and whose `iloc` (version 1,
/// 4-byte offsets and lengths) places each at one extent.
fn heif_meta(items: &[(u16, &[u8; 4], u32, u32)]) -> Vec<u8> {
    let mut iinf = vec![0, 0, 0, 0];
    iinf.extend_from_slice(&(items.len() as u16).to_be_bytes());
    for (id, kind, _, _) in items {
        let mut infe = vec![2, 0, 0, 0];
        infe.extend_from_slice(&id.to_be_bytes());
        infe.extend_from_slice(&[0, 0]);
        infe.extend_from_slice(*kind);
        infe.push(0);
        iinf.extend_from_slice(&bmff_box(b"infe", &infe));
    }
    let mut iloc = vec![1, 0, 0, 0, 0x44, 0x00];
    iloc.extend_from_slice(&(items.len() as u16).to_be_bytes());
    for (id, _, offset, length) in items {
        iloc.extend_from_slice(&id.to_be_bytes());
        iloc.extend_from_slice(&[0, 0, 0, 0]); // construction method 0, data reference 0
        iloc.extend_from_slice(&1u16.to_be_bytes());
        iloc.extend_from_slice(&offset.to_be_bytes());
        iloc.extend_from_slice(&length.to_be_bytes());
    }
    let body = [
        vec![0, 0, 0, 0],
        bmff_box(b"hdlr", &[0; 25]),
        bmff_box(b"iinf", &iinf),
        bmff_box(b"iloc", &iloc),
    ]
    .concat();
    bmff_box(b"meta", &body)
}

/// A HEIC: ftyp, meta, mdat holding `xmp` (if any), the image, then Exif.
fn heic(image: &[u8], exif: &[u8], xmp: &[u8]) -> Vec<u8> {
    let ftyp = bmff_box(b"ftyp", b"heic\0\0\0\0mif1heic");
    let items = |meta_len: u32| {
        let body = (ftyp.len() as u32) + meta_len + 8;
        let mut items = vec![(1u16, b"hvc1", body + xmp.len() as u32, image.len() as u32)];
        items.push((
            2,
            b"Exif",
            body + (xmp.len() + image.len()) as u32,
            exif.len() as u32,
        ));
        if !xmp.is_empty() {
            items.push((3, b"mime", body, xmp.len() as u32));
        }
        items
    };
    let meta_len = heif_meta(&items(0)).len() as u32;
    let meta = heif_meta(&items(meta_len));
    let mdat = bmff_box(b"mdat", &[xmp, image, exif].concat());
    [ftyp, meta, mdat].concat()
}

#[test]
fn a_heic_is_cut_around_its_exif_and_xmp_items_inside_mdat() {
    let image = noise(2_000_000, 1);
    let before = heic(&image, &noise(218, 2), b"");
    let image_start = before.windows(4).position(|w| w == b"mdat").unwrap() as u64 + 4;
    let exif_start = image_start + image.len() as u64;
    assert_eq!(cuts(&before), [image_start, exif_start]);
    // As exiftool edits it: meta grows, a new XMP item comes first in mdat, Exif changes.
    let after = heic(&image, &noise(300, 3), &noise(4000, 4));
    let xmp_start = after.windows(4).position(|w| w == b"mdat").unwrap() as u64 + 4;
    assert_eq!(
        cuts(&after),
        [
            xmp_start,
            xmp_start + 4000,
            xmp_start + 4000 + image.len() as u64
        ]
    );
    let cost = new_bytes(&before, &after);
    assert!(cost < 10_000, "cost {cost}");
    // An iloc extent past the end of the file makes the file plain.
    let mut bad = before.clone();
    let iloc = bad.windows(4).position(|w| w == b"iloc").unwrap();
    // Second item's extent length: the last 4 bytes of iloc.
    let iloc_end = iloc - 4 + u32::from_be_bytes(bad[iloc - 4..iloc].try_into().unwrap()) as usize;
    bad[iloc_end - 4..iloc_end].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(cuts(&bad), Vec::<u64>::new());
}

/// A little-endian TIFF: header, then `ifds` in order at the given offsets, each a list of
/// (tag, type, values); values that do not fit are put after all IFDs.
/// An IFD entry: tag, type, values.
type Entry = (u16, u16, Vec<u32>);

fn tiff_file(len: usize, ifds: &[(u32, Vec<Entry>, u32)]) -> Vec<u8> {
    let mut out = vec![0u8; len];
    out[..4].copy_from_slice(b"II*\0");
    out[4..8].copy_from_slice(&ifds[0].0.to_le_bytes());
    let mut spill = 200_usize; // values too large for the entry go here
    for (at, entries, next) in ifds {
        let mut p = *at as usize;
        out[p..p + 2].copy_from_slice(&(entries.len() as u16).to_le_bytes());
        p += 2;
        for (tag, kind, values) in entries {
            let width = if *kind == 3 { 2 } else { 4 };
            out[p..p + 2].copy_from_slice(&tag.to_le_bytes());
            out[p + 2..p + 4].copy_from_slice(&kind.to_le_bytes());
            out[p + 4..p + 8].copy_from_slice(&(values.len() as u32).to_le_bytes());
            let bytes: Vec<u8> = values
                .iter()
                .flat_map(|v| v.to_le_bytes()[..width].to_vec())
                .collect();
            if bytes.len() <= 4 {
                out[p + 8..p + 8 + bytes.len()].copy_from_slice(&bytes);
            } else {
                out[p + 8..p + 12].copy_from_slice(&(spill as u32).to_le_bytes());
                out[spill..spill + bytes.len()].copy_from_slice(&bytes);
                spill += bytes.len();
            }
            p += 12;
        }
        out[p..p + 4].copy_from_slice(&next.to_le_bytes());
    }
    out
}

#[test]
fn a_tiff_is_cut_around_its_strips_tiles_and_previews() {
    // IFD0 at 8 with a preview strip at 10 000, a SubIFD at 100 with tiles from 50 000
    // (contiguous, so one stretch), IFD1 (thumbnail, too small to be a part).
    let tiles: Vec<u32> = (0..8).map(|i| 50_000 + i * 20_000).collect();
    let file = tiff_file(
        300_000,
        &[
            (
                8,
                vec![
                    (0x0111, 4, vec![10_000]),
                    (0x0117, 4, vec![30_000]),
                    (0x014A, 4, vec![100]),
                ],
                150,
            ),
            (
                100,
                vec![(0x0144, 4, tiles), (0x0145, 4, vec![20_000; 8])],
                0,
            ),
            (
                150,
                vec![(0x0201, 4, vec![250_000]), (0x0202, 4, vec![1_000])],
                0,
            ),
        ],
    );
    assert_eq!(cuts(&file), [10_000, 40_000, 50_000, 210_000]);
}

#[test]
fn broken_tiffs_are_cut_plain() {
    let strip = |at: u32, len: u32| vec![(0x0111, 4, vec![at]), (0x0117, 4, vec![len])];
    let good = tiff_file(200_000, &[(8, strip(10_000, 100_000), 0)]);
    assert_eq!(cuts(&good), [10_000, 110_000]);
    // An IFD that names itself as the next one, a strip past the end, offsets without
    // counts, a type that is not SHORT or LONG.
    assert_eq!(
        cuts(&tiff_file(200_000, &[(8, strip(10_000, 100_000), 8)])),
        Vec::<u64>::new()
    );
    assert_eq!(
        cuts(&tiff_file(200_000, &[(8, strip(10_000, 300_000), 0)])),
        Vec::<u64>::new()
    );
    assert_eq!(
        cuts(&tiff_file(
            200_000,
            &[(8, vec![(0x0111, 4, vec![10_000])], 0)]
        )),
        Vec::<u64>::new()
    );
    assert_eq!(
        cuts(&tiff_file(
            200_000,
            &[(
                8,
                vec![(0x0111, 5, vec![10_000, 1]), (0x0117, 4, vec![1])],
                0
            )]
        )),
        Vec::<u64>::new()
    );
    // An IFD past the end.
    let mut far = good.clone();
    far[4..8].copy_from_slice(&300_000u32.to_le_bytes());
    assert_eq!(cuts(&far), Vec::<u64>::new());
}

#[test]
fn unknown_and_tiny_inputs_have_no_cuts() {
    for data in [
        Vec::new(),
        vec![0xFF, 0xD8, 0xFF],
        noise(200_000, 1),
        b"<x:xmpmeta>".repeat(10_000),
    ] {
        assert_eq!(cuts(&data), Vec::<u64>::new());
    }
}

#[test]
fn grouping_keeps_parts_of_at_least_part_min() {
    assert_eq!(
        group(0, 100_000, &[10, 5000, 6000, 95_000, 99_000]),
        [5000, 95_000]
    );
    let units = units_around(vec![(100, 200), (10_000, 20_000), (21_000, 40_000)], 50_000);
    assert_eq!(cuts_of_units(&units), [10_000, 40_000]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever a file's bytes, and wherever it is truncated or overwritten, cut points
    /// are strictly increasing and inside the file, and the parts cover it.
    #[test]
    fn cut_points_are_well_formed_for_any_truncation_or_damage(
        which in 0usize..5,
        keep in 0.0f64..1.0,
        flips in proptest::collection::vec((0.0f64..1.0, proptest::prelude::any::<u8>()), 0..4),
    ) {
        let image = noise(150_000, 9);
        let mut file = match which {
            0 => jpeg(&[segment(0xE1, &exif(20_000, 1)), segment(0xE2, &noise(9000, 2))], &image),
            1 => heic(&image, &noise(218, 2), &noise(4000, 3)),
            2 => tiff_file(200_000, &[(8, vec![(0x0111, 4, vec![10_000]), (0x0117, 4, vec![100_000])], 0)]),
            3 => [b"\x89PNG\r\n\x1a\n".as_slice(), &png_chunk(b"IDAT", &image), &png_chunk(b"IEND", b"")].concat(),
            _ => [bmff_box(b"ftyp", b"qt  "), bmff_box(b"mdat", &image), bmff_box(b"moov", &[1; 300])].concat(),
        };
        file.truncate((file.len() as f64 * keep) as usize + 1);
        for (at, byte) in flips {
            let i = (file.len() as f64 * at) as usize;
            if i < file.len() {
                file[i] = byte;
            }
        }
        let found = cut_points(&file[..], 0);
        proptest::prop_assert!(found.windows(2).all(|w| w[0] < w[1]));
        proptest::prop_assert!(found.iter().all(|&c| c > 0 && c < file.len() as u64));
        let chunker = Chunker::new(ChunkerParams::default(), 3).with_scheme(ChunkingScheme::Container);
        let total: usize = chunker.file_chunk_lengths(&file).iter().sum();
        proptest::prop_assert_eq!(total, file.len());
    }
}
