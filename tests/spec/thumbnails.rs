//! Thumbnails as a tier of their own (SPEC §16.6): made at backup for photos and videos
//! whose content is new, named after that content so files with the same content share one,
//! kept by prune exactly as long as a kept snapshot has the content, carried by copy, added
//! later by `pvault thumbnails`, and never in the way of a restore.

use std::fs;
use std::path::Path;
use std::process::Command;

use image::ImageEncoder;
use photovault_core::{IndexedRepository, NodeKind};

use crate::support::*;

/// A JPEG of `width` by `height` pixels with a gradient, as an editor exports it (no EXIF
/// thumbnail: backup decodes it).
fn jpeg(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x % 251) as u8 ^ seed,
            (y % 241) as u8,
            ((x + y) % 239) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(
            image.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A library: two photos to make thumbnails of, one as small as a thumbnail, a duplicate,
/// and a file that is no photo.
fn library(dir: &Path) {
    fs::create_dir_all(dir.join("2024/trip")).unwrap();
    fs::write(dir.join("2024/IMG_0001.JPG"), jpeg(1600, 1000, 1)).unwrap();
    fs::write(dir.join("2024/trip/IMG_0002.JPG"), jpeg(900, 1200, 2)).unwrap();
    fs::write(dir.join("2024/trip/IMG_0002 copy.JPG"), jpeg(900, 1200, 2)).unwrap();
    fs::write(dir.join("2024/icon.jpg"), jpeg(200, 120, 3)).unwrap();
    fs::write(dir.join("2024/notes.txt"), "not a photo\n".repeat(100)).unwrap();
}

/// The node of `path` (below the snapshot's root folder) in the latest snapshot.
fn node(repo: &IndexedRepository, path: &Path) -> photovault_core::Node {
    let latest = repo.find_snapshot("latest").unwrap();
    let node = repo
        .find_path(&latest.snapshot, path.to_str().unwrap())
        .unwrap();
    assert_eq!(node.kind, NodeKind::File);
    node
}

/// The thumbnail the repository keeps of the file at `path`, decoded: its size.
fn thumbnail_size(repo: &IndexedRepository, path: &Path) -> Option<(u32, u32)> {
    let node = node(repo, path);
    let jpeg = repo.read_thumbnail(&node.content).unwrap()?;
    let image = image::load_from_memory_with_format(&jpeg, image::ImageFormat::Jpeg)
        .expect("a stored thumbnail is a JPEG");
    Some((image.width(), image.height()))
}

#[test]
fn backup_stores_a_thumbnail_per_new_photo_content_and_restore_ignores_them() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos);
    let summary = s.pv.backup(&[&photos], &[]);
    // Two contents need one (the copy shares its original's); the icon is its own.
    assert_eq!(summary["thumbnails_added"], 2, "{summary}");

    let (repo, key) = open_with_key(s.pv.repo());
    assert_eq!(
        thumbnail_size(&repo, &photos.join("2024/IMG_0001.JPG")),
        Some((320, 200))
    );
    assert_eq!(
        thumbnail_size(&repo, &photos.join("2024/trip/IMG_0002.JPG")),
        Some((240, 320))
    );
    assert_eq!(
        thumbnail_size(&repo, &photos.join("2024/trip/IMG_0002 copy.JPG")),
        Some((240, 320))
    );
    assert_eq!(thumbnail_size(&repo, &photos.join("2024/icon.jpg")), None);
    assert_eq!(thumbnail_size(&repo, &photos.join("2024/notes.txt")), None);

    // Thumbnails live in packs of their own.
    let photo = node(&repo, &photos.join("2024/IMG_0001.JPG"));
    let thumbnail_pack = repo
        .find_blob(&key.thumbnail_id(&photo.content))
        .unwrap()
        .expect("indexed")
        .pack;
    for id in &photo.content {
        assert_ne!(repo.find_blob(id).unwrap().unwrap().pack, thumbnail_pack);
    }

    // The same photos again under other names: nothing new to make.
    let again = s.path("Again");
    copy_tree(&photos, &again);
    let summary = s.pv.backup(&[&again], &[]);
    assert_eq!(summary["thumbnails_added"], 0, "{summary}");

    s.pv.ok(["check", "--read-data"]);
    let target = s.path("restored");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_content(&again, &restored_path(&target, &again));
}

#[test]
fn no_thumbnails_then_pvault_thumbnails_adds_the_missing_ones_once() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos);
    let summary = s.pv.backup(&[&photos], &["--no-thumbnails"]);
    assert_eq!(summary["thumbnails_added"], 0, "{summary}");
    let (repo, _) = open_with_key(s.pv.repo());
    assert_eq!(
        thumbnail_size(&repo, &photos.join("2024/IMG_0001.JPG")),
        None
    );

    let added = s.pv.ok(["--json", "thumbnails"]).last_json();
    assert_eq!(added["added"], 2, "{added}");
    assert_eq!(added["small"], 1, "{added}");
    assert_eq!(added["media_files"], 3, "{added}");
    let (repo, _) = open_with_key(s.pv.repo());
    assert_eq!(
        thumbnail_size(&repo, &photos.join("2024/IMG_0001.JPG")),
        Some((320, 200))
    );

    let again = s.pv.ok(["--json", "thumbnails", "latest"]).last_json();
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(again["present"], 2, "{again}");
    s.pv.ok(["check", "--read-data"]);
}

