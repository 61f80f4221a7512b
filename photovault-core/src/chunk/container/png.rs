//! PNG: runs of `IDAT` chunks are the image; everything else (IHDR, iCCP, tEXt, zTXt,
//! iTXt, eXIf, IEND, ...) is metadata.
//!
//! Tools add or rewrite text and eXIf chunks before or after the image data; cutting at
//! both ends of the IDAT run keeps the image's chunks whatever moved around it.

use super::{cuts_of_units, Bounded, Unit};

/// Chunks looked at, at most (8 KiB IDAT chunks: a 512 MB image).
pub const MAX_CHUNKS: usize = 65_536;

pub(super) fn cuts(r: &Bounded) -> Option<Vec<u64>> {
    let len = r.len();
    let mut units = vec![Unit {
        end: 8,
        media: false,
    }];
    let mut pos = 8u64;
    for _ in 0..MAX_CHUNKS {
        if pos == len {
            return Some(cuts_of_units(&units));
        }
        let header = r.array::<8>(pos)?;
        let length = u32::from_be_bytes(header[..4].try_into().ok()?) as u64;
        let end = pos + 12 + length;
        if length > 0x7FFF_FFFF || end > len {
            return None;
        }
        let kind = &header[4..8];
        let media = kind == b"IDAT";
        match units.last_mut() {
            Some(last) if media && last.media => last.end = end,
            _ => units.push(Unit { end, media }),
        }
        pos = end;
        if kind == b"IEND" {
            // Whatever follows IEND belongs to its part.
            if let Some(last) = units.last_mut() {
                last.end = len;
            }
            return Some(cuts_of_units(&units));
        }
    }
    (pos == len).then(|| cuts_of_units(&units))
}
