//! `copy`: the second and third copies. Snapshots move between repositories with different
//! passwords, whether or not the two share chunker parameters, restore bit for bit from the
//! copy, and are never copied twice.

use std::fs;
use std::path::Path;

use crate::support::*;

fn photos(dir: &Path, seed: u64) {
    for i in 0..12u64 {
        let sub = dir.join(["2022", "2023", "2024"][(i % 3) as usize]);
        fs::create_dir_all(&sub).unwrap();
        write_random_file(
            &sub.join(format!("IMG_{i:04}.CR3")),
            100_000 + i * 90_000,
            seed + i,
        );
    }
    fs::write(dir.join("2024/notes.xmp"), "<x:xmpmeta/>\n".repeat(400)).unwrap();
    std::os::unix::fs::symlink("2024/IMG_0002.CR3", dir.join("favourite")).unwrap();
}

/// A second repository, with its own password, next to the scratch one.
fn second_repo(s: &Scratch, name: &str, extra: &[&str]) -> Pvault {
    let pv = Pvault::new(
        env!("CARGO_BIN_EXE_pvault"),
        s.path(name),
        s.path(&format!("{name}-cache")),
        "a different password",
    )
    .with_env("PVAULT_FROM_PASSWORD", PASSWORD);
    pv.init_with(extra);
    pv
}

fn copy_json(target: &Pvault, from: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--json", "copy", "--from-repo", from.to_str().unwrap()];
    args.extend(extra);
    target.ok(args).last_json()
}

fn copy_both_ways_and_check(init_extra: &[&str], method: &str) {
    let s = Scratch::with_repo();
    let library = s.path("Photos");
    photos(&library, 1);
    let first = s.pv.backup(&[&library], &["--tag", "card-1"]);
    fs::remove_file(library.join("2022/IMG_0000.CR3")).unwrap();
    write_random_file(&library.join("2024/IMG_9999.CR3"), 400_000, 99);
    s.pv.backup(&[&library], &[]);

    let mut extra = vec!["--from-password-file"];
    let password_file = s.path("source-password");
    fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    extra.push(password_file.to_str().unwrap());
    let init: Vec<&str> = init_extra
        .iter()
        .map(|a| {
            if *a == "SOURCE" {
                s.pv.repo().to_str().unwrap()
            } else {
                a
            }
        })
        .chain(if init_extra.is_empty() {
            vec![]
        } else {
            extra.clone()
        })
        .collect();
    let target = second_repo(&s, "usb-disk", &init);

    let report = copy_json(&target, s.pv.repo(), &extra)["report"].clone();
    assert_eq!(report["method"], method, "{report}");
    assert_eq!(report["copied"].as_array().unwrap().len(), 2, "{report}");
    target.ok(["check", "--read-data"]);
    let restored = s.path("restored");
    target.restore("latest", &restored, &[]).success();
    assert_same_tree(&library, &restored_path(&restored, &library));
    let first_copy = report["copied"][0][1].as_str().unwrap();
    let old = s.path("restored-first");
    target.restore(first_copy, &old, &[]).success();
    let old_file = restored_path(&old, &library).join("2022/IMG_0000.CR3");
    assert_eq!(fs::read(old_file).unwrap(), random_bytes(100_000, 1));
    let copied = target.ok(["--json", "snapshots"]).json();
    assert_eq!(copied[0]["tags"], serde_json::json!(["card-1"]));
    let originals = s.pv.ok(["--json", "snapshots"]).json();
    assert_eq!(copied[0]["time"], originals[0]["time"]);
    assert_eq!(copied[0]["original"], first["snapshot_id"]);

    let again = copy_json(&target, s.pv.repo(), &extra)["report"].clone();
    assert_eq!(again["copied"], serde_json::json!([]), "{again}");
    assert_eq!(again["skipped"].as_array().unwrap().len(), 2, "{again}");
    assert_eq!(again["blobs_stored"], 0, "{again}");
}

#[test]
fn snapshots_copy_between_unrelated_repositories_by_cutting_files_again() {
    copy_both_ways_and_check(&[], "recut");
}

