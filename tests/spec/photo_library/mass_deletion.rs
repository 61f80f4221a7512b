//! A disappearing library is noticed: the backup says so prominently, names the folders,
//! exits with code 14, and still writes the snapshot.

use std::fs;
use std::path::{Path, PathBuf};

use photovault_testkit::pvault::Output;

use super::u64_of;
use crate::support::*;

fn library(s: &Scratch) -> PathBuf {
    let library = s.path("library");
    for album in 0..10 {
        for i in 0..10 {
            let path = library.join(format!("album-{album}/IMG_{i}.JPG"));
            write_random_file(&path, 5_000, album * 100 + i);
        }
    }
    library
}

fn backup(s: &Scratch, library: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["backup".to_string(), "--json".to_string()];
    args.extend(extra.iter().map(|a| a.to_string()));
    args.push(library.display().to_string());
    s.pv.run(args)
}

#[test]
fn a_library_a_sync_service_emptied_is_reported_and_the_snapshot_still_written() {
    let s = Scratch::with_repo();
    let library = library(&s);
    s.pv.backup(&[&library], &[]);
    for album in [2, 5, 7] {
        fs::remove_dir_all(library.join(format!("album-{album}"))).unwrap();
    }
    // A placeholder left by the sync service: truncated to zero bytes.
    fs::File::create(library.join("album-0/IMG_3.JPG")).unwrap();

    let out = backup(&s, &library, &[]).code(14);
    let summary = out.last_json();
    let gone = &summary["mass_deletion"];
    assert_eq!(gone["alarm"], true, "{summary}");
    assert_eq!(
        (
            u64_of(gone, "gone"),
            u64_of(gone, "truncated"),
            u64_of(gone, "parent_files")
        ),
        (30, 1, 100)
    );
    let folders: Vec<&str> = gone["folders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(folders.len(), 4, "{gone}");
    assert!(folders[..3]
        .iter()
        .all(|f| f.ends_with("album-2") || f.ends_with("album-5") || f.ends_with("album-7")));
    assert!(folders[3].ends_with("album-0"));
    assert!(out.stderr.contains("MASS DELETION"), "{out}");
    assert!(out.stderr.contains("album-5"), "{out}");
    let snapshots = s.pv.ok(["snapshots", "--json"]).json();
    assert_eq!(
        snapshots.as_array().unwrap().len(),
        2,
        "the snapshot was written"
    );

    // A higher threshold: no alarm.
    backup(&s, &library, &["--mass-deletion-threshold", "50"]).success();
}

#[test]
fn deleting_a_few_photos_or_moving_all_of_them_raises_no_alarm() {
    let s = Scratch::with_repo();
    let library = library(&s);
    s.pv.backup(&[&library], &[]);
    fs::remove_file(library.join("album-1/IMG_1.JPG")).unwrap();
    let summary = s.pv.backup(&[&library], &[]);
    assert_eq!(summary["mass_deletion"]["alarm"], false);
    assert_eq!(u64_of(&summary["mass_deletion"], "gone"), 1);
    fs::rename(&library, s.path("elsewhere")).unwrap();
    fs::create_dir(&library).unwrap();
    fs::rename(s.path("elsewhere"), library.join("all of it")).unwrap();
    let summary = s.pv.backup(&[&library], &[]);
    assert_eq!(u64_of(&summary["mass_deletion"], "gone"), 0, "{summary}");
}
