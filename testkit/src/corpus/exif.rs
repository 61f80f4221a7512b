//! EXIF blocks (TIFF structures) as cameras and phones write them, made with kamadak-exif's
//! `experimental::Writer`, and the day-2 rewrite of one.
//!
//! The same builder serves the APP1 segment of a JPEG, the header of a DNG (a TIFF whose
//! one strip is the sensor data) and the metadata box of a CR3, so every kind of photo in
//! the corpus tells its camera and capture time the same way.

use std::io::{self, Cursor};

use exif::experimental::Writer;
use exif::{Context, Field, In, Rational, Tag, Value};

use super::capture::Capture;

/// What a camera records about one shot.
#[derive(Debug, Clone)]
pub struct Shot<'a> {
    pub make: &'a str,
    pub model: &'a str,
    pub software: &'a str,
    pub taken: Capture,
    /// Whether OffsetTime/OffsetTimeOriginal are written (phones: yes).
    pub with_offset: bool,
    pub width: u32,
    pub height: u32,
    pub iso: u16,
    /// Exposure time 1/`shutter` s.
    pub shutter: u32,
    /// Aperture in tenths (f/1.8 = 18).
    pub f_tenths: u32,
    /// Focal length in tenths of a millimetre.
    pub focal_tenths: u32,
    /// 32 hex digits.
    pub unique_id: String,
    /// Byte order: Apple writes big-endian ("MM"), most cameras little-endian ("II").
    pub little_endian: bool,
}

fn ascii(tag: Tag, text: &str) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![text.as_bytes().to_vec()]),
    }
}

fn short(tag: Tag, v: u16) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Short(vec![v]),
    }
}

fn long(tag: Tag, v: u32) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Long(vec![v]),
    }
}

fn rational(tag: Tag, num: u32, denom: u32) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Rational(vec![Rational { num, denom }]),
    }
}

/// DNGVersion (0xC612): not a tag kamadak-exif names.
const DNG_VERSION: Tag = Tag(Context::Tiff, 0xC612);

/// The fields of one shot: IFD0 (camera, software, modify date) and the Exif IFD.
pub fn shot_fields(shot: &Shot) -> Vec<Field> {
    let when = shot.taken.exif();
    let mut fields = vec![
        ascii(Tag::Make, shot.make),
        ascii(Tag::Model, shot.model),
        short(Tag::Orientation, 1),
        rational(Tag::XResolution, 72, 1),
        rational(Tag::YResolution, 72, 1),
        short(Tag::ResolutionUnit, 2),
        ascii(Tag::Software, shot.software),
        ascii(Tag::DateTime, &when),
        rational(Tag::ExposureTime, 1, shot.shutter),
        rational(Tag::FNumber, shot.f_tenths, 10),
        short(Tag::PhotographicSensitivity, shot.iso),
        Field {
            tag: Tag::ExifVersion,
            ifd_num: In::PRIMARY,
            value: Value::Undefined(b"0232".to_vec(), 0),
        },
        ascii(Tag::DateTimeOriginal, &when),
        ascii(Tag::DateTimeDigitized, &when),
        rational(Tag::FocalLength, shot.focal_tenths, 10),
        long(Tag::PixelXDimension, shot.width),
        long(Tag::PixelYDimension, shot.height),
        ascii(Tag::ImageUniqueID, &shot.unique_id),
    ];
    if shot.with_offset {
        let offset = shot.taken.exif_offset();
        fields.push(ascii(Tag::OffsetTime, &offset));
        fields.push(ascii(Tag::OffsetTimeOriginal, &offset));
    }
    fields
}

/// Extra IFD0 fields a DNG carries to describe its sensor strip.
pub fn dng_fields(width: u32, height: u32) -> Vec<Field> {
    vec![
        long(Tag(Context::Tiff, 0x00FE), 0), // NewSubfileType: the main image
        long(Tag::ImageWidth, width),
        long(Tag::ImageLength, height),
        short(Tag::BitsPerSample, 16),
        short(Tag::Compression, 1),
        short(Tag::PhotometricInterpretation, 32803), // colour filter array
        short(Tag::SamplesPerPixel, 1),
        long(Tag::RowsPerStrip, height),
        Field {
            tag: DNG_VERSION,
            ifd_num: In::PRIMARY,
            value: Value::Byte(vec![1, 4, 0, 0]),
        },
    ]
}

/// A TIFF structure holding `fields` and, if given, one image strip after them.
pub fn tiff(fields: &[Field], strip: Option<&[u8]>, little_endian: bool) -> io::Result<Vec<u8>> {
    tiff_with_thumbnail(fields, strip, None, little_endian)
}

