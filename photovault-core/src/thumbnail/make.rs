//! Making a thumbnail from a file, cheapest source first.

use std::io::Cursor;
use std::path::Path;
use std::sync::{Arc, Mutex};

use exif::{In, Tag};
use image::{DynamicImage, ImageEncoder, RgbImage};

use super::external;
use crate::media::MediaKind;

/// The long side of a thumbnail, in pixels.
pub const THUMBNAIL_LONG_SIDE: u32 = 320;
/// Embedded previews at least this large (long side) are used as they are: cameras and
/// phones embed 160 by 120 pixels in EXIF.
pub const MIN_EMBEDDED_LONG_SIDE: u32 = 160;
/// The largest file decoded for a thumbnail: larger ones get none (a thumbnail must not
/// cost a large read or a large allocation).
pub const MAX_DECODED_FILE: u64 = 64 << 20;
/// An image at most this large on its long side...
pub const OWN_THUMBNAIL_LONG_SIDE: u32 = 640;
/// ...and in bytes is its own thumbnail: a viewer shows the file, nothing is stored (a
/// preview cache's JPEGs, icons, screenshots scaled down).
pub const OWN_THUMBNAIL_BYTES: u64 = 128 << 10;
/// JPEG quality of thumbnails.
const QUALITY: u8 = 75;

/// Held while a file is read whole and decoded for its thumbnail, so that a backup decodes
/// one at a time. Each decode holds the whole file and its pixels (a raw photo without a
/// preview: 25 MB), and two at once would double that at a backup's peak. Programs
/// ([`external`]) run beside it, in processes of their own.
static DECODING: Mutex<()> = Mutex::new(());

/// Where a thumbnail came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThumbnailSource {
    /// Stored in the repository (made at backup or by `pvault thumbnails`).
    Stored,
    /// The EXIF thumbnail or an embedded preview, as the camera wrote it.
    Embedded,
    /// Decoded (scaled) and encoded again, here or by an external program.
    Decoded,
    /// The file itself: an image no larger than a thumbnail.
    Itself,
    /// A typed placeholder: no source for this kind of file.
    Placeholder,
}

/// A thumbnail: bytes and their content type.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// The encoded image.
    pub bytes: Arc<[u8]>,
    /// `image/jpeg`, or the file's own type ([`ThumbnailSource::Itself`]), or
    /// `image/svg+xml` (placeholders).
    pub content_type: &'static str,
    /// Where it came from.
    pub source: ThumbnailSource,
}

impl Thumbnail {
    fn jpeg(bytes: Vec<u8>, source: ThumbnailSource) -> Thumbnail {
        Thumbnail {
            bytes: bytes.into(),
            content_type: "image/jpeg",
            source,
        }
    }
}

/// Whether a file of `kind` gets a thumbnail: photos, RAW files and videos.
pub fn wants_thumbnail(kind: MediaKind) -> bool {
    use MediaKind::*;
    matches!(
        kind,
        Jpeg | Heif
            | Avif
            | IsoBmffVideo
            | Matroska
            | OtherVideo
            | TiffRaw
            | Cr3
            | OtherRaw
            | Png
            | Gif
            | WebP
    )
}

/// What a file's first bytes (its first chunk) say about its thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadVerdict {
    /// Not a photo or video.
    NotMedia,
    /// The camera's embedded preview, upright, JPEG-encoded.
    Embedded(Vec<u8>),
    /// An image about as small as a thumbnail ([`OWN_THUMBNAIL_LONG_SIDE`],
    /// [`OWN_THUMBNAIL_BYTES`]): it is its own, nothing is stored.
    Small,
    /// The whole file is needed ([`from_file`]).
    NeedsFile,
}

