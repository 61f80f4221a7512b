//! EXIF of Canon's CR3 RAW files.
//!
//! A CR3 is an ISO base media file (brand `crx `) whose `moov` holds a box of type `uuid`
//! with Canon's identifier; inside it, `CMT1` is a TIFF whose first IFD is the image's
//! IFD0 (make, model, `DateTime`) and `CMT2` a TIFF whose first IFD holds the Exif IFD's
//! tags (`DateTimeOriginal`, `OffsetTimeOriginal`). kamadak-exif reads neither container,
//! but reads each TIFF, so this finds the two boxes in the file's head (cameras
//! write `moov` first) and hands their tags to the same rules as every other format.

use super::exif::media_info;
use crate::format::tree::MediaInfo;

/// Canon's metadata `uuid` (85c0b687-820f-11e0-8111-f4ce462b6a48).
const CANON_UUID: [u8; 16] = [
    0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
];

/// Capture date and camera from the leading bytes of a CR3 file.
pub(super) fn probe_cr3(head: &[u8]) -> Option<MediaInfo> {
    let moov = child(head, b"moov")?;
    let canon = boxes(moov)
        .filter(|(kind, _)| kind == b"uuid")
        .find_map(|(_, body)| body.strip_prefix(&CANON_UUID[..]))?;
    let mut fields = Vec::new();
    for name in [b"CMT1", b"CMT2"] {
        if let Some(tiff) = child(canon, name) {
            if let Ok(exif) = exif::Reader::new().read_raw(tiff.to_vec()) {
                fields.extend(exif.fields().cloned());
            }
        }
    }
    media_info(&fields.iter().collect::<Vec<_>>())
}

/// The body of the first box of type `kind` among the boxes filling `data`.
fn child<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    boxes(data).find(|(k, _)| k == kind).map(|(_, body)| body)
}

/// The boxes filling `data`, as (type, body), up to the first that does not fit.
fn boxes(data: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> + '_ {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let header = data.get(at..at + 8)?;
        let kind: [u8; 4] = header[4..8].try_into().ok()?;
        let (size, skip) = match u32::from_be_bytes(header[..4].try_into().ok()?) {
            0 => (data.len() - at, 8),
            1 => {
                let large = data.get(at + 8..at + 16)?;
                (
                    usize::try_from(u64::from_be_bytes(large.try_into().ok()?)).ok()?,
                    16,
                )
            }
            n => (n as usize, 8),
        };
        if size < skip {
            return None;
        }
        let body = data.get(at + skip..at.checked_add(size)?)?;
        at += size;
        Some((kind, body))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        [&(body.len() as u32 + 8).to_be_bytes()[..], kind, body].concat()
    }

    #[test]
    fn garbage_and_truncated_boxes_give_nothing() {
        assert_eq!(probe_cr3(b""), None);
        assert_eq!(probe_cr3(&boxed(b"moov", b"\0\0\0\xffuuid")), None);
        let uuid = boxed(
            b"uuid",
            &[&CANON_UUID[..], &boxed(b"CMT1", b"not a tiff")].concat(),
        );
        assert_eq!(probe_cr3(&boxed(b"moov", &uuid)), None);
    }
}
