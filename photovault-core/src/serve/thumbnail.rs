//! Thumbnails made from a file's bytes, cheapest source first, and a cache of them bounded
//! in bytes.
//!
//! Sources, in order: the EXIF thumbnail when it is large enough (no decoding at all);
//! for a JPEG, a decode scaled down inside the decoder (jpeg-decoder's DCT scaling: an
//! 8x smaller image costs a fraction of a full decode); for PNG, GIF and WebP a full
//! decode by the `image` crate. Each is resized to [`THUMBNAIL_LONG_SIDE`] and encoded as
//! a JPEG. HEIC, AVIF, RAW files without a usable embedded preview, and videos get a
//! typed placeholder (an SVG naming the kind): no decoder for them is built in.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;
use std::sync::{Arc, Mutex};

use exif::{In, Tag};
use image::{DynamicImage, ImageEncoder, RgbImage};

use crate::media::MediaKind;

/// The long side of a thumbnail, in pixels.
pub const THUMBNAIL_LONG_SIDE: u32 = 320;
/// The largest file decoded for a thumbnail: larger ones get a placeholder (a thumbnail
/// must not cost a large read).
pub const MAX_DECODED_FILE: u64 = 64 << 20;
/// JPEG quality of thumbnails.
const QUALITY: u8 = 75;
/// EXIF thumbnails at least this large (long side) are used as they are.
const MIN_EXIF_THUMBNAIL: u32 = 240;

/// Where a thumbnail came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThumbnailSource {
    /// The EXIF thumbnail or an embedded preview, as stored.
    Embedded,
    /// Decoded (scaled) and encoded again.
    Decoded,
    /// A typed placeholder: no decoder for this kind of file.
    Placeholder,
}

/// A thumbnail: bytes and their content type.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    /// The encoded image.
    pub bytes: Arc<[u8]>,
    /// `image/jpeg` or `image/svg+xml` (placeholders).
    pub content_type: &'static str,
    /// Where it came from.
    pub source: ThumbnailSource,
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
fn label_of(kind: MediaKind) -> &'static str {
    use MediaKind::*;
    match kind {
        Heif => "HEIC",
        Avif => "AVIF",
        TiffRaw | Cr3 | OtherRaw => "RAW",
        IsoBmffVideo | Matroska | OtherVideo => "VIDEO",
        _ => "FILE",
    }
}

