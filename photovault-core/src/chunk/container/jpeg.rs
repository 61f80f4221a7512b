//! JPEG: the metadata segments (APP0-APP15, COM) that follow SOI, then the image.
//!
//! Photo tools rewrite APP1 (EXIF, XMP), APP13 (IPTC) and COM in place and leave the rest
//! byte for byte. The image part starts at the first marker that is neither APPn nor COM
//! (it must be DQT, SOF, DHT, SOS or DRI), so it is chunked the same wherever it now starts, and the
//! metadata segments are grouped into parts of at least [`PART_MIN`](super::PART_MIN)
//! bytes at segment boundaries, so a large segment (an embedded preview, an ICC profile)
//! that did not change keeps its chunk.

use super::{cuts_of_units, Bounded, Unit};

/// Metadata segments looked at, at most; more means garbage (or a file we leave plain).
pub const MAX_SEGMENTS: usize = 1024;

const COM: u8 = 0xFE;

/// Whether a marker can begin a JPEG's image data: SOF0-SOF15 with DHT and DAC (`C0`-`CF`),
/// SOS (`DA`), DQT (`DB`), DRI (`DD`).
fn starts_image(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF | 0xDA | 0xDB | 0xDD)
}

pub(super) fn cuts(r: &Bounded) -> Option<Vec<u64>> {
    let len = r.len();
    // SOI is the first unit; each metadata segment is one more.
    let mut units = vec![Unit {
        end: 2,
        media: false,
    }];
    let mut pos = 2u64;
    for _ in 0..=MAX_SEGMENTS {
        let [ff, marker] = r.array::<2>(pos)?;
        if ff != 0xFF || marker == 0xFF {
            return None;
        }
        if !((0xE0..=0xEF).contains(&marker) || marker == COM) {
            if !starts_image(marker) {
                return None;
            }
            units.push(Unit {
                end: len,
                media: true,
            });
            return Some(cuts_of_units(&units));
        }
        if units.len() > MAX_SEGMENTS {
            return None;
        }
        let length = u16::from_be_bytes(r.array::<2>(pos + 2)?) as u64;
        let end = pos + 2 + length;
        if length < 2 || end >= len {
            return None;
        }
        units.push(Unit { end, media: false });
        pos = end;
    }
    None
}