#[test]
fn snapshots_copy_blob_for_blob_into_a_repository_made_with_the_sources_chunker_parameters() {
    copy_both_ways_and_check(&["--copy-chunker-params-from", "SOURCE"], "blob_for_blob");
}

#[test]
fn a_later_copy_sends_only_what_the_new_snapshot_adds() {
    let s = Scratch::with_repo();
    let library = s.path("Photos");
    photos(&library, 2);
    s.pv.backup(&[&library], &[]);
    let target = second_repo(
        &s,
        "nas",
        &["--copy-chunker-params-from", s.pv.repo().to_str().unwrap()],
    );
    copy_json(&target, s.pv.repo(), &[]);
    write_random_file(&library.join("2024/new.CR3"), 300_000, 5);
    s.pv.backup(&[&library], &[]);

    let report = copy_json(&target, s.pv.repo(), &["latest"])["report"].clone();
    assert_eq!(report["copied"].as_array().unwrap().len(), 1, "{report}");
    // The new photo (at most two chunks) and the trees above it.
    assert!(
        report["bytes_stored"].as_u64().unwrap() < 300_000 + 20_000,
        "{report}"
    );
    target.ok(["check", "--read-data"]);
}

#[test]
fn copy_takes_the_snapshot_filters_of_forget() {
    let s = Scratch::with_repo();
    let (a, b) = (s.path("phone"), s.path("camera"));
    photos(&a, 3);
    photos(&b, 4);
    s.pv.backup(&[&a], &["--host", "phone"]);
    s.pv.backup(&[&b], &["--host", "laptop"]);
    let target = second_repo(&s, "cloud", &[]);
    let report = copy_json(&target, s.pv.repo(), &["--host", "phone"])["report"].clone();
    assert_eq!(report["copied"].as_array().unwrap().len(), 1, "{report}");
    let listed = target.ok(["--json", "snapshots"]).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["hostname"], "phone");
}

#[test]
fn copy_names_the_repository_whose_password_is_wrong_and_changes_neither() {
    let s = Scratch::with_repo();
    let library = s.path("Photos");
    photos(&library, 5);
    s.pv.backup(&[&library], &[]);
    let target = second_repo(&s, "usb-disk", &[]);
    let (source_before, target_before) = (list_files(s.pv.repo()), list_files(target.repo()));

    let wrong_source = target.with_env("PVAULT_FROM_PASSWORD", "not it");
    let out = wrong_source
        .run(["copy", "--from-repo", s.pv.repo().to_str().unwrap()])
        .code(12);
    assert!(out.stderr.contains("source repository"), "{out}");
    assert!(out.stderr.contains("wrong password"), "{out}");

    let wrong_target = target.with_password(Some("not it"));
    let out = wrong_target
        .run(["copy", "--from-repo", s.pv.repo().to_str().unwrap()])
        .code(12);
    assert!(!out.stderr.contains("source repository"), "{out}");

    let nowhere = s.path("no-repository-here");
    fs::create_dir(&nowhere).unwrap();
    let out = target
        .run(["copy", "--from-repo", nowhere.to_str().unwrap()])
        .code(10);
    assert!(out.stderr.contains("source repository"), "{out}");
    let out = target
        .without_repo_flag()
        .run([
            "-r",
            nowhere.to_str().unwrap(),
            "copy",
            "--from-repo",
            s.pv.repo().to_str().unwrap(),
        ])
        .code(10);
    assert!(!out.stderr.contains("source repository"), "{out}");
    target.run(["copy"]).code(1);
    target
        .run([
            "copy",
            "--from-repo",
            s.pv.repo().to_str().unwrap(),
            "deadbeef",
        ])
        .code(1);

    assert_eq!(list_files(s.pv.repo()), source_before);
    let target_after: Vec<_> = list_files(target.repo())
        .into_iter()
        .filter(|(p, _)| !p.starts_with("locks"))
        .collect();
    assert_eq!(target_after, target_before);
}
