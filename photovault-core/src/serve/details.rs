//! The EXIF summary a photo view shows: date, camera, lens, exposure and GPS position as
//! text, read by kamadak-exif from the first bytes of a file.

use std::io::Cursor;

use exif::{Exif, In, Tag, Value};
use serde::Serialize;

/// What a photo says about itself, as text ready to show. Fields are `None` when the
/// file does not record them.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PhotoDetails {
    /// `2021:03:10 12:00:00` as recorded, with its offset when there is one.
    pub taken: Option<String>,
    /// Maker and model.
    pub camera: Option<String>,
    /// Lens model.
    pub lens: Option<String>,
    /// `1/250 s`.
    pub exposure: Option<String>,
    /// `f/2.8`.
    pub aperture: Option<String>,
    /// ISO sensitivity.
    pub iso: Option<String>,
    /// `50 mm`.
    pub focal_length: Option<String>,
    /// `48.858370, 2.294481` (decimal degrees, north and east positive).
    pub gps: Option<String>,
    /// Pixel width and height, when recorded.
    pub dimensions: Option<String>,
    /// EXIF orientation (1 to 8), when recorded.
    pub orientation: Option<u32>,
}

fn ascii(exif: &Exif, tag: Tag) -> Option<String> {
    match &exif.get_field(tag, In::PRIMARY)?.value {
        Value::Ascii(parts) => parts
            .first()
            .map(|s| {
                String::from_utf8_lossy(s)
                    .trim_end_matches('\0')
                    .trim()
                    .to_string()
            })
            .filter(|s| !s.is_empty()),
        _ => None,
    }
}

fn number(exif: &Exif, tag: Tag) -> Option<f64> {
    let field = exif.get_field(tag, In::PRIMARY)?;
    match &field.value {
        Value::Rational(v) => v.first().map(|r| r.to_f64()),
        Value::SRational(v) => v.first().map(|r| r.to_f64()),
        _ => field.value.get_uint(0).map(f64::from),
    }
}

fn degrees(exif: &Exif, tag: Tag, negative_ref: &str, reference: Tag) -> Option<f64> {
    let Value::Rational(dms) = &exif.get_field(tag, In::PRIMARY)?.value else {
        return None;
    };
    let part = |i: usize| dms.get(i).map_or(0.0, |r| r.to_f64());
    let value = part(0) + part(1) / 60.0 + part(2) / 3600.0;
    let negative = ascii(exif, reference).is_some_and(|r| r.eq_ignore_ascii_case(negative_ref));
    value
        .is_finite()
        .then_some(if negative { -value } else { value })
}

/// The summary of a file whose first bytes are `head` (the first 256 KiB hold the EXIF of
/// JPEG, HEIC and TIFF-based RAW files). Empty when there is no EXIF.
pub fn photo_details(head: &[u8]) -> PhotoDetails {
    let Ok(exif) = exif::Reader::new().read_from_container(&mut Cursor::new(head)) else {
        return PhotoDetails::default();
    };
    let taken = ascii(&exif, Tag::DateTimeOriginal)
        .or_else(|| ascii(&exif, Tag::DateTime))
        .map(|t| match ascii(&exif, Tag::OffsetTimeOriginal) {
            Some(offset) => format!("{t} {offset}"),
            None => t,
        });
    let make = ascii(&exif, Tag::Make).unwrap_or_default();
    let model = ascii(&exif, Tag::Model).unwrap_or_default();
    let camera = if model.starts_with(&make) {
        model
    } else {
        format!("{make} {model}").trim().to_string()
    };
    let exposure = number(&exif, Tag::ExposureTime).map(|t| {
        if t > 0.0 && t < 1.0 {
            format!("1/{:.0} s", 1.0 / t)
        } else {
            format!("{t} s")
        }
    });
    let gps = degrees(&exif, Tag::GPSLatitude, "S", Tag::GPSLatitudeRef)
        .zip(degrees(&exif, Tag::GPSLongitude, "W", Tag::GPSLongitudeRef))
        .map(|(lat, lon)| format!("{lat:.6}, {lon:.6}"));
    let width = number(&exif, Tag::PixelXDimension).or_else(|| number(&exif, Tag::ImageWidth));
    let height = number(&exif, Tag::PixelYDimension).or_else(|| number(&exif, Tag::ImageLength));
    PhotoDetails {
        taken,
        camera: (!camera.is_empty()).then_some(camera),
        lens: ascii(&exif, Tag::LensModel),
        exposure,
        aperture: number(&exif, Tag::FNumber).map(|f| format!("f/{f:.1}")),
        iso: number(&exif, Tag::PhotographicSensitivity).map(|i| format!("{i:.0}")),
        focal_length: number(&exif, Tag::FocalLength).map(|f| format!("{f:.0} mm")),
        gps,
        dimensions: width.zip(height).map(|(w, h)| format!("{w:.0} × {h:.0}")),
        orientation: exif
            .get_field(Tag::Orientation, In::PRIMARY)
            .and_then(|f| f.value.get_uint(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_exif_gives_an_empty_summary() {
        assert_eq!(photo_details(b"plain text"), PhotoDetails::default());
        assert_eq!(photo_details(b"\xFF\xD8\xFF\xE0"), PhotoDetails::default());
    }
}
