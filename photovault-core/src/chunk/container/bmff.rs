//! ISO base media files (HEIF/HEIC/AVIF, MP4, QuickTime): `mdat` bodies are media, every
//! other top-level box (`ftyp`, `meta`, `moov`, `uuid` XMP, `free`, ...) and each `mdat`'s
//! own header is metadata.
//!
//! A metadata edit rewrites `moov` or `meta` (and may move `moov` in front of `mdat`, as
//! exiftool does), and in HEIF it rewrites the Exif and XMP items, which live inside `mdat`
//! itself: exiftool puts a new XMP item at the start of `mdat`, before the image. So the
//! extents of the `Exif` and `mime` items that the top-level `meta` box's `iloc` places
//! inside an `mdat` body are cut out as parts of their own, and the image between them
//! keeps its chunks.

use super::{cuts_of_units, Bounded, Unit};

/// Types a file's first box may have for it to be read as ISO-BMFF.
pub const FIRST_BOXES: [&[u8; 4]; 6] = [b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"];
/// Top-level boxes looked at, at most (a fragmented MP4 with more stays plain).
pub const MAX_BOXES: usize = 1024;
/// The largest top-level `meta` box read for item locations.
pub const MAX_META: u64 = 1 << 20;
/// Boxes looked at inside `meta` and inside `iinf`, items in `iloc`, extents in all.
pub const MAX_ITEMS: usize = 4096;

/// A box: where its body starts, where it ends, its type.
#[derive(Debug, Clone, Copy)]
struct BoxAt {
    body: u64,
    end: u64,
    kind: [u8; 4],
}

pub(super) fn cuts(r: &Bounded) -> Option<Vec<u64>> {
    let boxes = top_level(r)?;
    let mut units = Vec::new();
    for b in &boxes {
        if &b.kind == b"mdat" {
            units.push(Unit {
                end: b.body,
                media: false,
            });
            units.push(Unit {
                end: b.end,
                media: true,
            });
        } else {
            units.push(Unit {
                end: b.end,
                media: false,
            });
        }
    }
    let mut cuts = cuts_of_units(&units);
    if let Some(meta) = boxes.iter().find(|b| &b.kind == b"meta") {
        for (s, e) in metadata_item_extents(r, meta)? {
            let inside = |b: &&BoxAt| &b.kind == b"mdat" && b.body <= s && e <= b.end;
            if boxes.iter().any(|b| inside(&b)) {
                cuts.push(s);
                cuts.push(e);
            }
        }
    }
    Some(cuts)
}

/// Every top-level box, which must tile the file exactly.
fn top_level(r: &Bounded) -> Option<Vec<BoxAt>> {
    let len = r.len();
    let mut boxes = Vec::new();
    let mut pos = 0u64;
    while pos < len {
        if boxes.len() == MAX_BOXES {
            return None;
        }
        let b = box_header(len - pos, &r.array::<8>(pos)?, || r.array::<8>(pos + 8))?;
        boxes.push(BoxAt {
            body: pos + b.0,
            end: pos + b.1,
            kind: b.2,
        });
        pos += b.1;
    }
    Some(boxes)
}

/// `(header length, box size, type)` of a box with `room` bytes left in its container,
/// from its first 8 bytes (and `large`, the next 8, read only for a 64-bit size). Size 0
/// means "to the end of the container"; a size smaller than the header or past the end is
/// `None`.
fn box_header(
    room: u64,
    first: &[u8; 8],
    large: impl FnOnce() -> Option<[u8; 8]>,
) -> Option<(u64, u64, [u8; 4])> {
    let size32 = u32::from_be_bytes(first[..4].try_into().ok()?) as u64;
    let kind: [u8; 4] = first[4..8].try_into().ok()?;
    let (header, size) = match size32 {
        0 => (8, room),
        1 => (16, u64::from_be_bytes(large()?)),
        size => (8, size),
    };
    (size >= header && size <= room).then_some((header, size, kind))
}

/// A big-endian cursor over an in-memory box body.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.at.checked_add(n)?;
        let out = self.data.get(self.at..end)?;
        self.at = end;
        Some(out)
    }

    /// An unsigned big-endian integer of `n` bytes (0, 2, 4 or 8; 0 reads as 0).
    fn uint(&mut self, n: usize) -> Option<u64> {
        Some(self.take(n)?.iter().fold(0u64, |v, &b| (v << 8) | b as u64))
    }

    /// The boxes filling the rest, each as `(type, body)`.
    fn boxes(&mut self) -> Option<Vec<([u8; 4], &'a [u8])>> {
        let mut out = Vec::new();
        while self.at < self.data.len() {
            if out.len() == MAX_ITEMS {
                return None;
            }
            let room = (self.data.len() - self.at) as u64;
            let first: [u8; 8] = self.take(8)?.try_into().ok()?;
            let mut rest = Cursor {
                data: self.data,
                at: self.at,
            };
            let (header, size, kind) = box_header(room, &first, || rest.take(8)?.try_into().ok())?;
            let start = self.at - 8;
            let body = self
                .data
                .get(start + header as usize..start + size as usize)?;
            self.at = start + size as usize;
            out.push((kind, body));
        }
        Some(out)
    }
}

