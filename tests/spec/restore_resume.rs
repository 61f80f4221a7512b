//! Restore into a target that already holds part of the snapshot: what is there and right
//! is left alone, an interrupted restore resumes, and nothing but the snapshot's files is
//! left in the target.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::*;

fn library(dir: &Path, files: u64) {
    for i in 0..files {
        let sub = dir.join(format!("{}", 2020 + i % 4));
        fs::create_dir_all(&sub).unwrap();
        write_random_file(
            &sub.join(format!("IMG_{i:04}.CR3")),
            300_000 + i * 37_000,
            500 + i,
        );
    }
}

fn restore_json(s: &Scratch, target: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "--json",
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
    ];
    args.extend(extra);
    s.pv.ok(args).last_json()
}

fn debris(dir: &Path) -> Vec<PathBuf> {
    list_files(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(".part"))
        .collect()
}

#[test]
fn a_restore_killed_at_random_moments_resumes_writing_only_what_is_missing_and_leaves_no_debris() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos, 24);
    s.pv.backup(&[&photos], &[]);
    let total_files = list_files(&photos).len() as u64;

    let timing = s.path("timing");
    let started = Instant::now();
    restore_json(&s, &timing, &[]);
    let full = started.elapsed().max(Duration::from_millis(100));
    fs::remove_dir_all(&timing).unwrap();

    let target = s.path("restored");
    let mut moments = photovault_testkit::moments::Moments::from_env(0x1234_5678);
    for round in 0..10 {
        let delay = moments.within(full);
        let mut child =
            s.pv.command(["restore", "latest", "--target", target.to_str().unwrap()])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL: no chance to clean up
        let _ = child.wait();
        let complete_before = if target.exists() {
            list_files(&target)
                .iter()
                .filter(|(p, _)| !p.to_string_lossy().ends_with(".part"))
                .count() as u64
        } else {
            0
        };

        let summary = restore_json(&s, &target, &[]);
        assert_eq!(
            summary["files_restored"].as_u64().unwrap()
                + summary["files_skipped"].as_u64().unwrap(),
            total_files,
            "round {round}: {summary}"
        );
        assert!(
            summary["files_skipped"].as_u64().unwrap() >= complete_before,
            "round {round} (killed after {delay:?}): {complete_before} files were complete, but {summary}"
        );
        assert_eq!(debris(&target), Vec::<PathBuf>::new(), "round {round}");
        assert_same_tree(&photos, &restored_path(&target, &photos));
        // Start the next round from a partly restored target again.
        for (i, (path, _)) in list_files(&target).iter().enumerate() {
            if i % 2 == round % 2 {
                fs::remove_file(target.join(path)).unwrap();
            }
        }
    }
}

#[test]
fn temporary_files_of_an_interrupted_restore_are_removed_by_the_next_one() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos, 4);
    s.pv.backup(&[&photos], &[]);
    let target = s.path("restored");
    restore_json(&s, &target, &[]);
    let inside = restored_path(&target, &photos).join("2021");
    fs::write(inside.join(".pvault-0a1b2c3d4e5f.part"), b"half a photo").unwrap();

    let summary = restore_json(&s, &target, &[]);
    assert_eq!(summary["debris_removed"], 1, "{summary}");
    assert_eq!(summary["files_restored"], 0, "{summary}");
    assert_eq!(debris(&target), Vec::<PathBuf>::new());
}

#[test]
fn each_overwrite_policy_decides_which_files_already_there_are_replaced() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos, 4);
    s.pv.backup(&[&photos], &[]);
    let target = s.path("restored");
    restore_json(&s, &target, &[]);
    let root = restored_path(&target, &photos);
    let edited = root.join("2020/IMG_0000.CR3");
    let original = fs::read(&edited).unwrap();
    let alter = || {
        let mut bytes = original.clone();
        bytes[1000] ^= 0xff; // same size, other content
        fs::write(&edited, bytes).unwrap();
    };
    let far_future = filetime::FileTime::from_unix_time(4_000_000_000, 0);

    alter();
    let always = restore_json(&s, &target, &["--overwrite", "always"]);
    assert_eq!(always["files_restored"], 4, "{always}");
    assert_eq!(fs::read(&edited).unwrap(), original);

    alter();
    let changed = restore_json(&s, &target, &[]);
    assert_eq!(
        (
            changed["files_restored"].as_u64(),
            changed["files_skipped"].as_u64()
        ),
        (Some(1), Some(3)),
        "{changed}"
    );
    assert_eq!(fs::read(&edited).unwrap(), original);

    alter();
    filetime::set_file_mtime(&edited, far_future).unwrap();
    let newer = restore_json(&s, &target, &["--overwrite", "if-newer"]);
    assert_eq!(newer["files_restored"], 0, "{newer}");
    assert_ne!(fs::read(&edited).unwrap(), original);
    filetime::set_file_mtime(&edited, filetime::FileTime::from_unix_time(1, 0)).unwrap();
    let older = restore_json(&s, &target, &["--overwrite", "if-newer"]);
    assert_eq!(older["files_restored"], 1, "{older}");
    assert_eq!(fs::read(&edited).unwrap(), original);

    alter();
    let never = restore_json(&s, &target, &["--overwrite", "never"]);
    assert_eq!(never["files_restored"], 0, "{never}");
    assert_ne!(fs::read(&edited).unwrap(), original);
    fs::remove_file(&edited).unwrap();
    let missing = restore_json(&s, &target, &["--overwrite", "never"]);
    assert_eq!(missing["files_restored"], 1, "{missing}");

    s.pv.run([
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--overwrite",
        "sometimes",
    ])
    .code(1);
}

