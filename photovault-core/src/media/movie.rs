//! The capture date of a movie.
//!
//! QuickTime and MP4 movies keep their creation time in `moov/mvhd`, which cameras often
//! write after the media data, at the end of the file. [`probe_movie`] finds it by seeking
//! from box header to box header (a few small reads, whatever the file's size). It is a
//! hand-written walker rather than the `mp4` crate, which parses every track's sample
//! tables (allocating by counts read from the file) and refuses files without `ftyp`, as
//! older QuickTime files are, when all we need is one field of one box.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use crate::format::tree::MediaInfo;

/// `media` with the capture date of a QuickTime/MP4 movie (`.mov`, `.mp4`, `.m4v`) added,
/// when it has none yet and the movie records one: `mvhd`'s creation time, in UTC, as
/// `YYYY-MM-DDTHH:MM:SS+00:00`. Anything unreadable or implausible leaves `media` as it is.
pub fn probe_movie(path: &Path, name: &[u8], media: Option<MediaInfo>) -> Option<MediaInfo> {
    let has_date = media.as_ref().is_some_and(|m| m.taken.is_some());
    if has_date || !is_movie_name(name) {
        return media;
    }
    let taken = File::open(path)
        .ok()
        .and_then(|mut file| movie_created(&mut file));
    match (taken, media) {
        (Some(taken), media) => Some(MediaInfo {
            taken: Some(taken),
            ..media.unwrap_or_default()
        }),
        (None, media) => media,
    }
}

/// Whether a file name ends in `.mov`, `.mp4` or `.m4v` (any case).
fn is_movie_name(name: &[u8]) -> bool {
    let ext = match name.iter().rposition(|&b| b == b'.') {
        Some(dot) => name[dot + 1..].to_ascii_lowercase(),
        None => return false,
    };
    matches!(ext.as_slice(), b"mov" | b"mp4" | b"m4v")
}

/// Seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01.
const QUICKTIME_EPOCH_OFFSET: u64 = 2_082_844_800;
/// Boxes looked at, at most, on one level: a bound on work for garbage input.
const MAX_BOXES: usize = 4096;

