//! The "day 2" change: what happens to a photo library between two backups.
//!
//! New photos arrive in a new month folder (+5% JPEGs, RAWs with sidecars, previews), a
//! photo manager rewrites the EXIF block of 2% of the JPEGs in place (the APP1 segment
//! grows, so everything after it shifts while the image data stays byte for byte the
//! same), 5% of the XMP sidecars are edited, 1% of the originals (a RAW with its sidecar)
//! and 1% of the previews are deleted, and one month folder is renamed after an event.
//! Which files are touched depends only on the tree (its sorted list of files) and the
//! seed, so the same mutation of the same tree gives the same result.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;

use super::capture::{self, Capture, OFFSETS};
use super::exif::{self, Edit};
use super::plan::{self, stream, Content, Month, Planned};
use super::rng::Rng;
use super::{jpeg, write, xmp, MutationStats};

/// Regular files below `root` (no symlinks or other entries), relative, sorted.
pub fn list_files(root: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        for entry in fs::read_dir(root.join(&rel))? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = rel.join(entry.file_name());
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| extensions.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// `ceil(percent% of n)`.
fn share(n: usize, percent: usize) -> usize {
    (n * percent).div_ceil(100)
}

/// `(year, month)` of a month folder `Photos/YYYY/YYYY-MM[ anything]`.
fn month_of(folder: &Path) -> Option<(i32, u32)> {
    let name = folder.file_name()?.to_str()?;
    let (year, month) = (name.get(..4)?.parse().ok()?, name.get(5..7)?.parse().ok()?);
    (name.as_bytes().get(4) == Some(&b'-') && (1..=12).contains(&month)).then_some((year, month))
}

/// Applies the day-2 change to the tree at `root` (see the module doc).
pub fn mutate(root: &Path, seed: u64) -> io::Result<MutationStats> {
    let files = list_files(root)?;
    let in_photos = |p: &&PathBuf| p.starts_with("Photos");
    let jpegs: Vec<&PathBuf> = files
        .iter()
        .filter(in_photos)
        .filter(|p| has_extension(p, &["jpg", "jpeg"]))
        .collect();
    let raws: Vec<&PathBuf> = files
        .iter()
        .filter(in_photos)
        .filter(|p| has_extension(p, &["dng", "cr3"]))
        .collect();
    let heics: Vec<&PathBuf> = files
        .iter()
        .filter(in_photos)
        .filter(|p| has_extension(p, &["heic"]))
        .collect();
    let sidecars: Vec<&PathBuf> = files
        .iter()
        .filter(in_photos)
        .filter(|p| has_extension(p, &["xmp"]))
        .collect();
    let previews: Vec<&PathBuf> = files.iter().filter(|p| p.starts_with("Previews")).collect();

    let mut newest = 1_700_000_000;
    for file in &files {
        let modified = fs::symlink_metadata(root.join(file))?.modified()?;
        if let Ok(since) = modified.duration_since(UNIX_EPOCH) {
            newest = newest.max(since.as_secs() as i64);
        }
    }
    let months: Vec<PathBuf> = {
        let mut set: Vec<PathBuf> = files
            .iter()
            .filter(in_photos)
            .filter_map(|p| p.parent().map(Path::to_path_buf))
            .filter(|d| d.components().count() == 3 && month_of(d).is_some())
            .collect();
        set.sort();
        set.dedup();
        set
    };
    let (year, month) = months
        .iter()
        .filter_map(|d| month_of(d))
        .max()
        .map_or((2025, 1), |(y, m)| capture::next_month(y, m));
    let mut rng = Rng::derive(seed, &[stream::MUTATE]);
    let new_month = Month {
        year,
        month,
        weight: 1,
        offset_minutes: *rng.pick(OFFSETS),
    };
    let new_folder = new_month.folder();
    // Day 2 is after everything in the tree and after the new month's photos were taken
    // (they are taken by the 28th).
    let after = (newest / 86_400 + 1).max(capture::month_start(year, month) / 86_400 + 28);
    let day2 = Capture {
        utc: after * 86_400 + 10 * 3600,
        offset_minutes: new_month.offset_minutes,
    };

    // 1. New photos, RAWs with sidecars and previews.
    let added = new_files(seed, &new_month, jpegs.len(), raws.len(), previews.len());
    let added_bytes: Vec<u64> = added
        .par_iter()
        .map(|f| write::write(root, f))
        .collect::<io::Result<_>>()?;

    // 2. EXIF rewritten in place.
    let mut exif_rewritten = Vec::new();
    for i in rng.sample(jpegs.len(), share(jpegs.len(), 2)) {
        let path = jpegs[i];
        let edit = Edit {
            artist: rng
                .pick(&["Jane Photographer", "A. N. Other", "Studio Lumen"])
                .to_string(),
            copyright: format!("Copyright {year}, all rights reserved"),
            description: format!(
                "{} ({})",
                rng.pick(xmp::EVENTS),
                rng.pick(&["edited", "retouched", "picked for the album", "day 2"])
            ),
            modified: day2,
        };
        rewrite_exif(&root.join(path), &edit)?;
        write::set_mtime(&root.join(path), day2.utc)?;
        exif_rewritten.push(path.clone());
    }

    // 3. Sidecars edited.
    let mut xmp_modified = Vec::new();
    for i in rng.sample(sidecars.len(), share(sidecars.len(), 5)) {
        let path = root.join(sidecars[i]);
        let text = String::from_utf8_lossy(&fs::read(&path)?).into_owned();
        let mut edit_rng = Rng::derive(seed, &[stream::MUTATE, 100, i as u64]);
        fs::write(&path, xmp::edited(&text, &day2, &mut edit_rng))?;
        write::set_mtime(&path, day2.utc)?;
        xmp_modified.push(sidecars[i].clone());
    }

    // 4. Originals (a RAW with its sidecar) and previews deleted; never one just edited.
    let touched: HashSet<&PathBuf> = exif_rewritten.iter().chain(&xmp_modified).collect();
    let originals: Vec<&PathBuf> = jpegs
        .iter()
        .chain(&raws)
        .chain(&heics)
        .copied()
        .filter(|p| !touched.contains(p) && !touched.contains(&p.with_extension("xmp")))
        .collect();
    let mut deleted = Vec::new();
    for i in rng.sample(
        originals.len(),
        share(jpegs.len() + raws.len() + heics.len(), 1),
    ) {
        let path = originals[i];
        fs::remove_file(root.join(path))?;
        deleted.push(path.clone());
        let sidecar = path.with_extension("xmp");
        if has_extension(path, &["dng", "cr3"]) && root.join(&sidecar).is_file() {
            fs::remove_file(root.join(&sidecar))?;
            deleted.push(sidecar);
        }
    }
    for i in rng.sample(previews.len(), share(previews.len(), 1)) {
        fs::remove_file(root.join(previews[i]))?;
        deleted.push(previews[i].clone());
    }

    // 5. One month folder renamed, e.g. `2019-05` to `2019-05 Lisbon`: preferably one
    // whose files were not edited in place, so those keep their paths.
    let unrenamed: Vec<&PathBuf> = months
        .iter()
        .filter(|d| {
            let name = d.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| !n.contains(' ')) && root.join(d).is_dir()
        })
        .collect();
    let untouched: Vec<&PathBuf> = unrenamed
        .iter()
        .copied()
        .filter(|d| !touched.iter().any(|t| t.starts_with(d)))
        .collect();
    let candidates = if untouched.is_empty() {
        unrenamed
    } else {
        untouched
    };
    let mut renamed = None;
    if !candidates.is_empty() {
        let from = (*rng.pick(&candidates)).clone();
        let mut to = from.clone().into_os_string();
        to.push(format!(" {}", rng.pick(xmp::EVENTS)));
        let to = PathBuf::from(to);
        fs::rename(root.join(&from), root.join(&to))?;
        let moved = |p: PathBuf| match p.strip_prefix(&from) {
            Ok(rest) => to.join(rest),
            Err(_) => p,
        };
        exif_rewritten = exif_rewritten.into_iter().map(moved).collect();
        xmp_modified = xmp_modified.into_iter().map(moved).collect();
        renamed = Some((from, to));
    }

    Ok(MutationStats {
        new_folder,
        added: added.into_iter().map(|f| f.path).collect(),
        added_bytes: added_bytes.iter().sum(),
        exif_rewritten,
        xmp_modified,
        deleted,
        renamed,
    })
}