#[test]
fn prune_keeps_a_thumbnail_exactly_as_long_as_a_kept_snapshot_has_its_content() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos);
    let first = s.pv.backup(&[&photos], &[]);
    let (repo, key) = open_with_key(s.pv.repo());
    let kept = node(&repo, &photos.join("2024/IMG_0001.JPG"));
    let gone = node(&repo, &photos.join("2024/trip/IMG_0002.JPG"));

    // The second snapshot no longer has IMG_0002 (nor its copy).
    fs::remove_dir_all(photos.join("2024/trip")).unwrap();
    s.pv.backup(&[&photos], &[]);
    s.pv.ok([
        "forget",
        first["snapshot_id"].as_str().unwrap(),
        "--allow-last-copy-loss",
        "--prune",
    ]);

    let (repo, _) = open_with_key(s.pv.repo());
    assert!(repo.read_thumbnail(&kept.content).unwrap().is_some());
    assert!(repo.read_thumbnail(&gone.content).unwrap().is_none());
    assert!(repo
        .find_blob(&key.thumbnail_id(&gone.content))
        .unwrap()
        .is_none());
    s.pv.ok(["check", "--read-data"]);
}

#[test]
fn a_copy_shows_the_same_thumbnails_whether_cut_again_or_blob_for_blob() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos);
    s.pv.backup(&[&photos], &[]);
    let (source, _) = open_with_key(s.pv.repo());
    let original = source
        .read_thumbnail(&node(&source, &photos.join("2024/IMG_0001.JPG")).content)
        .unwrap()
        .unwrap();

    for (name, init) in [
        ("unrelated", vec![]),
        ("related", vec!["--copy-chunker-params-from", "SOURCE"]),
    ] {
        let target = Pvault::new(
            env!("CARGO_BIN_EXE_pvault"),
            s.path(name),
            s.path(&format!("{name}-cache")),
            PASSWORD,
        )
        .with_env("PVAULT_FROM_PASSWORD", PASSWORD);
        let init: Vec<&str> = init
            .iter()
            .map(|a| {
                if *a == "SOURCE" {
                    s.pv.repo().to_str().unwrap()
                } else {
                    a
                }
            })
            .collect();
        target.init_with(&init);
        target.ok(["copy", "--from-repo", s.pv.repo().to_str().unwrap()]);
        let (copy, _) = open_with_key(target.repo());
        let shown = copy
            .read_thumbnail(&node(&copy, &photos.join("2024/IMG_0001.JPG")).content)
            .unwrap();
        assert_eq!(shown.as_deref(), Some(&original[..]), "{name}");
        target.ok(["check", "--read-data"]);
    }
}

#[test]
fn a_video_gets_its_first_frame_where_ffmpeg_is_installed() {
    let ffmpeg = Command::new("ffmpeg").arg("-version").output();
    if !ffmpeg.is_ok_and(|o| o.status.success()) {
        eprintln!(
            "\n### SKIPPED: video thumbnails, because ffmpeg is not installed \
             (apt-get install ffmpeg) ###\n"
        );
        return;
    }
    let s = Scratch::with_repo();
    let videos = s.path("Videos");
    fs::create_dir_all(&videos).unwrap();
    let made = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=640x360:rate=10:duration=1",
        ])
        .args(["-pix_fmt", "yuv420p", "-c:v", "mpeg4"])
        .arg(videos.join("clip.mp4"))
        .status()
        .unwrap();
    assert!(made.success());
    let summary = s.pv.backup(&[&videos], &[]);
    assert_eq!(summary["thumbnails_added"], 1, "{summary}");
    let (repo, _) = open_with_key(s.pv.repo());
    assert_eq!(
        thumbnail_size(&repo, &videos.join("clip.mp4")),
        Some((320, 180))
    );

    // With the programs turned off, the same video gets none (viewers draw a placeholder).
    let s = Scratch::with_repo();
    let pv = s.pv.with_env("PVAULT_THUMBNAIL_PROGRAMS", "0");
    let summary = pv.backup(&[&videos], &[]);
    assert_eq!(summary["thumbnails_added"], 0, "{summary}");
}

#[test]
fn a_heic_photo_gets_one_through_libheif_where_heif_thumbnailer_is_installed() {
    let installed = |tool: &str| {
        Command::new(tool)
            .arg("--help")
            .output()
            .is_ok_and(|o| !o.stdout.is_empty() || !o.stderr.is_empty())
    };
    if !installed("heif-enc") || !installed("heif-thumbnailer") {
        eprintln!(
            "\n### SKIPPED: HEIC thumbnails, because heif-enc or heif-thumbnailer is not \
             installed (apt-get install libheif-examples heif-thumbnailer) ###\n"
        );
        return;
    }
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    fs::create_dir_all(&photos).unwrap();
    let source = s.path("source.jpg");
    fs::write(&source, jpeg(800, 600, 4)).unwrap();
    let made = Command::new("heif-enc")
        .args(["-q", "50", "-o"])
        .arg(photos.join("IMG_0001.HEIC"))
        .arg(&source)
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let summary = s.pv.backup(&[&photos], &[]);
    assert_eq!(summary["thumbnails_added"], 1, "{summary}");
    let (repo, _) = open_with_key(s.pv.repo());
    assert_eq!(
        thumbnail_size(&repo, &photos.join("IMG_0001.HEIC")),
        Some((320, 240))
    );
}