/// The file extents (`[start, end)`) of the items of type `Exif` and `mime` that the `meta`
/// box places by file offset. A `meta` larger than [`MAX_META`] or malformed is `None`.
fn metadata_item_extents(r: &Bounded, meta: &BoxAt) -> Option<Vec<(u64, u64)>> {
    if meta.end - meta.body > MAX_META {
        return None;
    }
    let body = r.bytes(meta.body, (meta.end - meta.body) as usize)?;
    let mut c = Cursor {
        data: &body,
        at: 4, // version and flags
    };
    if body.len() < 4 {
        return None;
    }
    let children = c.boxes()?;
    let find = |kind: &[u8; 4]| children.iter().find(|(k, _)| k == kind).map(|(_, b)| *b);
    let (Some(iinf), Some(iloc)) = (find(b"iinf"), find(b"iloc")) else {
        return Some(Vec::new());
    };
    let wanted = metadata_items(iinf)?;
    let mut out = Vec::new();
    for (item, method, reference, extents) in locations(iloc)? {
        if !wanted.contains(&item) || method != 0 || reference != 0 {
            continue;
        }
        for (start, length) in extents {
            if length == 0 {
                continue;
            }
            let end = start.checked_add(length)?;
            if end > r.len() {
                return None;
            }
            out.push((start, end));
        }
    }
    Some(out)
}

/// Ids of the items `iinf` (a FullBox body) lists with type `Exif` or `mime`; entries of
/// `infe` versions 0 and 1 carry no type and are passed over.
fn metadata_items(iinf: &[u8]) -> Option<Vec<u32>> {
    let mut c = Cursor { data: iinf, at: 0 };
    let version = c.uint(1)?;
    c.take(3)?;
    c.take(if version == 0 { 2 } else { 4 })?; // entry count: the boxes say it
    let mut ids = Vec::new();
    for (kind, infe) in c.boxes()? {
        if &kind != b"infe" {
            continue;
        }
        let mut e = Cursor { data: infe, at: 0 };
        let version = e.uint(1)?;
        e.take(3)?;
        if version < 2 {
            continue;
        }
        let id = e.uint(if version == 2 { 2 } else { 4 })? as u32;
        e.take(2)?; // protection index
        let item_type = e.take(4)?;
        if item_type == b"Exif" || item_type == b"mime" {
            ids.push(id);
        }
    }
    Some(ids)
}

/// One item's location: id, construction method, data reference index, and its extents
/// as `(file offset, length)`.
type Location = (u32, u64, u64, Vec<(u64, u64)>);

/// Every item `iloc` (a FullBox body, versions 0 to 2) locates.
fn locations(iloc: &[u8]) -> Option<Vec<Location>> {
    let mut c = Cursor { data: iloc, at: 0 };
    let version = c.uint(1)?;
    c.take(3)?;
    if version > 2 {
        return None;
    }
    let sizes = c.uint(1)?;
    let (offset_size, length_size) = ((sizes >> 4) as usize, (sizes & 15) as usize);
    let sizes = c.uint(1)?;
    let base_size = (sizes >> 4) as usize;
    let index_size = if version == 0 {
        0
    } else {
        (sizes & 15) as usize
    };
    if [offset_size, length_size, base_size, index_size]
        .iter()
        .any(|s| ![0, 4, 8].contains(s))
    {
        return None;
    }
    let count = c.uint(if version < 2 { 2 } else { 4 })?;
    let mut items = Vec::new();
    let mut extents_seen = 0usize;
    for _ in 0..count {
        if items.len() == MAX_ITEMS {
            return None;
        }
        let id = c.uint(if version < 2 { 2 } else { 4 })? as u32;
        let method = if version == 0 { 0 } else { c.uint(2)? & 15 };
        let reference = c.uint(2)?;
        let base = c.uint(base_size)?;
        let extent_count = c.uint(2)? as usize;
        let mut extents = Vec::new();
        for _ in 0..extent_count {
            extents_seen += 1;
            if extents_seen > MAX_ITEMS {
                return None;
            }
            c.uint(index_size)?;
            let offset = base.checked_add(c.uint(offset_size)?)?;
            extents.push((offset, c.uint(length_size)?));
        }
        items.push((id, method, reference, extents));
    }
    Some(items)
}
