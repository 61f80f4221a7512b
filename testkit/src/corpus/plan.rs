//! The plan of a corpus: every file, where it goes, its mtime and what it will hold,
//! decided from `(seed, scale)` before a byte is written.
//!
//! Each file's parameters and bytes come from its own generator, `Rng::derive(seed, [kind,
//! index])`; the scale only decides how many files of each kind there are and over how
//! many months they spread. Writing the plan in any order, on any number of threads, gives
//! the same tree.

use std::path::PathBuf;

use super::bmff::Movie;
use super::capture::{Capture, OFFSETS};
use super::raw::{self, Body};
use super::rng::Rng;

/// How many files of each kind a corpus of scale 1 has (about 3.5 GB, 20,586 files).
pub const PHOTOS: f64 = 400.0;
pub const RAWS: f64 = 40.0;
pub const HEICS: f64 = 60.0;
pub const VIDEOS: f64 = 6.0;
pub const PREVIEWS: f64 = 20_000.0;
/// Share of the JPEG photos imported a second time under `Imports/`.
pub const DUPLICATE_SHARE: f64 = 0.10;
/// Photo sizes in bytes; RAW sizes follow from [`raw::BODIES`].
pub const PHOTO_BYTES: (f64, f64) = (1.5e6, 6.0e6);
pub const HEIC_BYTES: (f64, f64) = (1.0e6, 3.5e6);
pub const VIDEO_BYTES: (f64, f64) = (50e6, 200e6);
pub const PREVIEW_BYTES: (f64, f64) = (5e3, 40e3);
/// The years photos are taken in.
pub const FIRST_YEAR: i32 = 2016;
pub const YEARS: usize = 9;

/// Tags of [`Rng::derive`] paths: one per kind of file, and the plan's own draws.
pub mod stream {
    pub const MONTHS: u64 = 1;
    pub const PHOTO: u64 = 2;
    pub const RAW: u64 = 3;
    pub const HEIC: u64 = 4;
    pub const VIDEO: u64 = 5;
    pub const PREVIEW: u64 = 6;
    pub const IMPORTS: u64 = 7;
    pub const MUTATE: u64 = 8;
}

/// A device that takes JPEG photos.
#[derive(Debug)]
pub struct Camera {
    pub make: &'static str,
    pub model: &'static str,
    pub software: &'static str,
    /// Landscape pixels.
    pub size: (u32, u32),
    /// Phones record the UTC offset and take HEIC stills and MOV videos too.
    pub phone: bool,
    pub little_endian: bool,
    /// File names start with this, then a 4-digit counter.
    pub prefix: &'static str,
}

const fn camera(
    make: &'static str,
    model: &'static str,
    software: &'static str,
    size: (u32, u32),
    phone: bool,
    prefix: &'static str,
) -> Camera {
    Camera {
        make,
        model,
        software,
        size,
        phone,
        little_endian: !phone || !matches!(make.as_bytes(), b"Apple"),
        prefix,
    }
}

/// Phones at their full 12 MP; cameras at their medium JPEG size (8-10 MP), as people who
/// also shoot RAW often set them (and as keeps encoding the corpus quick).
pub const CAMERAS: &[Camera] = &[
    camera("Apple", "iPhone 12", "16.3.1", (4032, 3024), true, "IMG_"),
    camera("Apple", "iPhone 14 Pro", "17.1", (4032, 3024), true, "IMG_"),
    camera(
        "samsung",
        "SM-S901B",
        "S901BXXU2AVF1",
        (4000, 3000),
        true,
        "IMG_",
    ),
    camera(
        "Google",
        "Pixel 7",
        "HDR+ 1.0.512345678",
        (4080, 3072),
        true,
        "PXL_",
    ),
    camera(
        "SONY",
        "ILCE-7M3",
        "ILCE-7M3 v4.01",
        (3936, 2624),
        false,
        "DSC0",
    ),
    camera(
        "Canon",
        "Canon EOS R6",
        "Firmware Version 1.8.1",
        (3648, 2432),
        false,
        "IMG_",
    ),
    camera(
        "FUJIFILM",
        "X-T4",
        "Digital Camera X-T4 Ver1.01",
        (4416, 2944),
        false,
        "DSCF",
    ),
    camera(
        "NIKON CORPORATION",
        "NIKON D750",
        "Ver.1.17",
        (4512, 3008),
        false,
        "DSC_",
    ),
    camera(
        "OLYMPUS CORPORATION",
        "E-M10MarkIII",
        "Version 1.2",
        (3200, 2400),
        false,
        "P101",
    ),
];