/// The new files of day 2: about 5% more photos, RAWs (with sidecars) and previews, the
/// originals in `month`.
fn new_files(seed: u64, month: &Month, jpegs: usize, raws: usize, previews: usize) -> Vec<Planned> {
    let mut files = Vec::new();
    let mut number = 9000;
    for i in 0..share(jpegs, 5) {
        let mut rng = Rng::derive(seed, &[stream::MUTATE, stream::PHOTO, i as u64]);
        let spec = plan::photo(month, &mut rng);
        number += 1;
        files.push(Planned {
            path: month
                .folder()
                .join(format!("{}{number:04}.JPG", spec.camera.prefix)),
            mtime: spec.taken.utc,
            content: Content::Photo(spec),
            rng,
        });
    }
    for i in 0..share(raws, 5) {
        let mut rng = Rng::derive(seed, &[stream::MUTATE, stream::RAW, i as u64]);
        let spec = plan::raw_spec(month, &mut rng);
        number += 1;
        let (prefix, ext) = plan::raw_name(spec.body);
        let path = month.folder().join(format!("{prefix}{number:04}.{ext}"));
        files.extend(plan::raw_with_sidecar(path, spec, rng));
    }
    for i in 0..share(previews, 5) {
        let mut rng = Rng::derive(seed, &[stream::MUTATE, stream::PREVIEW, i as u64]);
        let path = plan::preview_path(&mut rng);
        files.push(Planned {
            path,
            mtime: capture::month_start(month.year, month.month) + 28 * 86_400,
            content: plan::preview(&mut rng),
            rng,
        });
    }
    files
}

/// Rewrites the EXIF block of the JPEG at `path` with `edit`, keeping everything else.
fn rewrite_exif(path: &Path, edit: &Edit) -> io::Result<()> {
    let old = fs::read(path)?;
    let tiff = match jpeg::exif_payload(&old)? {
        Some(payload) => exif::edited_tiff(payload, edit)?,
        None => exif::edit_only_tiff(edit)?,
    };
    fs::write(path, jpeg::with_exif(&old, &tiff)?)
}