/// [`tiff`], with a JPEG thumbnail in IFD1 when given (`fields` may hold IFD1 fields too).
pub fn tiff_with_thumbnail(
    fields: &[Field],
    strip: Option<&[u8]>,
    thumbnail: Option<&[u8]>,
    little_endian: bool,
) -> io::Result<Vec<u8>> {
    let strips = strip.map(|s| [s]);
    let mut writer = Writer::new();
    for field in fields {
        writer.push_field(field);
    }
    if let Some(strips) = &strips {
        writer.set_strips(strips, In::PRIMARY);
    }
    if let Some(jpeg) = thumbnail {
        writer.set_jpeg(jpeg, In::THUMBNAIL);
    }
    let mut out = Cursor::new(Vec::with_capacity(1024 + strip.map_or(0, <[u8]>::len)));
    writer
        .write(&mut out, little_endian)
        .map_err(io::Error::other)?;
    Ok(out.into_inner())
}

/// The EXIF block of one shot, for a JPEG's APP1 segment, with the camera's embedded
/// preview in IFD1 when given.
pub fn shot_tiff(shot: &Shot, thumbnail: Option<&[u8]>) -> io::Result<Vec<u8>> {
    let mut fields = shot_fields(shot);
    if thumbnail.is_some() {
        // IFD1 describes its JPEG as cameras write it.
        fields.extend([
            Field {
                tag: Tag::Compression,
                ifd_num: In::THUMBNAIL,
                value: Value::Short(vec![6]),
            },
            Field {
                tag: Tag::XResolution,
                ifd_num: In::THUMBNAIL,
                value: Value::Rational(vec![Rational { num: 72, denom: 1 }]),
            },
            Field {
                tag: Tag::YResolution,
                ifd_num: In::THUMBNAIL,
                value: Value::Rational(vec![Rational { num: 72, denom: 1 }]),
            },
            Field {
                tag: Tag::ResolutionUnit,
                ifd_num: In::THUMBNAIL,
                value: Value::Short(vec![2]),
            },
        ]);
    }
    tiff_with_thumbnail(&fields, None, thumbnail, shot.little_endian)
}

/// What a day-2 edit in a photo manager writes into a photo's EXIF block.
#[derive(Debug, Clone)]
pub struct Edit {
    pub artist: String,
    pub copyright: String,
    pub description: String,
    /// The new modify date (DateTime).
    pub modified: Capture,
}

fn edit_fields(edit: &Edit) -> [Field; 4] {
    [
        ascii(Tag::Artist, &edit.artist),
        ascii(Tag::Copyright, &edit.copyright),
        ascii(Tag::ImageDescription, &edit.description),
        ascii(Tag::DateTime, &edit.modified.exif()),
    ]
}

/// `old` (an EXIF TIFF structure) with every field of the primary image kept except those
/// `edit` sets, and its embedded preview (IFD1) kept as it was, as photo managers do. The
/// byte order is kept too.
pub fn edited_tiff(old: &[u8], edit: &Edit) -> io::Result<Vec<u8>> {
    let exif = exif::Reader::new()
        .read_raw(old.to_vec())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let set = edit_fields(edit);
    let mut fields: Vec<Field> = exif
        .fields()
        .filter(|f| f.ifd_num == In::PRIMARY && !set.iter().any(|s| s.tag == f.tag))
        .cloned()
        .collect();
    fields.extend(set);
    let offset_of = |tag| {
        exif.get_field(tag, In::THUMBNAIL)
            .and_then(|f| f.value.get_uint(0))
            .map(|v| v as usize)
    };
    let thumbnail = match (
        offset_of(Tag::JPEGInterchangeFormat),
        offset_of(Tag::JPEGInterchangeFormatLength),
    ) {
        (Some(at), Some(len)) => exif.buf().get(at..at.saturating_add(len)),
        _ => None,
    };
    if thumbnail.is_some() {
        fields.extend(
            exif.fields()
                .filter(|f| {
                    f.ifd_num == In::THUMBNAIL
                        && f.tag != Tag::JPEGInterchangeFormat
                        && f.tag != Tag::JPEGInterchangeFormatLength
                })
                .cloned(),
        );
    }
    tiff_with_thumbnail(&fields, None, thumbnail, exif.little_endian())
}

/// An EXIF block holding only what `edit` sets, for a JPEG that had none.
pub fn edit_only_tiff(edit: &Edit) -> io::Result<Vec<u8>> {
    tiff(&edit_fields(edit), None, true)
}