/// A JPEG photo: who took it, when, and how big it should come out.
#[derive(Debug, Clone)]
pub struct PhotoSpec {
    pub camera: &'static Camera,
    pub width: u32,
    pub height: u32,
    pub target_bytes: u64,
    pub shapes: u32,
    pub taken: Capture,
    pub iso: u16,
    pub shutter: u32,
    pub f_tenths: u32,
    pub focal_tenths: u32,
}

/// A RAW file, and what its sidecar says about it.
#[derive(Debug, Clone)]
pub struct RawSpec {
    pub body: &'static Body,
    pub taken: Capture,
    /// When the sidecar was last written.
    pub edited: Capture,
}

/// What one planned file holds.
#[derive(Debug, Clone)]
pub enum Content {
    Photo(PhotoSpec),
    Raw(RawSpec),
    /// The XMP sidecar of the RAW file with this spec.
    Sidecar(RawSpec),
    Heic {
        size: u64,
    },
    Video {
        kind: Movie,
        size: u64,
        taken: Capture,
    },
    Preview {
        width: u32,
        height: u32,
        target_bytes: u64,
    },
}

/// One file to write: its path below the corpus root, its mtime, its content and the
/// generator its bytes come from.
#[derive(Debug, Clone)]
pub struct Planned {
    pub path: PathBuf,
    pub mtime: i64,
    pub content: Content,
    pub rng: Rng,
}

/// A byte-identical copy of a planned photo, written after it.
#[derive(Debug, Clone)]
pub struct Duplicate {
    pub original: PathBuf,
    pub copy: PathBuf,
    pub mtime: i64,
}

/// The whole corpus.
#[derive(Debug)]
pub struct Plan {
    pub files: Vec<Planned>,
    pub duplicates: Vec<Duplicate>,
}

/// A month photos were taken in, how busy it was, and where (UTC offset).
#[derive(Debug, Clone, Copy)]
pub struct Month {
    pub year: i32,
    pub month: u32,
    pub weight: u64,
    pub offset_minutes: i32,
}

impl Month {
    /// `Photos/YYYY/YYYY-MM`.
    pub fn folder(&self) -> PathBuf {
        PathBuf::from(format!(
            "Photos/{y}/{y}-{m:02}",
            y = self.year,
            m = self.month
        ))
    }
}

/// `base` files at scale 1, scaled: at least one.
pub fn count(base: f64, scale: f64) -> usize {
    ((base * scale).round() as usize).max(1)
}

fn months(seed: u64, scale: f64) -> Vec<Month> {
    let mut rng = Rng::derive(seed, &[stream::MONTHS]);
    let wanted = ((40.0 * scale.sqrt()).round() as usize).clamp(3, YEARS * 12);
    rng.sample(YEARS * 12, wanted)
        .into_iter()
        .map(|i| Month {
            year: FIRST_YEAR + (i / 12) as i32,
            month: (i % 12) as u32 + 1,
            weight: rng.range(1, 8) as u64,
            offset_minutes: *rng.pick(OFFSETS),
        })
        .collect()
}

fn pick_month(months: &[Month], rng: &mut Rng) -> Month {
    let weights: Vec<u64> = months.iter().map(|m| m.weight).collect();
    months[rng.weighted(&weights)]
}

