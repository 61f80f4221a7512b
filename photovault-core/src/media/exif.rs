//! Photo metadata read at backup time: capture date and camera, from EXIF.
//!
//! Only the first chunk of a file is looked at (EXIF sits at the start of JPEG, HEIC and
//! TIFF-based RAW files), so this costs no extra reading. Parsing is kamadak-exif's.

use std::io::Cursor;

use exif::{In, Tag};

use super::MediaKind;
use crate::format::tree::MediaInfo;

/// Capture date and camera from a file's leading bytes, when they carry EXIF.
pub fn probe_exif(head: &[u8]) -> Option<MediaInfo> {
    if !MediaKind::from_content(head).may_carry_exif() {
        return None;
    }
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(head))
        .ok()?;
    let text = |tag: Tag| {
        exif.get_field(tag, In::PRIMARY)
            .and_then(|f| match &f.value {
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
    let taken = text(Tag::DateTimeOriginal)
        .or_else(|| text(Tag::DateTime))
        .and_then(|raw| {
            let dt = exif::DateTime::from_ascii(raw.as_bytes()).ok()?;
            let mut s = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second
            );
            if let Some(offset) = text(Tag::OffsetTimeOriginal) {
                if offset.len() == 6 && (offset.starts_with('+') || offset.starts_with('-')) {
                    s.push_str(&offset);
                }
            }
            Some(s)
        });
    let info = MediaInfo {
        taken,
        make: text(Tag::Make),
        model: text(Tag::Model),
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
