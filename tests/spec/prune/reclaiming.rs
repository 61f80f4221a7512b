//! What prune gives back: unused packs deleted, mostly unused ones rewritten within the
//! tolerated waste, the plan it shows before, and the forget-then-prune history of the issue.

use std::fs;
use std::path::Path;

use photovault_core::backend::{Backend, LocalBackend};
use photovault_core::{MaxUnused, PruneOptions};

use super::*;
use crate::support::*;

#[test]
fn forgetting_the_old_snapshot_of_a_folder_that_lost_half_its_photos_frees_about_half_the_space() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    photo_folder(&photos, 60, 1);
    let second = history_that_lost_photos(&s, &photos, every(2));
    let before = pack_bytes(s.pv.repo());
    let kept_bytes = dir_size(&photos);

    let summary = prune_json(&s, &[]);
    let after = pack_bytes(s.pv.repo());
    assert!(
        summary["report"]["packs_deleted"].as_u64().unwrap() > 0,
        "{summary}"
    );
    assert!(
        after >= kept_bytes && after <= kept_bytes + kept_bytes / 20 + (1 << 20),
        "{after} pack bytes for {kept_bytes} bytes of photos left (before: {before})"
    );
    assert!(
        summary["report"]["bytes_deleted"].as_u64().unwrap() >= (before - after),
        "{summary}"
    );
    s.pv.ok(["check", "--read-data"]);
    let target = s.path("restored");
    s.pv.restore(&second, &target, &[]).success();
    assert_same_tree(&photos, &restored_path(&target, &photos));
}

#[test]
fn a_dry_run_shows_the_plan_and_changes_nothing() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    photo_folder(&photos, 20, 2);
    history_that_lost_photos(&s, &photos, |p| fs::remove_dir_all(p.join("2023")).unwrap());
    let files_before = list_files(s.pv.repo());

    let out = s.pv.ok(["prune", "--dry-run"]);
    assert!(out.stdout.contains("would delete"), "{out}");
    let plan = prune_json(&s, &["--dry-run"]);
    assert_eq!(plan["message_type"], "prune_plan");
    assert!(plan["plan"]["bytes_unused"].as_u64().unwrap() > 0, "{plan}");
    assert!(
        plan["plan"]["bytes_after"].as_u64().unwrap() < plan["plan"]["bytes"].as_u64().unwrap()
    );
    assert_eq!(list_files(s.pv.repo()), files_before);
}

#[test]
fn packs_that_are_partly_used_are_rewritten_only_beyond_the_unused_space_tolerated() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    photo_folder(&photos, 40, 3);
    let second = history_that_lost_photos(&s, &photos, every(3));

    let unlimited = prune_json(&s, &["--dry-run", "--max-unused", "unlimited"]);
    assert_eq!(unlimited["plan"]["packs_to_repack"], 0, "{unlimited}");
    let strict = prune_json(&s, &["--max-unused", "0"]);
    assert!(
        strict["plan"]["packs_to_repack"].as_u64().unwrap() > 0,
        "{strict}"
    );
    assert!(
        strict["report"]["blobs_repacked"].as_u64().unwrap() > 0,
        "{strict}"
    );

    let again = prune_json(&s, &["--dry-run"]);
    assert_eq!(again["plan"]["bytes_unused"], 0, "{again}");
    assert_eq!(again["plan"]["packs_to_delete"], 0, "{again}");
    s.pv.ok(["check", "--read-data"]);
    let target = s.path("restored");
    s.pv.restore(&second, &target, &[]).success();
    assert_same_tree(&photos, &restored_path(&target, &photos));
}

#[test]
fn a_repack_budget_limits_how_much_one_run_rewrites() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    photo_folder(&photos, 40, 4);
    history_that_lost_photos(&s, &photos, every(3));
    let plan = prune_json(
        &s,
        &[
            "--dry-run",
            "--max-unused",
            "0",
            "--max-repack-size",
            "1500K",
        ],
    );
    assert!(
        plan["plan"]["bytes_to_repack"].as_u64().unwrap() <= 1_500 * 1024,
        "{plan}"
    );
    for bad in ["-5%", "lots", "101%"] {
        let out = s.pv.run(["prune", &format!("--max-unused={bad}")]).code(1);
        assert!(out.stderr.contains("--max-unused"), "{out}");
    }
    s.pv.run(["prune", "--max-repack-size=-1G"]).code(1);
}