/// A photo by a random camera in `month`; `rng` is then the photo's own generator.
pub fn photo(month: &Month, rng: &mut Rng) -> PhotoSpec {
    let camera = rng.pick(CAMERAS);
    let (mut width, mut height) = camera.size;
    if rng.chance(0.15) {
        (width, height) = (height, width); // portrait
    }
    let pixels = width as f64 * height as f64;
    // Between 1 and 8 bits per pixel, within the photo size range.
    let lo = PHOTO_BYTES.0.max(pixels / 8.0);
    let hi = PHOTO_BYTES.1.min(pixels);
    PhotoSpec {
        camera,
        width,
        height,
        target_bytes: rng.skewed(lo, hi) as u64,
        shapes: rng.range(10, 40) as u32,
        taken: Capture::in_month(month.year, month.month, month.offset_minutes, rng),
        iso: *rng.pick(&[50, 100, 200, 400, 800, 1600, 3200]),
        shutter: *rng.pick(&[30, 60, 125, 250, 500, 1000, 2000]),
        f_tenths: *rng.pick(&[16, 18, 28, 40, 56, 80, 110]),
        focal_tenths: rng.range(40, 2000) as u32,
    }
}

/// File name prefix and extension of a RAW file by `body`.
pub fn raw_name(body: &Body) -> (&'static str, &'static str) {
    match body.container {
        raw::Container::Cr3 => ("IMG_", "CR3"),
        raw::Container::Dng => ("L100", "DNG"),
    }
}

/// A RAW file at `path` and its XMP sidecar beside it, the sidecar's bytes drawn from a
/// child of the RAW's generator.
pub fn raw_with_sidecar(path: PathBuf, spec: RawSpec, rng: Rng) -> [Planned; 2] {
    [
        Planned {
            path: path.with_extension("xmp"),
            mtime: spec.edited.utc,
            content: Content::Sidecar(spec.clone()),
            rng: rng.child(1),
        },
        Planned {
            path,
            mtime: spec.taken.utc,
            content: Content::Raw(spec),
            rng,
        },
    ]
}

/// A RAW file by a random body in `month`.
pub fn raw_spec(month: &Month, rng: &mut Rng) -> RawSpec {
    let body = rng.pick(raw::BODIES);
    let taken = Capture::in_month(month.year, month.month, month.offset_minutes, rng);
    RawSpec {
        body,
        taken,
        edited: taken.later(rng.range(600, 6 * 3600)),
    }
}

/// A preview of `PREVIEW_BYTES`, in one of the sizes that get there at 2.5-4.5 bits per
/// pixel (the fewer pixels, the quicker to encode), else the closest.
pub fn preview(rng: &mut Rng) -> Content {
    const SIZES: &[(u32, u32)] = &[
        (160, 120),
        (240, 160),
        (256, 192),
        (320, 213),
        (320, 240),
        (400, 300),
        (480, 320),
    ];
    let target = rng.skewed(PREVIEW_BYTES.0, PREVIEW_BYTES.1);
    let bpp = |&(w, h): &(u32, u32)| target * 8.0 / (w * h) as f64;
    let fitting: Vec<(u32, u32)> = SIZES
        .iter()
        .copied()
        .filter(|s| (2.5..=4.5).contains(&bpp(s)))
        .collect();
    let size = if fitting.is_empty() {
        // Closest to 3.5 bits per pixel (compared as integers: no float ordering subtleties).
        *SIZES
            .iter()
            .min_by_key(|s| ((bpp(s) - 3.5) * (bpp(s) - 3.5) * 1e6) as u64)
            .unwrap_or(&SIZES[0])
    } else {
        *rng.pick(&fitting)
    };
    Content::Preview {
        width: size.0,
        height: size.1,
        target_bytes: target as u64,
    }
}

/// `Previews/Library Previews.lrdata/H/HH/<uuid>.jpg`.
pub fn preview_path(rng: &mut Rng) -> PathBuf {
    let uuid = rng.uuid();
    PathBuf::from(format!(
        "Previews/Library Previews.lrdata/{}/{}/{uuid}.jpg",
        &uuid[..1],
        &uuid[..2]
    ))
}

