//! Turning planned files into files on disk: each kind's bytes, then the mtime.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use filetime::FileTime;

use super::exif::{self, Shot};
use super::jpeg;
use super::plan::{Content, PhotoSpec, Planned, RawSpec};
use super::{bmff, raw, xmp};

/// Writes `file` below `root` (making its folder) and sets its mtime; returns its size.
pub fn write(root: &Path, file: &Planned) -> io::Result<u64> {
    let path = root.join(&file.path);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut rng = file.rng.clone();
    let size = match &file.content {
        Content::Photo(spec) => put(&path, &photo(spec, &mut rng)?)?,
        Content::Raw(spec) => {
            let shot = raw_shot(spec, &mut rng);
            put(&path, &raw::raw_file(spec.body, &shot, &mut rng)?)?
        }
        Content::Sidecar(spec) => {
            let text = xmp::sidecar(
                spec.body.make,
                spec.body.model,
                &spec.taken,
                &spec.edited,
                &mut rng,
            );
            put(&path, text.as_bytes())?
        }
        Content::Heic { size } => put(&path, &bmff::heic(*size, &mut rng))?,
        Content::Video { kind, size, taken } => {
            let mut out = BufWriter::new(File::create(&path)?);
            bmff::write_movie(&mut out, *kind, *size, taken, &mut rng)?;
            out.flush()?;
            *size
        }
        Content::Preview {
            width,
            height,
            target_bytes,
        } => {
            let jpeg = jpeg::picture_of_size(
                *width,
                *height,
                *target_bytes,
                jpeg::PREVIEW_QUALITY,
                rng.range(0, 6) as u32,
                &rng,
            )?;
            put(&path, &jpeg)?
        }
    };
    set_mtime(&path, file.mtime)?;
    Ok(size)
}

fn put(path: &Path, bytes: &[u8]) -> io::Result<u64> {
    fs::write(path, bytes)?;
    Ok(bytes.len() as u64)
}

/// Sets a file's access and modification times to `secs` (Unix time).
pub fn set_mtime(path: &Path, secs: i64) -> io::Result<()> {
    let t = FileTime::from_unix_time(secs, 0);
    filetime::set_file_times(path, t, t)
}

/// A photo's bytes: the picture, then its EXIF block spliced in after SOI.
pub fn photo(spec: &PhotoSpec, rng: &mut super::rng::Rng) -> io::Result<Vec<u8>> {
    let camera = spec.camera;
    // Cameras and phones embed a 160-pixel preview in EXIF (IFD1); viewers and photovault's
    // thumbnail tier use it instead of decoding the photo.
    let (pixels, thumbnail) = jpeg::picture_and_thumbnail(
        spec.width,
        spec.height,
        spec.target_bytes,
        jpeg::PHOTO_QUALITY,
        spec.shapes,
        &rng.child(0),
        true,
    )?;
    let shot = Shot {
        make: camera.make,
        model: camera.model,
        software: camera.software,
        taken: spec.taken,
        with_offset: camera.phone,
        width: spec.width,
        height: spec.height,
        iso: spec.iso,
        shutter: spec.shutter,
        f_tenths: spec.f_tenths,
        focal_tenths: spec.focal_tenths,
        unique_id: format!("{:016X}{:016X}", rng.next_u64(), rng.next_u64()),
        little_endian: camera.little_endian,
    };
    jpeg::with_exif(&pixels, &exif::shot_tiff(&shot, thumbnail.as_deref())?)
}

fn raw_shot(spec: &RawSpec, rng: &mut super::rng::Rng) -> Shot<'static> {
    Shot {
        make: spec.body.make,
        model: spec.body.model,
        software: "1.0.0",
        taken: spec.taken,
        with_offset: spec.body.container == raw::Container::Cr3,
        width: spec.body.width,
        height: spec.body.height,
        iso: *rng.pick(&[100, 200, 400, 800, 1600, 6400]),
        shutter: *rng.pick(&[60, 125, 250, 500, 1000]),
        f_tenths: *rng.pick(&[14, 20, 28, 40, 56, 80]),
        focal_tenths: rng.range(160, 2000) as u32,
        unique_id: format!("{:016X}{:016X}", rng.next_u64(), rng.next_u64()),
        little_endian: true,
    }
}