/// Makes the thumbnail of a file named `name` whose bytes are `bytes` (the whole file, or
/// at least its first 256 KiB when only an EXIF thumbnail is hoped for).
pub fn make_thumbnail(name: &[u8], bytes: &[u8]) -> Thumbnail {
    let kind = crate::media::identify(&bytes[..bytes.len().min(64)], name);
    if let Some(embedded) = exif_thumbnail(bytes) {
        return embedded;
    }
    let decoded = match kind {
        MediaKind::Jpeg => scaled_jpeg(bytes),
        MediaKind::Png => image::load_from_memory_with_format(bytes, image::ImageFormat::Png).ok(),
        MediaKind::Gif => image::load_from_memory_with_format(bytes, image::ImageFormat::Gif).ok(),
        MediaKind::WebP => {
            image::load_from_memory_with_format(bytes, image::ImageFormat::WebP).ok()
        }
        _ => None,
    };
    match decoded.and_then(|image| encode(image, orientation(bytes))) {
        Some(bytes) => Thumbnail {
            bytes: bytes.into(),
            content_type: "image/jpeg",
            source: ThumbnailSource::Decoded,
        },
        None => placeholder(label_of(kind)),
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
/// [`MIN_EXIF_THUMBNAIL`] pixels on its long side.
fn exif_thumbnail(bytes: &[u8]) -> Option<Thumbnail> {
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
    if u32::from(info.width.max(info.height)) < MIN_EXIF_THUMBNAIL {
        return None;
    }
    Some(Thumbnail {
        bytes: jpeg.to_vec().into(),
        content_type: "image/jpeg",
        source: ThumbnailSource::Embedded,
    })
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

/// Thumbnails by content (the file's list of blobs, hashed), most recently used kept,
/// bounded in bytes. Shared between threads.
pub struct ThumbnailCache {
    capacity: usize,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    by_key: HashMap<[u8; 32], (Thumbnail, u64)>,
    by_use: BTreeMap<u64, [u8; 32]>,
    bytes: usize,
    tick: u64,
}

impl ThumbnailCache {
    /// A cache holding at most `capacity` bytes of thumbnails.
    pub fn new(capacity: usize) -> ThumbnailCache {
        ThumbnailCache {
            capacity,
            state: Mutex::new(CacheState::default()),
        }
    }

    /// The cache key of a file: a hash of its blob ids.
    pub fn key(node: &crate::Node) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        for id in &node.content {
            hasher.update(&id.0);
        }
        *hasher.finalize().as_bytes()
    }

    /// The cached thumbnail for `key`, marked as just used.
    pub fn get(&self, key: &[u8; 32]) -> Option<Thumbnail> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.tick += 1;
        let tick = state.tick;
        let (thumbnail, used) = state.by_key.get_mut(key)?;
        let old = std::mem::replace(used, tick);
        let thumbnail = thumbnail.clone();
        state.by_use.remove(&old);
        state.by_use.insert(tick, *key);
        Some(thumbnail)
    }

    /// Keeps a thumbnail, dropping the least recently used ones past the capacity.
    pub fn insert(&self, key: [u8; 32], thumbnail: Thumbnail) {
        let size = thumbnail.bytes.len();
        if size > self.capacity {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.tick += 1;
        let tick = state.tick;
        if let Some((old, used)) = state.by_key.insert(key, (thumbnail, tick)) {
            state.bytes -= old.bytes.len();
            state.by_use.remove(&used);
        }
        state.by_use.insert(tick, key);
        state.bytes += size;
        while state.bytes > self.capacity {
            let Some((_, oldest)) = state.by_use.pop_first() else {
                break;
            };
            if let Some((gone, _)) = state.by_key.remove(&oldest) {
                state.bytes -= gone.bytes.len();
            }
        }
    }

    /// Bytes held now.
    pub fn size(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
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
        let thumb = make_thumbnail(b"IMG_1.JPG", &jpeg(2400, 1600));
        assert_eq!(thumb.source, ThumbnailSource::Decoded);
        assert_eq!(thumb.content_type, "image/jpeg");
        let decoded = image::load_from_memory(&thumb.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 213));
        // A small image is not enlarged.
        let small = make_thumbnail(b"a.jpg", &jpeg(100, 50));
        let decoded = image::load_from_memory(&small.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (100, 50));
    }

    #[test]
    fn what_cannot_be_decoded_gets_a_typed_placeholder() {
        let heic = make_thumbnail(b"IMG_1.HEIC", b"\0\0\0\x18ftypheic\0\0\0\0mif1");
        assert_eq!(heic.source, ThumbnailSource::Placeholder);
        assert!(String::from_utf8_lossy(&heic.bytes).contains(">HEIC<"));
        let video = make_thumbnail(b"clip.mp4", b"\0\0\0\x18ftypisom");
        assert!(String::from_utf8_lossy(&video.bytes).contains(">VIDEO<"));
        let broken = make_thumbnail(b"broken.jpg", b"\xFF\xD8\xFF\xE0 not really");
        assert_eq!(broken.source, ThumbnailSource::Placeholder);
    }

    #[test]
    fn the_cache_keeps_the_most_recently_used_within_its_bytes() {
        let cache = ThumbnailCache::new(2500);
        let thumb = |n: usize| Thumbnail {
            bytes: vec![0u8; n].into(),
            content_type: "image/jpeg",
            source: ThumbnailSource::Decoded,
        };
        cache.insert([1; 32], thumb(1000));
        cache.insert([2; 32], thumb(1000));
        assert!(cache.get(&[1; 32]).is_some());
        cache.insert([3; 32], thumb(1000));
        assert!(
            cache.get(&[2; 32]).is_none(),
            "least recently used goes first"
        );
        assert!(cache.get(&[1; 32]).is_some());
        assert!(cache.get(&[3; 32]).is_some());
        assert_eq!(cache.size(), 2000);
        cache.insert([4; 32], thumb(5000));
        assert!(cache.get(&[4; 32]).is_none(), "larger than the whole cache");
    }
}
