//! A photo-library-like corpus, the same bytes every time: what photovault's tests and
//! benchmarks back up.
//!
//! Backup tools behave differently on photos than on source code: most bytes are already
//! compressed, files are large, EXIF blocks get rewritten in place, sidecars change often,
//! duplicates come from imports, and a preview cache adds thousands of small files. A
//! corpus that has all of this, generated from a seed, lets tests assert on deduplication
//! and compression and lets benchmarks be compared across machines, without shipping
//! gigabytes of photos or depending on tools outside the repository.
//!
//! At scale 1 (seed 1: 3.49 GB in 20,586 files; every count scales, file sizes do not):
//!
//! | where | what |
//! |---|---|
//! | `Photos/YYYY/YYYY-MM/` | 400 JPEGs (1.5-6 MB, quality 92, noise-textured so they do not compress; EXIF Make, Model, DateTimeOriginal, and OffsetTimeOriginal from phones) |
//! | | 40 RAW files `.DNG`/`.CR3` (20-30 MB of 14-bit samples in 16-bit words; zstd -3 ratio about 1.3-1.7), each with an `.xmp` sidecar |
//! | | 60 HEIC stills (`ftyp` brand `heic`, 1-3.5 MB) and 6 videos `.MOV`/`.MP4` (50-200 MB, incompressible, `mvhd` dated) |
//! | `Imports/<phone>/YYYY-MM-DD/` | 10% of the JPEGs again, byte-identical, under camera-roll names |
//! | `Previews/Library Previews.lrdata/H/HH/` | 20,000 JPEG thumbnails of 5-40 KB |
//!
//! Files' mtimes are their capture times (UTC); photos are dated 2016-2024. The same
//! `(seed, scale)` gives a byte-identical tree with the same mtimes whatever the number of
//! threads: every file's bytes come from its own seeded generator (`rng.rs`), and
//! [`generate`] only decides the order work is done in. [`mutate()`] applies a "day 2"
//! change (see `mutate.rs`).

mod bmff;
mod capture;
mod exif;
mod jpeg;
mod mutate;
mod picture;
mod plan;
mod raw;
pub(crate) mod rng;
mod write;
mod xmp;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use mutate::list_files;

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorpusStats {
    /// All files, duplicates included.
    pub files: usize,
    /// Their total size in bytes.
    pub bytes: u64,
    pub photos: usize,
    pub raws: usize,
    pub sidecars: usize,
    pub heics: usize,
    pub videos: usize,
    pub previews: usize,
    /// Copies under `Imports/`.
    pub duplicates: usize,
}

/// What [`mutate`] did. Paths are relative to the corpus root; those of edited files are
/// where the files are now (after the rename), those of deleted files where they were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MutationStats {
    /// The new month folder (`Photos/YYYY/YYYY-MM`).
    pub new_folder: PathBuf,
    /// New files: photos, RAWs and their sidecars in `new_folder`, and previews.
    pub added: Vec<PathBuf>,
    pub added_bytes: u64,
    /// JPEGs whose EXIF block was rewritten in place.
    pub exif_rewritten: Vec<PathBuf>,
    /// XMP sidecars edited.
    pub xmp_modified: Vec<PathBuf>,
    /// Originals, sidecars of deleted RAWs, and previews.
    pub deleted: Vec<PathBuf>,
    /// The month folder renamed, from and to.
    pub renamed: Option<(PathBuf, PathBuf)>,
}

/// Generates the corpus of `(seed, scale)` into `dir`, which must be missing or empty.
/// Runs on the current rayon pool; the result does not depend on its size.
pub fn generate(dir: &Path, seed: u64, scale: f64) -> io::Result<CorpusStats> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("scale must be a positive number, not {scale}"),
        ));
    }
    if dir.exists() && fs::read_dir(dir)?.next().is_some() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not empty", dir.display()),
        ));
    }
    fs::create_dir_all(dir)?;
    let plan = plan::plan(seed, scale);

    // Largest first, so no thread is left with a video at the end.
    let mut order: Vec<&plan::Planned> = plan.files.iter().collect();
    order.sort_by_key(|f| std::cmp::Reverse(rank(&f.content)));
    let sizes: Vec<u64> = order
        .par_iter()
        .map(|f| write::write(dir, f))
        .collect::<io::Result<_>>()?;

    let mut stats = CorpusStats {
        files: sizes.len(),
        bytes: sizes.iter().sum(),
        ..CorpusStats::default()
    };
    for file in &plan.files {
        match file.content {
            plan::Content::Photo(_) => stats.photos += 1,
            plan::Content::Raw(_) => stats.raws += 1,
            plan::Content::Sidecar(_) => stats.sidecars += 1,
            plan::Content::Heic { .. } => stats.heics += 1,
            plan::Content::Video { .. } => stats.videos += 1,
            plan::Content::Preview { .. } => stats.previews += 1,
        }
    }
    for dup in &plan.duplicates {
        let copy = dir.join(&dup.copy);
        if let Some(parent) = copy.parent() {
            fs::create_dir_all(parent)?;
        }
        stats.bytes += fs::copy(dir.join(&dup.original), &copy)?;
        write::set_mtime(&copy, dup.mtime)?;
        stats.files += 1;
        stats.duplicates += 1;
    }
    Ok(stats)
}

/// Rough cost of writing a file, for ordering work.
fn rank(content: &plan::Content) -> u8 {
    match content {
        plan::Content::Video { .. } => 5,
        plan::Content::Raw(_) => 4,
        plan::Content::Photo(_) => 3,
        plan::Content::Heic { .. } => 2,
        plan::Content::Sidecar(_) => 1,
        plan::Content::Preview { .. } => 0,
    }
}

/// Applies the "day 2" change to the corpus (or any tree) at `dir`: new photos in a new
/// month folder, EXIF blocks rewritten in place, sidecars edited, originals and previews
/// deleted, a month folder renamed. The same tree and seed give the same result.
pub fn mutate(dir: &Path, seed: u64) -> io::Result<MutationStats> {
    mutate::mutate(dir, seed)
}