#[test]
fn the_library_plan_names_the_packs_it_deletes_and_rewrites() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    photo_folder(&photos, 30, 10);
    history_that_lost_photos(&s, &photos, |p| fs::remove_dir_all(p.join("2024")).unwrap());
    let (repository, _) = open_with_key(s.pv.repo());
    let plan = repository
        .plan_prune(&PruneOptions::default().max_unused(MaxUnused::Bytes(0)))
        .unwrap();
    let (delete, repack) = (plan.packs_to_delete(), plan.packs_to_repack());
    assert_eq!(delete.len() as u64, plan.stats().packs_to_delete);
    assert_eq!(repack.len() as u64, plan.stats().packs_to_repack);
    let backend = LocalBackend::new(s.pv.repo());
    let stored: Vec<_> = backend
        .list(photovault_core::backend::FileKind::Pack)
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    for pack in delete.iter().chain(&repack) {
        assert!(stored.contains(&pack.to_hex()));
    }
    plan.execute(&()).unwrap();
    let left: Vec<_> = backend
        .list(photovault_core::backend::FileKind::Pack)
        .unwrap()
        .into_iter()
        .map(|f| f.name)
        .collect();
    for pack in delete.iter().chain(&repack) {
        assert!(
            !left.contains(&pack.to_hex()),
            "pack {pack:?} is still there"
        );
    }
}

#[test]
fn the_scripted_history_forget_with_prune_guards_the_last_copies_then_frees_the_deleted_half() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    photo_folder(&photos, 40, 12);
    s.pv.backup(&[&photos], &[]);
    for (i, (path, _)) in list_files(&photos).iter().enumerate() {
        if i % 2 == 1 {
            fs::remove_file(photos.join(path)).unwrap();
        }
    }
    // Half the library gone: the backup says so (exit code 14) and writes its snapshot.
    let out =
        s.pv.run([
            std::ffi::OsStr::new("backup"),
            "--json".as_ref(),
            photos.as_os_str(),
        ])
        .code(14);
    assert!(out.stderr.contains("MASS DELETION"), "{out}");
    let second = snapshot_id(&out.last_json());
    let before = pack_bytes(s.pv.repo());

    // The deleted photos live on only in the first snapshot: forget refuses to drop it.
    let refused = s.pv.run(["forget", "--keep-last", "1", "--prune"]).code(13);
    assert!(
        refused.stdout.contains("IMG_") || refused.stderr.contains("IMG_"),
        "{refused}"
    );
    assert_eq!(pack_bytes(s.pv.repo()), before);

    let out = s.pv.ok([
        "forget",
        "--keep-last",
        "1",
        "--prune",
        "--allow-last-copy-loss",
    ]);
    assert!(out.stdout.contains("deleted"), "{out}");
    let after = pack_bytes(s.pv.repo());
    let kept = dir_size(&photos);
    assert!(
        after <= kept + kept / 20 + (1 << 20) && after < before * 2 / 3,
        "{before} pack bytes before, {after} after, for {kept} bytes of photos left"
    );
    s.pv.ok(["check", "--read-data"]);
    let target = s.path("restored");
    s.pv.restore(&second, &target, &[]).success();
    assert_same_tree(&photos, &restored_path(&target, &photos));
}

/// 16-bit samples whose high bytes barely change: sensor data as a RAW file holds it, which
/// backup compresses by byte planes.
fn raw_like(path: &Path, samples: usize, seed: u64) {
    let noise = random_bytes(samples, seed);
    let mut bytes = Vec::with_capacity(samples * 2);
    for (i, n) in noise.iter().enumerate() {
        let high = 14 + ((i % 4096) * 26 / 4096) as u8;
        let low = (((i / 16) % 256) as u8 & 0xc0) | (n & 0x3f);
        bytes.extend_from_slice(&[low, high]);
    }
    fs::write(path, bytes).unwrap();
}

#[test]
fn repacked_raw_data_keeps_the_compression_backup_gave_it() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    fs::create_dir_all(&photos).unwrap();
    for i in 0..4u64 {
        raw_like(&photos.join(format!("IMG_{i}.DNG")), 700_000, i);
        for j in 0..2u64 {
            write_random_file(
                &photos.join(format!("IMG_{i}_{j}.tmp")),
                200_000,
                10 * i + j,
            );
        }
    }
    let first = snapshot_id(&s.pv.backup(&[&photos], &["--threads", "1"]));
    for (path, _) in list_files(&photos) {
        if path.to_string_lossy().ends_with(".tmp") {
            fs::remove_file(photos.join(path)).unwrap();
        }
    }
    s.pv.backup(&[&photos], &[]);
    forget(s.pv.repo(), &first);
    let before = prune_json(&s, &["--dry-run"]);
    assert!(
        before["plan"]["bytes_used"].as_u64().unwrap() < 4 * 1_400_000 * 9 / 10,
        "the RAW data should compress: {before}"
    );

    let pruned = prune_json(&s, &["--max-unused", "0"]);
    assert!(
        pruned["report"]["blobs_repacked"].as_u64().unwrap() > 0,
        "{pruned}"
    );
    let after = prune_json(&s, &["--dry-run"]);
    let (used_before, used_after) = (
        before["plan"]["bytes_used"].as_u64().unwrap(),
        after["plan"]["bytes_used"].as_u64().unwrap(),
    );
    assert!(
        used_after <= used_before + used_before / 100,
        "repacking grew the used data from {used_before} to {used_after} bytes"
    );
    s.pv.ok(["check", "--read-data"]);
}
