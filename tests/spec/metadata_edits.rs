//! Metadata edits cost kilobytes, not a tenth of the photo: under the container chunking
//! scheme (the default for new repositories, SPEC §12.5) a keyword and a rating written by
//! exiftool into a JPEG, HEIC, MP4, DNG or PNG made by real tools add at most 64 KiB to the
//! repository. Plain repositories keep cutting plain; `copy` cuts by the target's scheme;
//! broken containers are cut plain and still restore byte for byte.
//!
//! The real-file specifications need exiftool (libimage-exiftool-perl), ffmpeg and heif-enc
//! (libheif-examples); without one, they say SKIPPED on stderr, naming what is missing.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use photovault_core::chunk::{container, Chunker, ChunkerParams, ChunkingScheme};

use crate::support::*;

const KIB: u64 = 1024;

fn data_added(summary: &serde_json::Value) -> u64 {
    summary["data_added"]
        .as_u64()
        .unwrap_or_else(|| panic!("no data_added in {summary}"))
}

/// Whether `tool` is installed; if not, says loudly which test is skipped and what to install.
fn have(tool: &str, package: &str, test: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!(
            "SKIPPED: {test} needs {tool}, which is not installed (apt-get install {package})"
        );
    }
    found
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn text(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A noisy 12 MP photo as a camera writes it (EXIF with a thumbnail): about 5 MB.
fn camera_jpeg(dir: &Path) -> PathBuf {
    let photo = dir.join("IMG_0001.JPG");
    let thumb = dir.join("thumb.jpg");
    run(
        "ffmpeg",
        &[
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "nullsrc=s=3200x2400,geq=random(1)*255:128+30*sin(X/50):128",
            "-frames:v",
            "1",
            "-q:v",
            "2",
            text(&photo),
        ],
    );
    run(
        "ffmpeg",
        &[
            "-loglevel",
            "error",
            "-y",
            "-i",
            text(&photo),
            "-vf",
            "scale=160:120",
            text(&thumb),
        ],
    );
    run(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            &format!("-ThumbnailImage<={}", text(&thumb)),
            "-Make=Canon",
            "-Model=Canon EOS R6",
            "-DateTimeOriginal=2021:06:15 10:20:30",
            "-ISO=200",
            text(&photo),
        ],
    );
    fs::remove_file(thumb).unwrap();
    photo
}

/// The edit a photo manager makes: a 1 KiB keyword and a rating, in place.
fn tag_and_rate(file: &Path) {
    let keyword = format!("-XMP-dc:Subject+={}", "k".repeat(1024));
    let before = fs::read(file).unwrap();
    run(
        "exiftool",
        &[
            "-q",
            "-overwrite_original",
            &keyword,
            "-Rating=4",
            text(file),
        ],
    );
    assert_ne!(fs::read(file).unwrap(), before, "exiftool changed nothing");
}

/// Backs up `file` (alone in its folder) into a fresh container repository, edits it with
/// exiftool, backs up again, and checks what the second backup added and the restore.
fn edit_costs_at_most_64_kib(make: impl FnOnce(&Path) -> PathBuf) {
    let s = Scratch::with_repo();
    let library = s.path("library");
    fs::create_dir(&library).unwrap();
    let file = make(&library);
    let size = fs::metadata(&file).unwrap().len();
    assert!(size > 4_000_000, "{} is only {size} bytes", file.display());
    s.pv.backup(&[&library], &[]);
    tag_and_rate(&file);
    let edited = s.pv.backup(&[&library], &[]);
    let added = data_added(&edited);
    assert!(
        added <= 64 * KIB,
        "editing {} ({size} bytes) added {added} bytes: {edited}",
        file.display()
    );
    let target = s.path("target");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&library, &restored_path(&target, &library));
}

#[test]
fn a_jpeg_tagged_and_rated_by_exiftool_costs_at_most_64_kib() {
    let test = "a_jpeg_tagged_and_rated_by_exiftool_costs_at_most_64_kib";
    if !have("ffmpeg", "ffmpeg", test) || !have("exiftool", "libimage-exiftool-perl", test) {
        return;
    }
    edit_costs_at_most_64_kib(camera_jpeg);
}

#[test]
fn a_heic_tagged_and_rated_by_exiftool_costs_at_most_64_kib() {
    let test = "a_heic_tagged_and_rated_by_exiftool_costs_at_most_64_kib";
    if !have("ffmpeg", "ffmpeg", test)
        || !have("exiftool", "libimage-exiftool-perl", test)
        || !have("heif-enc", "libheif-examples", test)
    {
        return;
    }
    edit_costs_at_most_64_kib(|dir| {
        let scratch = tempfile::tempdir().unwrap();
        let jpeg = camera_jpeg(scratch.path());
        let heic = dir.join("IMG_0002.HEIC");
        run(
            "heif-enc",
            &[
                "-q",
                "90",
                "-p",
                "preset=ultrafast",
                "-o",
                text(&heic),
                text(&jpeg),
            ],
        );
        heic
    });
}

