//! Bit rot in the source is caught and never propagated: a photo whose size and mtime did
//! not change but whose content did is named, loudly, with the snapshot that holds its good
//! version, and stored as a new version beside it.

use std::fs;

use super::{set_mtime, u64_of};
use crate::support::*;

/// A library of `n` photos; returns its folder.
fn library(s: &Scratch, n: u64) -> std::path::PathBuf {
    let library = s.path("library");
    for i in 0..n {
        write_random_file(&library.join(format!("2021/IMG_{i:04}.JPG")), 30_000, i);
    }
    library
}

/// Flips one bit of `path`, keeping its size and mtime.
fn rot(path: &std::path::Path) -> Vec<u8> {
    let mtime = fs::metadata(path).unwrap().modified().unwrap();
    let mut bytes = fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x08;
    fs::write(path, &bytes).unwrap();
    set_mtime(path, mtime);
    bytes
}

fn snapshot_ids(s: &Scratch) -> Vec<String> {
    s.pv.ok(["snapshots", "--json"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_rotted_photo_is_named_with_its_good_snapshot_exit_code_15_and_both_versions_kept() {
    let s = Scratch::with_repo();
    let library = library(&s, 20);
    let photo = library.join("2021/IMG_0007.JPG");
    let good = fs::read(&photo).unwrap();
    s.pv.backup(&[&library], &[]);
    let good_snapshot = snapshot_ids(&s)[0].clone();
    let rotted = rot(&photo);

    let out =
        s.pv.run(
            ["backup", "--json", "--verify-unchanged"]
                .iter()
                .map(std::ffi::OsStr::new)
                .chain([library.as_os_str()]),
        )
        .code(15);
    let lines = out.json_lines();
    let damage: Vec<_> = lines
        .iter()
        .filter(|l| l["message_type"] == "source_damaged")
        .collect();
    assert_eq!(damage.len(), 1, "{out}");
    assert_eq!(damage[0]["item"], photo.display().to_string());
    assert_eq!(damage[0]["good_copy"], good_snapshot.as_str());
    let summary = lines.last().unwrap();
    assert_eq!(summary["source_damaged"][0], photo.display().to_string());
    assert_eq!(
        u64_of(summary, "files_verified"),
        19,
        "the rotted file was read for its new ctime"
    );
    assert!(out.stderr.contains("DAMAGED SOURCE FILE"), "{out}");
    assert!(out.stderr.contains(&good_snapshot[..8]), "{out}");

    // Nothing replaced: the good version restores from the first snapshot, the rotted one
    // from the second.
    let old = s.path("old");
    s.pv.restore(&good_snapshot, &old, &[]).success();
    assert_eq!(fs::read(restored_path(&old, &photo)).unwrap(), good);
    let new = s.path("new");
    s.pv.restore("latest", &new, &[]).success();
    assert_eq!(fs::read(restored_path(&new, &photo)).unwrap(), rotted);
}

#[test]
fn verify_unchanged_fraction_reads_a_different_tenth_on_each_run() {
    let s = Scratch::with_repo();
    let library = library(&s, 60);
    s.pv.backup(&[&library], &[]);
    let mut total = 0;
    for _ in 0..10 {
        let run =
            s.pv.backup(&[&library], &["--verify-unchanged-fraction", "10"]);
        let verified = u64_of(&run, "files_verified");
        assert_eq!(u64_of(&run, "bytes_read"), verified * 30_000, "{run}");
        total += verified;
    }
    assert_eq!(total, 60, "ten runs of 10% read every file once");
    s.pv.run(["backup", "--verify-unchanged-fraction", "200", "x"])
        .code(2);
}

#[test]
fn verify_source_lists_damaged_modified_missing_and_new_files() {
    let s = Scratch::with_repo();
    let library = library(&s, 10);
    s.pv.backup(&[&library], &[]);
    let rotted = library.join("2021/IMG_0003.JPG");
    rot(&rotted);
    let edited = library.join("2021/IMG_0004.JPG");
    fs::write(&edited, b"a smaller edit").unwrap();
    let missing = library.join("2021/IMG_0005.JPG");
    fs::remove_file(&missing).unwrap();
    let new = library.join("2021/new.jpg");
    fs::write(&new, b"new photo").unwrap();

    let out = s.pv.run([
        std::ffi::OsStr::new("verify-source"),
        std::ffi::OsStr::new("--json"),
        library.as_os_str(),
    ]);
    let out = out.code(15);
    let lines = out.json_lines();
    let change_of = |path: &std::path::Path| {
        lines
            .iter()
            .find(|l| l["path"] == path.display().to_string())
            .map(|l| l["change"].as_str().unwrap().to_string())
    };
    assert_eq!(change_of(&rotted).as_deref(), Some("damaged"), "{out}");
    assert_eq!(change_of(&edited).as_deref(), Some("modified"));
    assert_eq!(change_of(&missing).as_deref(), Some("missing"));
    assert_eq!(change_of(&new).as_deref(), Some("new"));
    let summary = lines.last().unwrap();
    assert_eq!(
        (
            u64_of(summary, "damaged"),
            u64_of(summary, "files_compared")
        ),
        (1, 8),
        "{summary}"
    );
    assert_eq!(u64_of(summary, "bytes_hashed"), 8 * 30_000);

    // Without damage: exit 0, and the text lists what differs.
    fs::remove_file(&rotted).unwrap();
    let text =
        s.pv.ok([std::ffi::OsStr::new("verify-source"), library.as_os_str()]);
    assert!(text.stdout.contains("missing"), "{text}");
    assert!(text.stdout.contains("0 damaged"), "{text}");
}

#[test]
fn photos_cut_at_their_container_parts_verify_as_unchanged() {
    let s = Scratch::with_repo();
    let library = s.path("library");
    fs::create_dir_all(&library).unwrap();
    for i in 0..3 {
        let photo = crate::metadata_edits::synthetic_jpeg(50_000, 2_000_000, i);
        fs::write(library.join(format!("IMG_{i}.JPG")), photo).unwrap();
    }
    s.pv.backup(&[&library], &[]);

    let run = s.pv.backup(&[&library], &["--verify-unchanged"]);
    assert_eq!(u64_of(&run, "files_verified"), 3, "{run}");
    let out = s.pv.ok([
        std::ffi::OsStr::new("verify-source"),
        std::ffi::OsStr::new("--json"),
        library.as_os_str(),
    ]);
    let summary = out.json_lines().last().unwrap().clone();
    assert_eq!(
        (
            u64_of(&summary, "damaged"),
            u64_of(&summary, "files_compared")
        ),
        (0, 3),
        "{summary}"
    );
}