#[test]
fn a_file_left_alone_still_gets_the_snapshots_mode_and_times() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos, 2);
    s.pv.backup(&[&photos], &[]);
    let target = s.path("restored");
    restore_json(&s, &target, &[]);
    let file = restored_path(&target, &photos).join("2020/IMG_0000.CR3");
    chmod(&file, 0o600);
    filetime::set_file_mtime(&file, filetime::FileTime::from_unix_time(1, 0)).unwrap();

    let summary = restore_json(&s, &target, &[]);
    assert_eq!(summary["files_skipped"], 2, "{summary}");
    assert_same_tree(&photos, &restored_path(&target, &photos));
    let source_mode = fs::metadata(photos.join("2020/IMG_0000.CR3"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        fs::metadata(&file).unwrap().permissions().mode(),
        source_mode
    );
}

#[test]
fn delete_makes_the_target_an_exact_copy_and_a_dry_run_only_counts() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos, 6);
    s.pv.backup(&[&photos], &[]);
    let target = s.path("restored");
    restore_json(&s, &target, &[]);
    let root = restored_path(&target, &photos);
    fs::write(root.join("2021/stray.jpg"), b"not in the snapshot").unwrap();
    fs::create_dir_all(root.join("Trash/deep")).unwrap();
    fs::write(root.join("Trash/deep/old.jpg"), b"x").unwrap();
    fs::remove_file(root.join("2022/IMG_0002.CR3")).unwrap();
    let before = list_files(&target);

    let plan = restore_json(&s, &target, &["--delete", "--dry-run"]);
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["deleted"], 2, "{plan}");
    assert_eq!(plan["files_restored"], 1, "{plan}");
    assert_eq!(plan["files_skipped"], 5, "{plan}");
    assert_eq!(list_files(&target), before, "a dry run changed the target");
    let listed = s.pv.ok([
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--delete",
        "--dry-run",
    ]);
    assert!(
        listed.stdout.contains("would delete") && listed.stdout.contains("stray.jpg"),
        "{listed}"
    );
    assert!(
        listed.stdout.contains("would write") && listed.stdout.contains("IMG_0002.CR3"),
        "{listed}"
    );
    assert_eq!(list_files(&target), before, "a dry run changed the target");

    let done = restore_json(&s, &target, &["--delete"]);
    assert_eq!(done["deleted"], 2, "{done}");
    assert_same_tree(&photos, &root);
    assert!(!root.join("Trash").exists());

    let out = s.pv.run([
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--delete",
        "--include",
        "*.CR3",
    ]);
    out.code(1);
}

#[test]
fn verify_reads_every_file_back_and_names_one_that_differs() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    library(&photos, 4);
    s.pv.backup(&[&photos], &[]);
    let target = s.path("restored");
    let fresh = restore_json(&s, &target, &["--verify"]);
    assert_eq!(fresh["verified"], 4, "{fresh}");

    // Altered behind its back, and kept by the policy: --verify still reads it and says so.
    let file = restored_path(&target, &photos).join("2023/IMG_0003.CR3");
    let mut bytes = fs::read(&file).unwrap();
    bytes[10] ^= 1;
    fs::write(&file, bytes).unwrap();
    filetime::set_file_mtime(&file, filetime::FileTime::from_unix_time(4_000_000_000, 0)).unwrap();
    let out = s.pv.run([
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
        "--overwrite",
        "if-newer",
        "--verify",
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("IMG_0003.CR3"), "{out}");
    assert!(out.stderr.contains("differs"), "{out}");
}
