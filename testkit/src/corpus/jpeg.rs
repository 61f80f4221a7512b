//! Real JPEG files: synthetic pictures encoded with the `image` crate, sized by noise, and
//! the APP1 (EXIF) segment put in or replaced by hand.
//!
//! A photo's size is chosen first (as a library's sizes are spread) and the picture's noise
//! is then set from a table of bits per pixel measured with this very encoder
//! ([`noise_for`]); one retry with more noise catches the rare picture that comes out far
//! too small. The EXIF block is spliced in after SOI rather than handed to the encoder so
//! that [`super::mutate`] can rewrite it the way photo tools do: the segment changes
//! length and everything after it shifts, byte for byte the same.

use std::io;

use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;

use super::picture::{self, Scene};
use super::rng::Rng;

/// Encodes RGB pixels at `quality` (1-100).
pub fn encode(rgb: &[u8], width: u32, height: u32, quality: u8) -> io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(rgb.len() / 4);
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode(rgb, width, height, ExtendedColorType::Rgb8)
        .map_err(io::Error::other)?;
    Ok(out)
}

/// Quality of the corpus' photos and of Lightroom-style previews.
pub const PHOTO_QUALITY: u8 = 92;
pub const PREVIEW_QUALITY: u8 = 85;

/// Noise amplitude against bits per pixel for pictures from [`picture::render`], measured
/// with `image`'s encoder (4:4:4) by `measure_bits_per_pixel` below: photos of 12 MP at
/// quality 92, previews of 320 x 240 at quality 85.
const BPP_Q92: &[(u32, f64)] = &[
    (0, 0.483),
    (2, 0.648),
    (4, 0.880),
    (6, 1.168),
    (8, 1.435),
    (12, 1.924),
    (16, 2.324),
    (24, 2.929),
    (32, 3.316),
    (48, 3.974),
    (64, 4.470),
    (96, 5.420),
    (128, 6.527),
    (192, 7.627),
    (255, 9.877),
];
const BPP_Q85: &[(u32, f64)] = &[
    (0, 1.113),
    (2, 1.161),
    (4, 1.208),
    (6, 1.345),
    (8, 1.461),
    (12, 1.716),
    (16, 1.987),
    (24, 2.516),
    (32, 2.896),
    (48, 3.478),
    (64, 3.880),
    (96, 4.460),
    (128, 4.968),
    (192, 5.881),
    (255, 6.949),
];

/// The noise amplitude that should give `bits_per_pixel` at `quality` (92 or 85): linear
/// interpolation in the measured table.
pub fn noise_for(bits_per_pixel: f64, quality: u8) -> u32 {
    let table = if quality >= 90 { BPP_Q92 } else { BPP_Q85 };
    let (first, last) = (table[0], table[table.len() - 1]);
    if bits_per_pixel <= first.1 {
        return first.0;
    }
    for pair in table.windows(2) {
        let ((a0, b0), (a1, b1)) = (pair[0], pair[1]);
        if bits_per_pixel <= b1 {
            let t = (bits_per_pixel - b0) / (b1 - b0);
            return a0 + ((a1 - a0) as f64 * t + 0.5) as u32;
        }
    }
    last.0
}

/// A picture of `width` x `height` pixels encoded at `quality`, close to `target` bytes
/// (without metadata).
pub fn picture_of_size(
    width: u32,
    height: u32,
    target: u64,
    quality: u8,
    shapes: u32,
    rng: &Rng,
) -> io::Result<Vec<u8>> {
    Ok(picture_and_thumbnail(width, height, target, quality, shapes, rng, false)?.0)
}

/// The long side of the thumbnail cameras and phones embed in EXIF (IFD1).
pub const EXIF_THUMBNAIL_LONG_SIDE: u32 = 160;
/// Its JPEG quality.
const EXIF_THUMBNAIL_QUALITY: u8 = 75;

/// Like [`picture_of_size`], and also the picture scaled to
/// [`EXIF_THUMBNAIL_LONG_SIDE`] and encoded, as a camera embeds it (when `thumbnail`).
pub fn picture_and_thumbnail(
    width: u32,
    height: u32,
    target: u64,
    quality: u8,
    shapes: u32,
    rng: &Rng,
    thumbnail: bool,
) -> io::Result<(Vec<u8>, Option<Vec<u8>>)> {
    let bpp = target as f64 * 8.0 / (width as f64 * height as f64);
    let attempt = |noise: u32, tag: u64| {
        let scene = Scene {
            width,
            height,
            noise,
            shapes,
        };
        let rgb = picture::render(scene, &mut rng.child(tag));
        encode(&rgb, width, height, quality).map(|jpeg| (jpeg, rgb))
    };
    let noise = noise_for(bpp, quality);
    let mut chosen = attempt(noise, 0)?;
    if (chosen.0.len() as f64) < 0.8 * target as f64 && noise < 255 {
        chosen = attempt((noise * 3 / 2 + 4).min(255), 1)?;
    }
    let (jpeg, rgb) = chosen;
    let thumbnail = if thumbnail {
        let image = image::RgbImage::from_raw(width, height, rgb)
            .ok_or_else(|| invalid("picture of the wrong size"))?;
        let side = EXIF_THUMBNAIL_LONG_SIDE;
        let (w, h) = if width >= height {
            (side, (side * height / width).max(1))
        } else {
            ((side * width / height).max(1), side)
        };
        let small = image::imageops::thumbnail(&image, w, h);
        Some(encode(small.as_raw(), w, h, EXIF_THUMBNAIL_QUALITY)?)
    } else {
        None
    };
    Ok((jpeg, thumbnail))
}