#[test]
fn an_mp4_tagged_and_rated_by_exiftool_costs_at_most_64_kib() {
    let test = "an_mp4_tagged_and_rated_by_exiftool_costs_at_most_64_kib";
    if !have("ffmpeg", "ffmpeg", test) || !have("exiftool", "libimage-exiftool-perl", test) {
        return;
    }
    edit_costs_at_most_64_kib(|dir| {
        // As cameras write them: ftyp, mdat, and moov at the end (exiftool moves it first).
        let clip = dir.join("CLIP0001.MP4");
        run(
            "ffmpeg",
            &[
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=s=1280x720:r=30,noise=alls=40:allf=t",
                "-t",
                "4",
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-b:v",
                "16M",
                "-pix_fmt",
                "yuv420p",
                text(&clip),
            ],
        );
        clip
    });
}

#[test]
fn a_dng_tagged_and_rated_by_exiftool_costs_at_most_64_kib() {
    let test = "a_dng_tagged_and_rated_by_exiftool_costs_at_most_64_kib";
    if !have("ffmpeg", "ffmpeg", test) || !have("exiftool", "libimage-exiftool-perl", test) {
        return;
    }
    edit_costs_at_most_64_kib(|dir| {
        // 16-bit image strips behind TIFF IFDs with DNG tags: a DNG's layout.
        let tiff = dir.join("IMG_0003.tif");
        run(
            "ffmpeg",
            &[
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "nullsrc=s=1600x1200,geq=random(1)*255:128+30*sin(X/50):128",
                "-frames:v",
                "1",
                "-pix_fmt",
                "rgb48le",
                "-compression_algo",
                "raw",
                text(&tiff),
            ],
        );
        run(
            "exiftool",
            &[
                "-q",
                "-overwrite_original",
                "-DNGVersion=1.4.0.0",
                "-Make=Canon",
                "-Model=Canon EOS R6",
                "-DateTimeOriginal=2021:06:15 10:20:30",
                text(&tiff),
            ],
        );
        let dng = dir.join("IMG_0003.DNG");
        fs::rename(&tiff, &dng).unwrap();
        dng
    });
}

#[test]
fn a_png_tagged_and_rated_by_exiftool_costs_at_most_64_kib() {
    let test = "a_png_tagged_and_rated_by_exiftool_costs_at_most_64_kib";
    if !have("ffmpeg", "ffmpeg", test) || !have("exiftool", "libimage-exiftool-perl", test) {
        return;
    }
    edit_costs_at_most_64_kib(|dir| {
        let png = dir.join("scan.png");
        run(
            "ffmpeg",
            &[
                "-loglevel",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "nullsrc=s=1600x1200,geq=random(1)*255:128+30*sin(X/50):128",
                "-frames:v",
                "1",
                text(&png),
            ],
        );
        png
    });
}

/// A JPEG's structure around random image data: SOI, an APP1 "Exif" segment of
/// `exif_len` bytes, DQT, then `image_len` bytes.
pub(crate) fn synthetic_jpeg(exif_len: usize, image_len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&((exif_len + 8) as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&random_bytes(exif_len, seed));
    out.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43]);
    out.extend_from_slice(&random_bytes(65 + image_len, 7));
    out
}

fn config_of(pv: &Pvault) -> serde_json::Value {
    pv.ok(["cat", "config"]).json()
}

/// Backs up a synthetic JPEG, grows its EXIF block in place, backs up again: the bytes added.
fn exif_growth_cost(pv: &Pvault, library: &Path) -> u64 {
    fs::create_dir_all(library).unwrap();
    let photo = library.join("IMG_0001.JPG");
    fs::write(&photo, synthetic_jpeg(20_000, 3_000_000, 1)).unwrap();
    pv.backup(&[library], &[]);
    fs::write(&photo, synthetic_jpeg(21_000, 3_000_000, 2)).unwrap();
    data_added(&pv.backup(&[library], &[]))
}

#[test]
fn new_repositories_cut_by_container_parts_and_plain_ones_keep_cutting_plain() {
    let s = Scratch::with_repo();
    assert_eq!(config_of(&s.pv)["chunking"], "container");
    let container_cost = exif_growth_cost(&s.pv, &s.path("a"));
    assert!(container_cost < 32 * KIB, "container: {container_cost}");

    let plain = Scratch::new();
    plain.pv.init_with(&["--chunking", "plain"]);
    let config = config_of(&plain.pv);
    assert!(config.get("chunking").is_none(), "{config}");
    // The plain repository's writer keeps cutting plain: the image's first chunk is new.
    let plain_cost = exif_growth_cost(&plain.pv, &plain.path("a"));
    assert!(plain_cost > 64 * KIB, "plain: {plain_cost}");

    let bad = Scratch::new();
    let refused = bad.pv.run(["init", "--chunking", "fancy"]);
    assert_ne!(refused.code, 0, "{refused}");
}