/// Looks at the first bytes of a file of `kind` and `size` bytes for a thumbnail that
/// costs no decoding.
pub fn from_head(kind: MediaKind, head: &[u8], size: u64) -> HeadVerdict {
    if !wants_thumbnail(kind) {
        return HeadVerdict::NotMedia;
    }
    if let Some(embedded) = embedded(head) {
        return HeadVerdict::Embedded(embedded);
    }
    match dimensions(kind, head) {
        Some((w, h)) if w.max(h) <= THUMBNAIL_LONG_SIDE => HeadVerdict::Small,
        Some((w, h)) if w.max(h) <= OWN_THUMBNAIL_LONG_SIDE && size <= OWN_THUMBNAIL_BYTES => {
            HeadVerdict::Small
        }
        _ => HeadVerdict::NeedsFile,
    }
}

/// Makes the thumbnail of the file at `path` (of `kind`) from all its bytes, or with an
/// external program. `None`: no source for it (viewers draw a placeholder).
pub fn from_file(path: &Path, kind: MediaKind, size: u64) -> Option<Vec<u8>> {
    use MediaKind::*;
    match kind {
        Heif | Avif => external::heif_thumbnail(path, THUMBNAIL_LONG_SIDE)
            .and_then(|png| decoded(Png, &png))
            .and_then(|image| encode(image, 1)),
        IsoBmffVideo | Matroska | OtherVideo => external::video_frame(path, THUMBNAIL_LONG_SIDE),
        _ if size > MAX_DECODED_FILE => None,
        _ => {
            let _one_at_a_time = DECODING
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let bytes = std::fs::read(path).ok()?;
            decode_and_encode(kind, &bytes)
        }
    }
}

/// Makes the thumbnail of a file named `name` from its bytes (the whole file, or at least
/// its first chunk when only an embedded preview is hoped for), always returning one:
/// what a viewer shows. Programs ([`external`]) get the bytes through a temporary file.
pub fn from_bytes(name: &[u8], bytes: &[u8]) -> Thumbnail {
    let kind = crate::media::identify(&bytes[..bytes.len().min(64)], name);
    match from_head(kind, bytes, bytes.len() as u64) {
        HeadVerdict::Embedded(jpeg) => Thumbnail::jpeg(jpeg, ThumbnailSource::Embedded),
        HeadVerdict::Small if kind == MediaKind::Jpeg => Thumbnail {
            bytes: bytes.to_vec().into(),
            content_type: "image/jpeg",
            source: ThumbnailSource::Itself,
        },
        HeadVerdict::NotMedia => placeholder(label_of(kind)),
        HeadVerdict::Small | HeadVerdict::NeedsFile => {
            let made = if uses_program(kind) {
                through_temporary_file(kind, bytes)
            } else {
                decode_and_encode(kind, bytes)
            };
            match made {
                Some(jpeg) => Thumbnail::jpeg(jpeg, ThumbnailSource::Decoded),
                None => placeholder(label_of(kind)),
            }
        }
    }
}

/// Whether thumbnails of `kind` come from an external program ([`external`]).
pub(crate) fn uses_program(kind: MediaKind) -> bool {
    use MediaKind::*;
    matches!(kind, Heif | Avif | IsoBmffVideo | Matroska | OtherVideo)
}

/// Whether a thumbnail of `kind` can be made here from the whole file: a decoder is built
/// in, or the program is installed.
pub(crate) fn decodable(kind: MediaKind) -> bool {
    use MediaKind::*;
    match kind {
        Jpeg | Png | Gif | WebP => true,
        Heif | Avif => external::Program::HeifThumbnailer.path().is_some(),
        IsoBmffVideo | Matroska | OtherVideo => external::Program::Ffmpeg.path().is_some(),
        _ => false,
    }
}

fn through_temporary_file(kind: MediaKind, bytes: &[u8]) -> Option<Vec<u8>> {
    if !decodable(kind) {
        return None;
    }
    let mut file = external::TempFile::create("media").ok()?;
    std::io::Write::write_all(file.file(), bytes).ok()?;
    from_file(file.path(), kind, bytes.len() as u64)
}

fn decode_and_encode(kind: MediaKind, bytes: &[u8]) -> Option<Vec<u8>> {
    decoded(kind, bytes).and_then(|image| encode(image, orientation(bytes)))
}

