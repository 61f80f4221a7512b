//! ISO-BMFF-shaped files (the box format of HEIC, QuickTime and MP4): HEIC stills and
//! MOV/MP4 videos whose media data is incompressible, as encoded media is.
//!
//! Only the boxes that tools look at first are real: `ftyp` with the right brand, an
//! `mdat` header that covers the payload and, for videos, a `moov` at the end (where
//! cameras write it) whose `mvhd` holds the capture time, as photovault's movie probe
//! reads it.

use std::io::{self, Write};

use super::capture::Capture;
use super::rng::Rng;

/// A box: 32-bit big-endian size, type, body.
pub fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 8);
    out.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(body);
    out
}

/// The header of a box with a 64-bit size whose body of `body_len` bytes follows.
pub fn large_header(kind: &[u8; 4], body_len: u64) -> Vec<u8> {
    let mut out = 1u32.to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(&(body_len + 16).to_be_bytes());
    out
}

/// An `ftyp` box: major brand, minor version, compatible brands.
pub fn ftyp(major: &[u8; 4], minor: u32, compatible: &[&[u8; 4]]) -> Vec<u8> {
    let mut body = major.to_vec();
    body.extend_from_slice(&minor.to_be_bytes());
    for brand in compatible {
        body.extend_from_slice(*brand);
    }
    boxed(b"ftyp", &body)
}

/// A HEIC-like still of exactly `size` bytes: `ftyp` brand `heic`, then an `mdat` of
/// random bytes.
pub fn heic(size: u64, rng: &mut Rng) -> Vec<u8> {
    let mut out = ftyp(b"heic", 0, &[b"mif1", b"heic"]);
    let body = size.saturating_sub(out.len() as u64 + 8);
    out.extend_from_slice(&(body as u32 + 8).to_be_bytes());
    out.extend_from_slice(b"mdat");
    let start = out.len();
    out.resize(start + body as usize, 0);
    rng.fill(&mut out[start..]);
    out
}

/// The two movie flavours: QuickTime (`.MOV`, brand `qt  `) and MP4 (brand `isom`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movie {
    QuickTime,
    Mp4,
}

impl Movie {
    pub fn extension(self) -> &'static str {
        match self {
            Movie::QuickTime => "MOV",
            Movie::Mp4 => "MP4",
        }
    }

    fn ftyp(self) -> Vec<u8> {
        match self {
            Movie::QuickTime => ftyp(b"qt  ", 0x2005_0300, &[b"qt  "]),
            Movie::Mp4 => ftyp(b"isom", 0x200, &[b"isom", b"iso2", b"mp41"]),
        }
    }
}

/// Seconds from 1904-01-01 (QuickTime's epoch) to 1970-01-01.
const QUICKTIME_EPOCH: i64 = 2_082_844_800;

/// `moov` with one `mvhd` (version 0) for a movie made at `taken`, `seconds` long.
fn moov(taken: &Capture, seconds: u32) -> Vec<u8> {
    let created = (taken.utc + QUICKTIME_EPOCH) as u32;
    let mut mvhd = vec![0u8; 4]; // version 0, no flags
    for v in [created, created, 600, seconds * 600, 0x0001_0000] {
        mvhd.extend_from_slice(&v.to_be_bytes()); // times, timescale, duration, rate
    }
    mvhd.extend_from_slice(&0x0100u16.to_be_bytes()); // volume 1.0
    mvhd.extend_from_slice(&[0; 10]);
    for v in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
        mvhd.extend_from_slice(&v.to_be_bytes()); // identity matrix
    }
    mvhd.extend_from_slice(&[0; 24]);
    mvhd.extend_from_slice(&2u32.to_be_bytes()); // next track id
    boxed(b"moov", &boxed(b"mvhd", &mvhd))
}

/// Writes a movie of exactly `size` bytes to `out`: `ftyp`, an `mdat` of random bytes
/// (written 4 MiB at a time), `moov`.
pub fn write_movie<W: Write>(
    out: &mut W,
    kind: Movie,
    size: u64,
    taken: &Capture,
    rng: &mut Rng,
) -> io::Result<()> {
    let head = kind.ftyp();
    // About 8 MB/s of video, as phones record 4K.
    let moov = moov(taken, (size / 8_000_000).max(1) as u32);
    let payload = size
        .checked_sub((head.len() + 16 + moov.len()) as u64)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "movie too small"))?;
    out.write_all(&head)?;
    out.write_all(&large_header(b"mdat", payload))?;
    let mut buf = vec![0u8; 4 << 20];
    let mut left = payload;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        rng.fill(&mut buf[..n]);
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    out.write_all(&moov)
}
