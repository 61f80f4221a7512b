//! TIFF and the RAW formats built on it (DNG, CR2, NEF, ARW, ...): the image data that
//! IFDs point to (strips, tiles, embedded JPEG previews) is media; header, IFDs and tag
//! values are metadata.
//!
//! Editing tools rewrite the IFDs (and may move them, and the image data after them), but
//! copy the sensor data and previews byte for byte; cutting at both ends of each stretch of
//! image data keeps those chunks wherever the stretch now lies.
//!
//! The IFDs walked: IFD0 and the chain of next IFDs, and the SubIFDs (tag 0x014A) of any
//! of them, where DNG and NEF keep the RAW image. The EXIF IFD and maker notes hold no
//! image data and are not walked.

use std::collections::{HashSet, VecDeque};

use super::{cuts_of_units, units_around, Bounded};

/// IFDs looked at, at most.
pub const MAX_IFDS: usize = 64;
/// Offset and count values read, at most, over all IFDs.
pub const MAX_VALUES: usize = 65_536;

/// (offsets tag, byte counts tag): strips, tiles, JPEG thumbnail.
const PAIRS: [(u16, u16); 3] = [(0x0111, 0x0117), (0x0144, 0x0145), (0x0201, 0x0202)];
const SUB_IFDS: u16 = 0x014A;

pub(super) fn cuts(r: &Bounded) -> Option<Vec<u64>> {
    let big = r.array::<2>(0)? == *b"MM";
    let u16_at = |b: &[u8]| {
        let a = [b[0], b[1]];
        if big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        }
    };
    let u32_at = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        }
    };
    let mut queue = VecDeque::from([u32_at(&r.array::<4>(4)?) as u64]);
    let mut seen = HashSet::new();
    let mut extents = Vec::new();
    let mut values_read = 0usize;
    while let Some(ifd) = queue.pop_front() {
        if !seen.insert(ifd) || seen.len() > MAX_IFDS {
            return None;
        }
        let count = u16_at(&r.array::<2>(ifd)?) as u64;
        let entries = r.bytes(ifd + 2, 12 * count as usize)?;
        let next = u32_at(&r.array::<4>(ifd + 2 + 12 * count)?) as u64;
        // The values of the tags this walk uses, by tag.
        let mut values: Vec<(u16, Vec<u64>)> = Vec::new();
        for entry in entries.chunks_exact(12) {
            let tag = u16_at(&entry[0..2]);
            let wanted = tag == SUB_IFDS || PAIRS.iter().any(|&(o, c)| tag == o || tag == c);
            if !wanted {
                continue;
            }
            let width = match u16_at(&entry[2..4]) {
                3 => 2,      // SHORT
                4 | 13 => 4, // LONG, IFD
                _ => return None,
            };
            let n = u32_at(&entry[4..8]) as usize;
            values_read += n;
            if values_read > MAX_VALUES {
                return None;
            }
            let raw = if n * width <= 4 {
                entry[8..8 + n * width].to_vec()
            } else {
                r.bytes(u32_at(&entry[8..12]) as u64, n * width)?
            };
            let list = raw
                .chunks_exact(width)
                .map(|v| {
                    if width == 2 {
                        u16_at(v) as u64
                    } else {
                        u32_at(v) as u64
                    }
                })
                .collect();
            values.push((tag, list));
        }
        let get = |tag: u16| values.iter().find(|(t, _)| *t == tag).map(|(_, v)| v);
        for (offsets_tag, counts_tag) in PAIRS {
            match (get(offsets_tag), get(counts_tag)) {
                (None, None) => {}
                (Some(offsets), Some(counts)) if offsets.len() == counts.len() => {
                    for (&start, &length) in offsets.iter().zip(counts) {
                        let end = start + length;
                        if end > r.len() {
                            return None;
                        }
                        if length > 0 {
                            extents.push((start, end));
                        }
                    }
                }
                _ => return None,
            }
        }
        if let Some(subs) = get(SUB_IFDS) {
            queue.extend(subs.iter().copied().filter(|&o| o != 0));
        }
        if next != 0 {
            queue.push_back(next);
        }
    }
    Some(cuts_of_units(&units_around(extents, r.len())))
}