fn decoded(kind: MediaKind, bytes: &[u8]) -> Option<DynamicImage> {
    use image::ImageFormat;
    match kind {
        MediaKind::Jpeg => scaled_jpeg(bytes),
        MediaKind::Png => image::load_from_memory_with_format(bytes, ImageFormat::Png).ok(),
        MediaKind::Gif => image::load_from_memory_with_format(bytes, ImageFormat::Gif).ok(),
        MediaKind::WebP => image::load_from_memory_with_format(bytes, ImageFormat::WebP).ok(),
        _ => None,
    }
}

/// A placeholder naming what the file is (`VIDEO`, `HEIC`, `RAW`, ...).
pub fn placeholder(label: &str) -> Thumbnail {
    let label: String = label
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(8)
        .collect();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"320\" height=\"240\" viewBox=\"0 0 320 240\">\
<rect width=\"320\" height=\"240\" fill=\"#30343b\"/>\
<text x=\"160\" y=\"132\" font-family=\"sans-serif\" font-size=\"36\" fill=\"#c8ccd4\" text-anchor=\"middle\">{label}</text></svg>"
    );
    Thumbnail {
        bytes: svg.into_bytes().into(),
        content_type: "image/svg+xml",
        source: ThumbnailSource::Placeholder,
    }
}

/// The placeholder label of a kind of file.
pub(crate) fn label_of(kind: MediaKind) -> &'static str {
    use MediaKind::*;
    match kind {
        Heif => "HEIC",
        Avif => "AVIF",
        TiffRaw | Cr3 | OtherRaw => "RAW",
        IsoBmffVideo | Matroska | OtherVideo => "VIDEO",
        _ => "FILE",
    }
}

/// An image's width and height from its header, without decoding it (JPEG and PNG).
fn dimensions(kind: MediaKind, head: &[u8]) -> Option<(u32, u32)> {
    match kind {
        MediaKind::Jpeg => {
            let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(head));
            decoder.read_info().ok()?;
            let info = decoder.info()?;
            Some((u32::from(info.width), u32::from(info.height)))
        }
        MediaKind::Png => {
            let ihdr = head.get(16..24)?;
            Some((
                u32::from_be_bytes(ihdr[..4].try_into().ok()?),
                u32::from_be_bytes(ihdr[4..].try_into().ok()?),
            ))
        }
        _ => None,
    }
}

/// The EXIF orientation of a file (1 when none).
fn orientation(bytes: &[u8]) -> u8 {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
        .and_then(|e| {
            e.get_field(Tag::Orientation, In::PRIMARY)?
                .value
                .get_uint(0)
        })
        .and_then(|o| u8::try_from(o).ok())
        .unwrap_or(1)
}

/// The EXIF thumbnail (IFD1's JPEG), when there is one of at least
/// [`MIN_EMBEDDED_LONG_SIDE`] pixels on its long side; turned upright when the photo is
/// rotated (the camera stores the preview as the sensor saw it).
fn embedded(bytes: &[u8]) -> Option<Vec<u8>> {
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()?;
    let offset = exif
        .get_field(Tag::JPEGInterchangeFormat, In::THUMBNAIL)?
        .value
        .get_uint(0)? as usize;
    let len = exif
        .get_field(Tag::JPEGInterchangeFormatLength, In::THUMBNAIL)?
        .value
        .get_uint(0)? as usize;
    let jpeg = exif.buf().get(offset..offset.checked_add(len)?)?;
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(jpeg));
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    if u32::from(info.width.max(info.height)) < MIN_EMBEDDED_LONG_SIDE {
        return None;
    }
    let orientation = exif
        .get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .unwrap_or(1);
    if orientation <= 1 {
        return Some(jpeg.to_vec());
    }
    let image = image::load_from_memory_with_format(jpeg, image::ImageFormat::Jpeg).ok()?;
    encode(image, u8::try_from(orientation).unwrap_or(1))
}