#[test]
fn copy_cuts_files_by_the_targets_scheme_and_init_from_a_source_takes_its_scheme() {
    let s = Scratch::new();
    s.pv.init_with(&["--chunking", "plain"]);
    let library = s.path("library");
    fs::create_dir(&library).unwrap();
    let photo = library.join("IMG_0001.JPG");
    fs::write(&photo, synthetic_jpeg(20_000, 3_000_000, 1)).unwrap();
    s.pv.backup(&[&library], &["--host", "laptop"]);

    let password_file = s.path("source-password");
    fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let second = |name: &str, extra: &[&str]| {
        let pv = Pvault::new(
            env!("CARGO_BIN_EXE_pvault"),
            s.path(name),
            s.path(&format!("{name}-cache")),
            "another password",
        );
        let mut args = extra.to_vec();
        if !extra.is_empty() {
            args.extend(["--from-password-file", text(&password_file)]);
        }
        pv.init_with(&args);
        pv
    };
    // A container target cuts the copied photo by parts: the edited photo backed up into
    // it afterwards costs its metadata only.
    let target = second("container", &[]);
    target.ok([
        "copy",
        "--from-repo",
        text(s.pv.repo()),
        "--from-password-file",
        text(&password_file),
    ]);
    fs::write(&photo, synthetic_jpeg(21_000, 3_000_000, 2)).unwrap();
    let after = target.backup(&[&library], &["--host", "laptop"]);
    assert!(data_added(&after) < 32 * KIB, "{after}");

    // A repository made with the source's chunker parameters cuts as the source does.
    let twin = second("twin", &["--copy-chunker-params-from", text(s.pv.repo())]);
    assert!(config_of(&twin).get("chunking").is_none());
    let conflicting = Pvault::new(
        env!("CARGO_BIN_EXE_pvault"),
        s.path("conflict"),
        s.path("conflict-cache"),
        "another password",
    );
    let refused = conflicting.run([
        "init",
        "--copy-chunker-params-from",
        text(s.pv.repo()),
        "--from-password-file",
        text(&password_file),
        "--chunking",
        "container",
    ]);
    assert!(refused.stderr.contains("--chunking"), "{refused}");
    assert_ne!(refused.code, 0, "{refused}");
}

/// Files that look like containers but are broken, each larger than a chunk.
fn broken_containers() -> Vec<(&'static str, Vec<u8>)> {
    // A JPEG cut short inside its metadata: two 60 000-byte APP segments, cut at 100 000.
    let mut truncated = synthetic_jpeg(60_000, 0, 1);
    truncated.splice(
        2..2,
        [&[0xFF, 0xE2, 0xEA, 0x62][..], &random_bytes(60_000, 2)].concat(),
    );
    truncated.truncate(100_000);
    // An MP4 whose mdat claims more bytes than the file holds.
    let mut mp4 = b"\0\0\0\x18ftypisom\0\0\0\0isomiso2".to_vec();
    mp4.extend_from_slice(&1_000_000u32.to_be_bytes());
    mp4.extend_from_slice(b"mdat");
    mp4.extend_from_slice(&random_bytes(400_000, 4));
    // A TIFF whose IFD names itself as the next IFD.
    let mut tiff = random_bytes(300_000, 5);
    tiff[..8].copy_from_slice(b"II*\0\x08\0\0\0");
    tiff[8..10].copy_from_slice(&1u16.to_le_bytes());
    tiff[10..22].copy_from_slice(&[0x11, 0x01, 4, 0, 1, 0, 0, 0, 0, 0x10, 0, 0]);
    tiff[22..26].copy_from_slice(&8u32.to_le_bytes());
    // Garbage after a JPEG signature.
    let garbage = [b"\xFF\xD8\xFF".as_slice(), &random_bytes(300_000, 6)].concat();
    vec![
        ("truncated.jpg", truncated),
        ("past-eof.mp4", mp4),
        ("ifd-loop.dng", tiff),
        ("garbage.jpg", garbage),
    ]
}

#[test]
fn broken_containers_are_cut_plain_and_still_restore_byte_for_byte() {
    let chunker = Chunker::new(ChunkerParams::default(), 42);
    let parts = chunker.clone().with_scheme(ChunkingScheme::Container);
    let s = Scratch::with_repo();
    let library = s.path("library");
    fs::create_dir(&library).unwrap();
    for (name, bytes) in broken_containers() {
        assert_eq!(
            container::cut_points(&bytes[..], 64 * 1024),
            Vec::<u64>::new(),
            "{name}"
        );
        assert_eq!(
            parts.file_chunk_lengths(&bytes),
            chunker.chunk_lengths(&bytes),
            "{name}"
        );
        fs::write(library.join(name), bytes).unwrap();
    }
    let summary = s.pv.backup(&[&library], &[]);
    assert_eq!(summary["errors"], 0, "{summary}");
    let target = s.path("target");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&library, &restored_path(&target, &library));
    s.pv.ok(["check", "--read-data"]);
}