/// The creation time in `moov/mvhd` of an ISO-BMFF/QuickTime file, formatted.
fn movie_created<R: Read + Seek>(file: &mut R) -> Option<String> {
    let len = file.seek(SeekFrom::End(0)).ok()?;
    let (moov, moov_end) = find_box(file, 0, len, b"moov")?;
    let (mvhd, mvhd_end) = find_box(file, moov, moov_end, b"mvhd")?;
    file.seek(SeekFrom::Start(mvhd)).ok()?;
    let mut head = [0u8; 12];
    let available = (mvhd_end - mvhd).min(12) as usize;
    file.read_exact(&mut head[..available]).ok()?;
    let created = match head[0] {
        0 if available >= 8 => u32::from_be_bytes(head[4..8].try_into().ok()?) as u64,
        1 if available >= 12 => u64::from_be_bytes(head[4..12].try_into().ok()?),
        _ => return None,
    };
    // 0 means "not set"; cameras with an unset clock write dates around 1904 or 1970.
    let unix = created.checked_sub(QUICKTIME_EPOCH_OFFSET)?;
    if unix < 86_400 * 366 {
        return None;
    }
    let time = chrono::DateTime::from_timestamp(i64::try_from(unix).ok()?, 0)?;
    use chrono::Datelike;
    if time.year() > 9999 {
        return None;
    }
    Some(time.format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
}

/// Finds the first box of type `kind` among the boxes filling `[start, end)`: the range of
/// its body. Seeks from header to header; never reads a body.
fn find_box<R: Read + Seek>(
    file: &mut R,
    start: u64,
    end: u64,
    kind: &[u8; 4],
) -> Option<(u64, u64)> {
    let mut pos = start;
    for _ in 0..MAX_BOXES {
        if end.checked_sub(pos)? < 8 {
            return None;
        }
        file.seek(SeekFrom::Start(pos)).ok()?;
        let mut header = [0u8; 16];
        file.read_exact(&mut header[..8]).ok()?;
        let size32 = u32::from_be_bytes(header[..4].try_into().ok()?) as u64;
        let (size, header_len) = match size32 {
            0 => (end - pos, 8), // extends to the end of its container
            1 => {
                if end - pos < 16 {
                    return None;
                }
                file.read_exact(&mut header[8..16]).ok()?;
                (u64::from_be_bytes(header[8..16].try_into().ok()?), 16)
            }
            size => (size, 8),
        };
        if size < header_len || size > end - pos {
            return None;
        }
        if &header[4..8] == kind {
            return Some((pos + header_len, pos + size));
        }
        pos += size;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A box: big-endian 32-bit size, type, body.
    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn mvhd_v0(created: u32) -> Vec<u8> {
        let mut body = vec![0, 0, 0, 0];
        body.extend_from_slice(&created.to_be_bytes());
        body.extend_from_slice(&[0; 92]);
        boxed(b"mvhd", &body)
    }

    #[test]
    fn mvhd_after_a_large_mdat_is_found() {
        // 2021-06-15T10:20:30Z = 1623752430 Unix.
        let created = (1_623_752_430 + QUICKTIME_EPOCH_OFFSET) as u32;
        let mut file = boxed(b"ftyp", b"qt  \0\0\0\0qt  ");
        // A 64-bit mdat header (size 1, then the real size).
        file.extend_from_slice(&1u32.to_be_bytes());
        file.extend_from_slice(b"mdat");
        file.extend_from_slice(&(16u64 + 1000).to_be_bytes());
        file.extend_from_slice(&[0xAB; 1000]);
        let moov_body = [boxed(b"free", &[0; 10]), mvhd_v0(created)].concat();
        file.extend_from_slice(&boxed(b"moov", &moov_body));
        assert_eq!(
            movie_created(&mut Cursor::new(&file)).as_deref(),
            Some("2021-06-15T10:20:30+00:00")
        );
        // Version 1: 64-bit times.
        let mut body = vec![1, 0, 0, 0];
        body.extend_from_slice(&(1_623_752_430u64 + QUICKTIME_EPOCH_OFFSET).to_be_bytes());
        body.extend_from_slice(&[0; 100]);
        let file = boxed(b"moov", &boxed(b"mvhd", &body));
        assert_eq!(
            movie_created(&mut Cursor::new(&file)).as_deref(),
            Some("2021-06-15T10:20:30+00:00")
        );
    }

    #[test]
    fn garbage_and_unset_dates_give_nothing() {
        assert_eq!(movie_created(&mut Cursor::new(b"")), None);
        assert_eq!(movie_created(&mut Cursor::new(&[0xFF; 64])), None);
        // A moov whose children are not boxes (as the corpus generator writes).
        let junk = boxed(b"moov", &[b"trak".as_slice(), &[0; 60]].concat());
        assert_eq!(movie_created(&mut Cursor::new(&junk)), None);
        // Truncated: a box claims more than the file holds.
        let mut cut = boxed(b"moov", &mvhd_v0(3_700_000_000));
        cut.truncate(20);
        assert_eq!(movie_created(&mut Cursor::new(&cut)), None);
        // creation_time 0 means unset.
        let unset = boxed(b"moov", &mvhd_v0(0));
        assert_eq!(movie_created(&mut Cursor::new(&unset)), None);
        // Zero-size boxes reach to the end and do not loop.
        let zero = [0u8, 0, 0, 0, b'f', b'r', b'e', b'e', 1, 2, 3].to_vec();
        assert_eq!(movie_created(&mut Cursor::new(&zero)), None);
    }

    #[test]
    fn only_movies_by_name_are_probed() {
        assert!(is_movie_name(b"IMG_0001.MOV"));
        assert!(is_movie_name(b"clip.mp4"));
        assert!(is_movie_name(b"a.M4V"));
        assert!(!is_movie_name(b"IMG_0001.CR3"));
        assert!(!is_movie_name(b"mov"));
        let keep = Some(MediaInfo {
            taken: Some("2020-01-01T00:00:00".into()),
            ..Default::default()
        });
        assert_eq!(
            probe_movie(Path::new("/nonexistent.mov"), b"x.mov", keep.clone()),
            keep
        );
        assert_eq!(
            probe_movie(Path::new("/nonexistent.mov"), b"x.mov", None),
            None
        );
    }
}