/// A JPEG decoded at the smallest DCT scale that still covers a thumbnail.
fn scaled_jpeg(bytes: &[u8]) -> Option<DynamicImage> {
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().ok()?;
    let side = THUMBNAIL_LONG_SIDE as u16;
    let (width, height) = decoder.scale(side, side).ok()?;
    let pixels = decoder.decode().ok()?;
    let info = decoder.info()?;
    let (w, h) = (u32::from(width), u32::from(height));
    use jpeg_decoder::PixelFormat::*;
    let rgb: Vec<u8> = match info.pixel_format {
        RGB24 => pixels,
        L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        L16 => pixels
            .chunks_exact(2)
            .flat_map(|l| [l[0], l[0], l[0]])
            .collect(),
        CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(p[3]);
                [p[0], p[1], p[2]].map(|c| (u16::from(c) * k / 255) as u8)
            })
            .collect(),
    };
    RgbImage::from_raw(w, h, rgb).map(DynamicImage::ImageRgb8)
}

/// Resizes to fit [`THUMBNAIL_LONG_SIDE`], turns upright, and encodes as JPEG.
fn encode(image: DynamicImage, orientation: u8) -> Option<Vec<u8>> {
    let mut image = if image.width().max(image.height()) > THUMBNAIL_LONG_SIDE {
        image.thumbnail(THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE)
    } else {
        image
    };
    if let Some(o) = image::metadata::Orientation::from_exif(orientation) {
        image.apply_orientation(o);
    }
    let rgb = image.to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, QUALITY)
        .write_image(
            rgb.as_raw(),
            rgb.width(),
            rgb.height(),
            image::ExtendedColorType::Rgb8,
        )
        .ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
            .write_image(
                image.as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        out
    }

    #[test]
    fn a_jpeg_is_scaled_to_the_long_side_keeping_its_shape() {
        let thumb = from_bytes(b"IMG_1.JPG", &jpeg(2400, 1600));
        assert_eq!(thumb.source, ThumbnailSource::Decoded);
        assert_eq!(thumb.content_type, "image/jpeg");
        let decoded = image::load_from_memory(&thumb.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 213));
    }

    #[test]
    fn an_image_no_larger_than_a_thumbnail_is_its_own() {
        let small = jpeg(100, 50);
        assert_eq!(from_head(MediaKind::Jpeg, &small, 4000), HeadVerdict::Small);
        let thumb = from_bytes(b"a.jpg", &small);
        assert_eq!(thumb.source, ThumbnailSource::Itself);
        assert_eq!(&thumb.bytes[..], &small[..]);
        // Up to 640 pixels and 128 KiB, a preview cache's JPEG is shown as it is.
        assert_eq!(
            from_head(MediaKind::Jpeg, &jpeg(480, 320), 40_000),
            HeadVerdict::Small
        );
        assert_eq!(
            from_head(MediaKind::Jpeg, &jpeg(480, 320), 200_000),
            HeadVerdict::NeedsFile
        );
        assert_eq!(
            from_head(MediaKind::Jpeg, &jpeg(641, 10), 4000),
            HeadVerdict::NeedsFile
        );
    }

    #[test]
    fn what_is_not_media_or_cannot_be_decoded_gets_a_typed_placeholder() {
        assert_eq!(
            from_head(MediaKind::Other, b"hello", 5),
            HeadVerdict::NotMedia
        );
        assert_eq!(
            from_head(MediaKind::Sidecar, b"<x:xmpmeta", 10),
            HeadVerdict::NotMedia
        );
        let broken = from_bytes(b"broken.jpg", b"\xFF\xD8\xFF\xE0 not really");
        assert_eq!(broken.source, ThumbnailSource::Placeholder);
        let raw = from_bytes(b"IMG_1.CR3", b"\0\0\0\x18ftypcrx \0\0\0\0crx isom");
        assert!(String::from_utf8_lossy(&raw.bytes).contains(">RAW<"));
    }
}
