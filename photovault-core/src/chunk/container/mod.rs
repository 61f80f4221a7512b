//! Cut points that follow a file's container (the `container` chunking scheme, SPEC §12.5).
//!
//! Photo managers rewrite metadata inside the file: a rating, a keyword, a GPS fix. When
//! the metadata grows, every byte after it shifts, and plain content-defined chunking (64
//! KiB minimum) stores the first chunk or two of the image again. Cutting the file first
//! where its container separates metadata from media, and then chunking each part on its
//! own, makes the image data cut the same way wherever it now starts: an edit costs the
//! metadata parts.
//!
//! Cut points are a pure function of the file's bytes (so dedup across files and
//! repositories holds), computed from a few bounded reads ([`Bounded`]): the head for JPEG,
//! box and chunk headers for ISO-BMFF and PNG, IFDs for TIFF. Anything unknown, truncated,
//! malformed or beyond a limit gives no cut points at all: the file is chunked as plain
//! FastCDC would, never refused. Each format's parser turns the file into [`Unit`]s, and
//! [`cuts_of_units`] decides where parts begin, the same way for all of them.

mod bmff;
mod jpeg;
mod png;
mod tiff;

use super::source::{AsDyn, Bounded, ByteSource};

/// Metadata stretches are split only into parts of at least this many bytes, and TIFF
/// image data closer than this is one stretch: tiny parts would multiply chunk counts
/// for no dedup.
pub const PART_MIN: u64 = 4096;

/// Where `source` is cut before FastCDC cuts each part: strictly increasing offsets
/// strictly inside the file. Empty for files of at most `min_file` bytes (plain FastCDC
/// makes them one chunk anyway), for formats not known here and for malformed ones.
pub fn cut_points<S: ByteSource + ?Sized>(source: &S, min_file: u64) -> Vec<u64> {
    let source = AsDyn(source);
    let len = source.size();
    if len <= min_file {
        return Vec::new();
    }
    let r = Bounded::new(&source, len);
    let Some(head) = r.array::<12>(0) else {
        return Vec::new();
    };
    let cuts = if head.starts_with(b"\xFF\xD8\xFF") {
        jpeg::cuts(&r)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        png::cuts(&r)
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        tiff::cuts(&r)
    } else if bmff::FIRST_BOXES.iter().any(|t| head[4..8] == t[..]) {
        bmff::cuts(&r)
    } else {
        None
    };
    let mut cuts = cuts.unwrap_or_default();
    cuts.retain(|&c| c > 0 && c < len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

/// A stretch of a file, from where the previous unit ended to `end`: metadata (grouped with
/// the metadata around it) or media (a part of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unit {
    pub end: u64,
    pub media: bool,
}

/// Part boundaries of a file made of `units` (contiguous from offset 0): the start and end
/// of every media unit, and inside each run of consecutive metadata units those unit
/// boundaries that [`group`] keeps.
pub(crate) fn cuts_of_units(units: &[Unit]) -> Vec<u64> {
    let mut cuts = Vec::new();
    let (mut at, mut run_start) = (0u64, 0u64);
    let mut inner = Vec::new();
    let mut previous: Option<bool> = None;
    for unit in units {
        match previous {
            None => {}
            Some(false) if !unit.media => inner.push(at),
            Some(_) => {
                cuts.extend(group(run_start, at, &inner));
                cuts.push(at);
                run_start = at;
                inner.clear();
            }
        }
        at = unit.end;
        previous = Some(unit.media);
    }
    cuts.extend(group(run_start, at, &inner));
    cuts
}

/// The boundaries `candidates` (increasing, inside `[start, end)`) that split a metadata
/// run into parts of at least [`PART_MIN`] bytes: in order, a boundary is kept when it is at
/// least `PART_MIN` after the last kept one (or `start`) and at least `PART_MIN` before `end`.
pub(crate) fn group(start: u64, end: u64, candidates: &[u64]) -> Vec<u64> {
    let mut kept = Vec::new();
    let mut last = start;
    for &b in candidates {
        if b >= last + PART_MIN && end >= b + PART_MIN {
            kept.push(b);
            last = b;
        }
    }
    kept
}

/// Units of a file of `len` bytes whose media lies in `extents` (`[start, end)`, any order,
/// may overlap): extents less than [`PART_MIN`] apart are joined, joined extents shorter
/// than `PART_MIN` are not media, and the stretches between are metadata.
pub(crate) fn units_around(mut extents: Vec<(u64, u64)>, len: u64) -> Vec<Unit> {
    extents.sort_unstable();
    let mut joined: Vec<(u64, u64)> = Vec::new();
    for (s, e) in extents {
        match joined.last_mut() {
            Some(last) if s < last.1.saturating_add(PART_MIN) => last.1 = last.1.max(e),
            _ => joined.push((s, e)),
        }
    }
    let mut units = Vec::new();
    for (s, e) in joined.into_iter().filter(|(s, e)| e - s >= PART_MIN) {
        if s > 0 {
            units.push(Unit {
                end: s,
                media: false,
            });
        }
        units.push(Unit {
            end: e,
            media: true,
        });
    }
    if units.last().is_none_or(|u| u.end < len) {
        units.push(Unit {
            end: len,
            media: false,
        });
    }
    units
}

#[cfg(test)]
mod tests;
