//! `pvault status`: the 3-2-1 verdict from the snapshots alone, and an exit code a monitor
//! can use.

use std::fs;

use super::Setup;
use crate::support::*;

#[test]
fn after_a_run_every_file_has_three_copies_on_two_media_one_off_site() {
    let t = Setup::new();
    t.two_local("\n[verify]\nsubset = \"1/2\"\n");
    t.init("photos", "disk");
    t.init("photos", "cloud");
    // No snapshot yet: the rule does not hold.
    let out = t.pv.run(["-P", "photos", "status"]).code(17);
    assert!(out.stdout.contains("no snapshot yet"), "{out}");
    t.pv.ok(["-P", "photos", "run"]);
    let out = t.pv.ok(["-P", "photos", "status"]);
    assert!(
        out.stdout
            .contains("3-2-1: OK (6 files, each with 3 copies or more)"),
        "{out}"
    );
    let v = t.pv.ok(["-P", "photos", "--json", "status"]).last_json();
    assert_eq!(v["holds"], true);
    assert_eq!(v["files"], 6);
    assert_eq!(v["copies"]["3"], 6, "{v}");
    let cloud = &v["repositories"][1];
    assert_eq!(cloud["files_held"], 6);
    assert_eq!(cloud["fresh"], true);
    assert!(cloud["last_copy"].is_string(), "{v}");
    assert_eq!(cloud["verified_share"], 0.5, "{v}");
    assert!(v["repositories"][0]["last_backup"].is_string());
}

#[test]
fn files_only_in_the_primary_are_listed_with_their_copies() {
    let t = Setup::new();
    t.two_local("");
    t.init("photos", "disk");
    t.init("photos", "cloud");
    t.pv.ok(["-P", "photos", "run"]);
    // A new photo backed up into the primary only: two copies (original and disk).
    let new = t.photos.join("2024/IMG_0200.JPG");
    write_random_file(&new, 25_000, 9);
    t.pv.ok([
        "-P",
        "photos",
        "backup",
        t.photos.to_str().unwrap(),
        "--host",
        "testhost",
    ]);
    let out = t.pv.run(["-P", "photos", "status"]).code(17);
    assert!(
        out.stdout
            .contains("3-2-1: NOT MET: 1 files have fewer than 3 copies (the fewest: 2)"),
        "{out}"
    );
    assert!(
        out.stdout
            .contains("1 of 7 files do not have an off-site copy"),
        "{out}"
    );
    assert!(
        out.stdout.contains("  2  ") && out.stdout.contains("IMG_0200.JPG  (original, disk)"),
        "{out}"
    );
    let v =
        t.pv.run(["-P", "photos", "--json", "status"])
            .code(17)
            .last_json();
    let risk = v["files_at_risk"].as_array().unwrap();
    assert_eq!(risk.len(), 1);
    assert_eq!(risk[0]["path"], new.to_str().unwrap());
    assert_eq!(risk[0]["copies"], 2);
    // An original that changed on disk no longer counts: without reading it, by its size.
    fs::write(t.photos.join("2023/IMG_0000.JPG"), b"edited").unwrap();
    let v =
        t.pv.run(["-P", "photos", "--json", "status"])
            .code(17)
            .last_json();
    assert_eq!(v["files_at_risk"].as_array().unwrap().len(), 2, "{v}");
}

#[test]
fn an_off_site_copy_that_stopped_being_refreshed_stops_counting() {
    let t = Setup::new();
    t.two_local("\n[rule]\noffsite-max-age = \"14d\"\n");
    t.init("photos", "disk");
    t.init("photos", "cloud");
    // Both repositories hold a snapshot from long ago, and nothing since.
    t.pv.ok([
        "-P",
        "photos",
        "backup",
        "--host",
        "testhost",
        "--time",
        "2020-01-01T00:00:00Z",
        t.photos.to_str().unwrap(),
    ]);
    t.pv.ok([
        "-P",
        "photos",
        "--repo-name",
        "cloud",
        "copy",
        "--from-repo",
        t.s.path("disk").to_str().unwrap(),
        "--from-password-file",
        t.password_file.to_str().unwrap(),
    ]);
    let out = t.pv.run(["-P", "photos", "status"]).code(17);
    assert!(
        out.stdout
            .contains("3-2-1: NOT MET: no off-site copy newer than 14d"),
        "{out}"
    );
    assert!(out.stdout.contains("yes,stale"), "{out}");
    // Without an off-site repository at all, it says so.
    let t2 = Setup::new();
    let file = t2.two_local("");
    let text = fs::read_to_string(&file)
        .unwrap()
        .replace("offsite = true", "offsite = false");
    fs::write(&file, text).unwrap();
    t2.init("photos", "disk");
    t2.init("photos", "cloud");
    t2.pv.ok(["-P", "photos", "run"]);
    let out = t2.pv.run(["-P", "photos", "status"]).code(17);
    assert!(out.stdout.contains("no repository is off-site"), "{out}");
}

#[test]
fn an_unreadable_repository_is_named_and_breaks_the_rule() {
    let t = Setup::new();
    t.two_local("");
    t.init("photos", "disk");
    t.init("photos", "cloud");
    t.pv.ok(["-P", "photos", "run"]);
    fs::rename(t.s.path("cloud"), t.s.path("cloud-moved")).unwrap();
    let out = t.pv.run(["-P", "photos", "status"]).code(17);
    assert!(
        out.stdout
            .contains("repository 'cloud' could not be read: no repository at"),
        "{out}"
    );
}
