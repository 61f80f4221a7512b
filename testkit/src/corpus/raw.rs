//! RAW-like files: sensor samples in the containers of two real formats.
//!
//! The samples are 14-bit values in 16-bit little-endian words, as most RAW formats store
//! them uncompressed: a high byte that follows the scene slowly (at most 6 bits) and a low
//! byte of finer shading plus 5 to 7 bits of sensor noise. That is what makes real RAW data
//! compress a little (zstd -3: about 1.3-1.7x) and well as two byte planes, which is what
//! photovault's compression probe looks for.
//!
//! - DNG: a little-endian TIFF whose one strip is the sensor data ([`super::exif::tiff`]).
//! - CR3: ISO-BMFF; `ftyp` brand `crx `, a `moov` whose Canon `uuid` box holds the EXIF
//!   TIFF (`CMT1`), then `mdat` with the samples.

use std::io;

use super::bmff;
use super::exif::{self, Shot};
use super::rng::Rng;

/// The two RAW containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Dng,
    Cr3,
}

/// A camera body that writes RAW files: make, model, container and sensor size (chosen so
/// that 16-bit samples make 20-30 MB).
#[derive(Debug, Clone, Copy)]
pub struct Body {
    pub make: &'static str,
    pub model: &'static str,
    pub container: Container,
    pub width: u32,
    pub height: u32,
}

pub const BODIES: &[Body] = &[
    Body {
        make: "Canon",
        model: "Canon EOS R6",
        container: Container::Cr3,
        width: 4480,
        height: 3008,
    },
    Body {
        make: "Canon",
        model: "Canon EOS RP",
        container: Container::Cr3,
        width: 4176,
        height: 2784,
    },
    Body {
        make: "Canon",
        model: "Canon EOS 90D",
        container: Container::Cr3,
        width: 4096,
        height: 2736,
    },
    Body {
        make: "Leica Camera AG",
        model: "LEICA Q2",
        container: Container::Dng,
        width: 4368,
        height: 2912,
    },
    Body {
        make: "RICOH IMAGING COMPANY, LTD.",
        model: "PENTAX K-1 Mark II",
        container: Container::Dng,
        width: 4000,
        height: 2672,
    },
];

/// Sensor samples, row by row, as 16-bit little-endian words.
pub fn sensor(width: u32, height: u32, rng: &mut Rng) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let noise_bits = rng.range(5, 7) as u32;
    let top = rng.range(14, 40) as u32; // brightest high byte: below 64, so 14 bits
    let coarse = Field::new(rng, 0, top);
    let fine = Field::new(rng, 0, 255 - (1 << noise_bits) + 1);
    // Per column: the grid column to its left and the weight of the next one, in 1/256.
    let columns: Vec<(usize, u32)> = (0..w)
        .map(|x| {
            let pos = x * (GRID_W - 1) * 256 / (w - 1).max(1);
            ((pos / 256).min(GRID_W - 1), (pos % 256) as u32)
        })
        .collect();
    let mut out = vec![0u8; w * h * 2];
    let mut bits = 0u64;
    for y in 0..h {
        let (coarse_row, fine_row) = (coarse.row(y, h), fine.row(y, h));
        let row = &mut out[y * w * 2..(y + 1) * w * 2];
        for (x, (word, &(gx, fx))) in row.chunks_exact_mut(2).zip(&columns).enumerate() {
            if x % 8 == 0 {
                bits = rng.next_u64();
            }
            let noise = ((bits >> ((x % 8) * 8)) as u8 as u32) >> (8 - noise_bits);
            word[0] = (fine_row.at(gx, fx) + noise) as u8;
            word[1] = coarse_row.at(gx, fx) as u8;
        }
    }
    out
}

const GRID_W: usize = 8;
const GRID_H: usize = 6;

/// A smooth field of values in `lo..=hi`: bilinear over a [`GRID_W`] x [`GRID_H`] grid.
struct Field {
    grid: [[u32; GRID_W]; GRID_H],
}

/// One row of a [`Field`]: the grid values interpolated to that row, in 1/256.
struct Row([u32; GRID_W]);

impl Field {
    fn new(rng: &mut Rng, lo: u32, hi: u32) -> Self {
        let mut grid = [[0; GRID_W]; GRID_H];
        for v in grid.iter_mut().flatten() {
            *v = lo + rng.below((hi - lo + 1) as u64) as u32;
        }
        Field { grid }
    }

    fn row(&self, y: usize, h: usize) -> Row {
        let pos = y * (GRID_H - 1) * 256 / (h - 1).max(1);
        let (gy, fy) = ((pos / 256).min(GRID_H - 1), (pos % 256) as u32);
        let mut out = [0; GRID_W];
        for (gx, v) in out.iter_mut().enumerate() {
            let (a, b) = (self.grid[gy][gx], self.grid[(gy + 1).min(GRID_H - 1)][gx]);
            *v = a * (256 - fy) + b * fy;
        }
        Row(out)
    }
}

impl Row {
    /// The value at grid column `gx` plus `fx`/256 of the way to the next.
    fn at(&self, gx: usize, fx: u32) -> u32 {
        let (a, b) = (self.0[gx], self.0[(gx + 1).min(GRID_W - 1)]);
        (a * (256 - fx) + b * fx) >> 16
    }
}

/// A whole RAW file of `body` for `shot`, its samples drawn from `rng`.
pub fn raw_file(body: &Body, shot: &Shot, rng: &mut Rng) -> io::Result<Vec<u8>> {
    let samples = sensor(body.width, body.height, rng);
    let mut fields = exif::shot_fields(shot);
    match body.container {
        Container::Dng => {
            fields.extend(exif::dng_fields(body.width, body.height));
            exif::tiff(&fields, Some(&samples), true)
        }
        Container::Cr3 => {
            let meta = exif::tiff(&fields, None, true)?;
            Ok(cr3(&meta, &samples))
        }
    }
}

/// Canon's metadata `uuid` in CR3 files.
const CANON_UUID: [u8; 16] = [
    0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
];

fn cr3(meta_tiff: &[u8], samples: &[u8]) -> Vec<u8> {
    let uuid_body = [&CANON_UUID[..], &bmff::boxed(b"CMT1", meta_tiff)].concat();
    let mut out = bmff::ftyp(b"crx ", 1, &[b"crx ", b"isom"]);
    out.extend(bmff::boxed(b"moov", &bmff::boxed(b"uuid", &uuid_body)));
    out.extend(bmff::large_header(b"mdat", samples.len() as u64));
    out.extend_from_slice(samples);
    out
}