const SOI: [u8; 2] = [0xFF, 0xD8];
const APP1: u8 = 0xE1;
const SOS: u8 = 0xDA;
const EXIF_HEADER: &[u8] = b"Exif\0\0";

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Where the EXIF APP1 segment of `jpeg` lies (marker to end), if it has one. Errors if
/// `jpeg` does not start like a JPEG or its segments run past its end.
pub fn exif_segment(jpeg: &[u8]) -> io::Result<Option<std::ops::Range<usize>>> {
    if !jpeg.starts_with(&SOI) {
        return Err(invalid("not a JPEG (no SOI marker)"));
    }
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF && jpeg[pos + 1] != SOS {
        let len = u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
        let end = pos + 2 + len;
        if len < 2 || end > jpeg.len() {
            return Err(invalid("JPEG segment runs past the end of the file"));
        }
        if jpeg[pos + 1] == APP1 && jpeg[pos + 4..end].starts_with(EXIF_HEADER) {
            return Ok(Some(pos..end));
        }
        pos = end;
    }
    Ok(None)
}

/// The TIFF structure inside `jpeg`'s EXIF segment, if any.
pub fn exif_payload(jpeg: &[u8]) -> io::Result<Option<&[u8]>> {
    Ok(exif_segment(jpeg)?.map(|range| &jpeg[range.start + 4 + EXIF_HEADER.len()..range.end]))
}

/// `jpeg` with `tiff` (an EXIF TIFF structure) as its APP1 segment: replacing the one it
/// has, else right after SOI. Everything else is kept byte for byte.
pub fn with_exif(jpeg: &[u8], tiff: &[u8]) -> io::Result<Vec<u8>> {
    let len = 2 + EXIF_HEADER.len() + tiff.len();
    let len = u16::try_from(len).map_err(|_| invalid("EXIF block over 64 KiB"))?;
    let at = exif_segment(jpeg)?.unwrap_or(2..2);
    let mut out = Vec::with_capacity(jpeg.len() + len as usize + 2);
    out.extend_from_slice(&jpeg[..at.start]);
    out.extend_from_slice(&[0xFF, APP1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(EXIF_HEADER);
    out.extend_from_slice(tiff);
    out.extend_from_slice(&jpeg[at.end..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exif_block_is_put_after_soi_then_replaced_in_place() {
        let scene = Scene {
            width: 64,
            height: 48,
            noise: 8,
            shapes: 2,
        };
        let plain = encode(&picture::render(scene, &mut Rng::new(1)), 64, 48, 90).unwrap();
        assert_eq!(exif_segment(&plain).unwrap(), None);

        let with = with_exif(&plain, b"II*\0first").unwrap();
        assert_eq!(exif_payload(&with).unwrap(), Some(&b"II*\0first"[..]));
        assert_eq!(&with[..2], &SOI);
        assert_eq!(&with[with.len() - (plain.len() - 2)..], &plain[2..]);

        let replaced = with_exif(&with, b"II*\0a longer second block").unwrap();
        assert_eq!(replaced.len(), with.len() + 16);
        assert_eq!(
            exif_payload(&replaced).unwrap(),
            Some(&b"II*\0a longer second block"[..])
        );
        assert_eq!(&replaced[replaced.len() - (plain.len() - 2)..], &plain[2..]);
        assert!(exif_segment(b"not a jpeg").is_err());
    }

    /// Prints the bits-per-pixel tables behind [`noise_for`]:
    /// `cargo test -p photovault-testkit --release -- --ignored --nocapture measure_bits`.
    #[test]
    #[ignore = "a measurement, not a check"]
    fn measure_bits_per_pixel() {
        // Photos at 12 MP with 25 shapes, previews at 320 x 240 with 3, as the corpus has them.
        for (quality, (w, h), shapes, pictures) in [
            (PHOTO_QUALITY, (4000u32, 3000u32), 25, 1u64),
            (PREVIEW_QUALITY, (320, 240), 3, 40),
        ] {
            let mut row = Vec::new();
            for noise in [0u32, 2, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 255] {
                let mut bits = 0.0;
                for i in 0..pictures {
                    let scene = Scene {
                        width: w,
                        height: h,
                        noise,
                        shapes,
                    };
                    let rgb = picture::render(scene, &mut Rng::derive(9, &[noise as u64, i]));
                    bits += encode(&rgb, w, h, quality).unwrap().len() as f64 * 8.0;
                }
                row.push(format!(
                    "({noise}, {:.3})",
                    bits / (w * h) as f64 / pictures as f64
                ));
            }
            println!("q{quality}: &[{}]", row.join(", "));
        }
        let scene = Scene {
            width: 4032,
            height: 3024,
            noise: 24,
            shapes: 20,
        };
        let t = std::time::Instant::now();
        let rgb = picture::render(scene, &mut Rng::new(1));
        let t1 = t.elapsed();
        let jpeg = encode(&rgb, 4032, 3024, PHOTO_QUALITY).unwrap();
        println!(
            "12 MP: render {t1:?}, encode {:?}, {} bytes",
            t.elapsed() - t1,
            jpeg.len()
        );
    }
}
