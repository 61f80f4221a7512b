//! Photo metadata read at backup time: capture date and camera, from EXIF.
//!
//! Only the head of a file is looked at (EXIF sits at the start of JPEG, HEIC and
//! TIFF-based RAW files), so this costs no extra reading. Parsing is kamadak-exif's.

use std::io::Cursor;

use exif::{Field, In};

use super::MediaKind;
use crate::format::tree::MediaInfo;

/// Capture date and camera from a file's leading bytes, when they carry EXIF: JPEG, HEIF,
/// AVIF, PNG, WebP, TIFF-based RAW (DNG, NEF, ARW, CR2...) through kamadak-exif, and CR3,
/// whose EXIF sits in Canon's boxes inside `moov` ([`super::cr3`]).
pub fn probe_exif(head: &[u8]) -> Option<MediaInfo> {
    let kind = MediaKind::from_content(head);
    if kind == MediaKind::Cr3 {
        return super::cr3::probe_cr3(head);
    }
    if !kind.may_carry_exif() {
        return None;
    }
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(head))
        .ok()?;
    let fields: Vec<&Field> = exif.fields().collect();
    media_info(&fields)
}

/// The tags photovault records, by number (so that the Exif IFD's tags count wherever a
/// container put them, as CR3's `CMT2` does).
const DATE_TIME_ORIGINAL: u16 = 0x9003;
const DATE_TIME: u16 = 0x0132;
const OFFSET_TIME_ORIGINAL: u16 = 0x9011;
const MAKE: u16 = 0x010F;
const MODEL: u16 = 0x0110;

/// Capture date (`DateTimeOriginal`, else `DateTime`, with `OffsetTimeOriginal` when
/// present) and camera from the fields of the primary image.
pub(super) fn media_info(fields: &[&Field]) -> Option<MediaInfo> {
    let text = |number: u16| {
        fields
            .iter()
            .filter(|f| f.ifd_num == In::PRIMARY && f.tag.number() == number)
            .find_map(|f| match &f.value {
                exif::Value::Ascii(parts) => parts
                    .first()
                    .map(|s| {
                        String::from_utf8_lossy(s)
                            .trim_end_matches('\0')
                            .trim()
                            .to_string()
                    })
                    .filter(|s| !s.is_empty()),
                _ => None,
            })
    };
    let taken = text(DATE_TIME_ORIGINAL)
        .or_else(|| text(DATE_TIME))
        .and_then(|raw| {
            let dt = exif::DateTime::from_ascii(raw.as_bytes()).ok()?;
            let mut s = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
            );
            if let Some(offset) = text(OFFSET_TIME_ORIGINAL) {
                if offset.len() == 6 && (offset.starts_with('+') || offset.starts_with('-')) {
                    s.push_str(&offset);
                }
            }
            Some(s)
        });
    let info = MediaInfo {
        taken,
        make: text(MAKE),
        model: text(MODEL),
    };
    (info != MediaInfo::default()).then_some(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_media_is_not_parsed() {
        assert_eq!(probe_exif(b"plain text"), None);
        assert_eq!(probe_exif(b"\xFF\xD8\xFF\xE0 truncated jpeg"), None);
    }
}