/// The plan of the corpus for `(seed, scale)`.
pub fn plan(seed: u64, scale: f64) -> Plan {
    let months = months(seed, scale);
    let mut files = Vec::new();
    // One running number for all originals, as a camera roll counts: no two share a stem.
    let mut number = 1000 + Rng::derive(seed, &[stream::MONTHS, 1]).below(2000) as usize;
    let mut name = |prefix: &str, ext: &str| {
        number += 1;
        format!("{prefix}{number:04}.{ext}")
    };

    let mut photos = Vec::new();
    for i in 0..count(PHOTOS, scale) {
        let mut rng = Rng::derive(seed, &[stream::PHOTO, i as u64]);
        let month = pick_month(&months, &mut rng);
        let spec = photo(&month, &mut rng);
        let path = month.folder().join(name(spec.camera.prefix, "JPG"));
        photos.push((path.clone(), spec.taken));
        files.push(Planned {
            path,
            mtime: spec.taken.utc,
            content: Content::Photo(spec),
            rng,
        });
    }
    for i in 0..count(RAWS, scale) {
        let mut rng = Rng::derive(seed, &[stream::RAW, i as u64]);
        let month = pick_month(&months, &mut rng);
        let spec = raw_spec(&month, &mut rng);
        let (prefix, ext) = raw_name(spec.body);
        let path = month.folder().join(name(prefix, ext));
        files.extend(raw_with_sidecar(path, spec, rng));
    }
    for i in 0..count(HEICS, scale) {
        let mut rng = Rng::derive(seed, &[stream::HEIC, i as u64]);
        let month = pick_month(&months, &mut rng);
        let taken = Capture::in_month(month.year, month.month, month.offset_minutes, &mut rng);
        let size = rng.skewed(HEIC_BYTES.0, HEIC_BYTES.1) as u64;
        files.push(Planned {
            path: month.folder().join(name("IMG_", "HEIC")),
            mtime: taken.utc,
            content: Content::Heic { size },
            rng,
        });
    }
    for i in 0..count(VIDEOS, scale) {
        let mut rng = Rng::derive(seed, &[stream::VIDEO, i as u64]);
        let month = pick_month(&months, &mut rng);
        let taken = Capture::in_month(month.year, month.month, month.offset_minutes, &mut rng);
        let kind = if rng.chance(0.5) {
            Movie::QuickTime
        } else {
            Movie::Mp4
        };
        let size = rng.skewed(VIDEO_BYTES.0, VIDEO_BYTES.1) as u64;
        let prefix = if kind == Movie::QuickTime {
            "MVI_"
        } else {
            "VID_"
        };
        files.push(Planned {
            path: month.folder().join(name(prefix, kind.extension())),
            mtime: taken.utc,
            content: Content::Video { kind, size, taken },
            rng,
        });
    }
    for i in 0..count(PREVIEWS, scale) {
        let mut rng = Rng::derive(seed, &[stream::PREVIEW, i as u64]);
        let path = preview_path(&mut rng);
        // Lightroom rebuilt its previews in the winter of 2023-24.
        let mtime = 1_700_000_000 + rng.below(10_000_000) as i64;
        files.push(Planned {
            path,
            mtime,
            content: preview(&mut rng),
            rng,
        });
    }
    Plan {
        files,
        duplicates: duplicates(seed, &photos),
    }
}

/// About [`DUPLICATE_SHARE`] of the photos again under `Imports/<phone>/<date>/`, named as
/// a phone's camera roll export names them and imported a month later.
fn duplicates(seed: u64, photos: &[(PathBuf, Capture)]) -> Vec<Duplicate> {
    let mut rng = Rng::derive(seed, &[stream::IMPORTS]);
    let phone = *rng.pick(&["iPhone Backup", "Pixel 7", "Galaxy S22"]);
    let wanted = ((photos.len() as f64 * DUPLICATE_SHARE).round() as usize).max(1);
    let mut taken_names = std::collections::HashSet::new();
    rng.sample(photos.len(), wanted)
        .into_iter()
        .map(|i| {
            let (original, taken) = &photos[i];
            let folder = PathBuf::from("Imports")
                .join(phone)
                .join(taken.local_format("%Y-%m-%d"));
            let stem = taken.local_format("IMG_%Y%m%d_%H%M%S");
            let mut copy = folder.join(format!("{stem}.jpg"));
            for n in 1.. {
                if taken_names.insert(copy.clone()) {
                    break;
                }
                copy = folder.join(format!("{stem}_{n}.jpg"));
            }
            Duplicate {
                original: original.clone(),
                copy,
                mtime: taken.utc + 30 * 86_400 + rng.below(3 * 86_400) as i64,
            }
        })
        .collect()
}
