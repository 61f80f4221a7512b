//! `prune`: the space of data no snapshot uses comes back, and nothing a snapshot uses is
//! ever lost: not when prune refuses, not when another process runs beside it.

use std::fs;
use std::path::Path;

use photovault_core::backend::{Backend, LocalBackend};
use photovault_core::format::blob::BlobKind;
use photovault_core::{LockKind, MaxUnused, PruneOptions, SnapshotId};

use crate::support::*;

/// `count` incompressible files of 50 to 400 KB in two subfolders, so that a 1 MiB pack
/// holds pieces of several files.
fn photo_folder(dir: &Path, count: u64, seed: u64) {
    for i in 0..count {
        let sub = dir.join(if i % 2 == 0 { "2023" } else { "2024" });
        fs::create_dir_all(&sub).unwrap();
        let len = 50_000 + (i * 7_919 + seed * 31) % 350_000;
        write_random_file(&sub.join(format!("IMG_{i:04}.jpg")), len, seed * 1000 + i);
    }
}

fn pack_bytes(repo: &Path) -> u64 {
    pack_files(repo)
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

fn forget(repo: &Path, id: &str) {
    let (repository, _) = open_with_key(repo);
    repository
        .remove_snapshot(&id.parse::<SnapshotId>().unwrap())
        .unwrap();
}

fn snapshot_id(summary: &serde_json::Value) -> String {
    summary["snapshot_id"].as_str().unwrap().to_string()
}

fn prune_json(s: &Scratch, extra: &[&str]) -> serde_json::Value {
    let args: Vec<&str> = ["--json", "prune"].iter().chain(extra).copied().collect();
    s.pv.ok(args).last_json()
}

#[test]
fn forgetting_the_old_snapshot_of_a_folder_that_lost_half_its_photos_frees_about_half_the_space() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    photo_folder(&photos, 60, 1);
    let first = snapshot_id(&s.pv.backup(&[&photos], &[]));
    for (i, (path, _)) in list_files(&photos).iter().enumerate() {
        if i % 2 == 0 {
            fs::remove_file(photos.join(path)).unwrap();
        }
    }
    let second = snapshot_id(&s.pv.backup(&[&photos], &[]));
    let before = pack_bytes(s.pv.repo());
    let kept_bytes = dir_size(&photos);
    forget(s.pv.repo(), &first);

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
    let first = snapshot_id(&s.pv.backup(&[&photos], &[]));
    fs::remove_dir_all(photos.join("2023")).unwrap();
    s.pv.backup(&[&photos], &[]);
    forget(s.pv.repo(), &first);
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
    let first = snapshot_id(&s.pv.backup(&[&photos], &[]));
    for (i, (path, _)) in list_files(&photos).iter().enumerate() {
        if i % 3 == 0 {
            fs::remove_file(photos.join(path)).unwrap();
        }
    }
    let second = snapshot_id(&s.pv.backup(&[&photos], &[]));
    forget(s.pv.repo(), &first);

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
    let first = snapshot_id(&s.pv.backup(&[&photos], &[]));
    for (i, (path, _)) in list_files(&photos).iter().enumerate() {
        if i % 3 == 0 {
            fs::remove_file(photos.join(path)).unwrap();
        }
    }
    s.pv.backup(&[&photos], &[]);
    forget(s.pv.repo(), &first);
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
fn prune_refuses_and_deletes_nothing_when_a_snapshot_cannot_be_read() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    photo_folder(&photos, 6, 5);
    let first = snapshot_id(&s.pv.backup(&[&photos], &[]));
    s.pv.backup(&[&photos], &["--force"]);
    forget(s.pv.repo(), &first);
    let second = fs::read_dir(s.pv.repo().join("snapshots"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = fs::read(&second).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&second, bytes).unwrap();
    let files_before = list_files(s.pv.repo());

    let out = s.pv.run(["prune"]).code(1);
    assert!(out.stderr.contains("prune refused"), "{out}");
    assert!(out.stderr.contains("cannot be read"), "{out}");
    assert_eq!(list_files(s.pv.repo()), files_before);
}

#[test]
fn prune_refuses_when_the_index_lists_a_pack_that_is_gone() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    photo_folder(&photos, 6, 6);
    s.pv.backup(&[&photos], &[]);
    let data_pack = pack_files(s.pv.repo())
        .into_iter()
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .unwrap();
    fs::remove_file(data_pack).unwrap();
    let files_before = list_files(s.pv.repo());

    let out = s.pv.run(["prune"]).code(1);
    assert!(out.stderr.contains("missing from the storage"), "{out}");
    assert_eq!(list_files(s.pv.repo()), files_before);
}

#[test]
fn packs_no_index_lists_are_deleted_only_when_no_other_process_holds_a_lock() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    photo_folder(&photos, 4, 7);
    s.pv.backup(&[&photos], &[]);
    // What a killed backup leaves: a complete pack that no index file lists.
    let (repository, key) = open_with_key(s.pv.repo());
    let mut w = BlobWriter::new(key);
    w.blob(BlobKind::Data, &random_bytes(100_000, 99));
    let (leftover, _) = w.finish_pack_only(&LocalBackend::new(s.pv.repo()));
    let leftover = pack_path(s.pv.repo(), &leftover);

    let other = repository.lock(LockKind::Shared).unwrap();
    let held = prune_json(&s, &[]);
    assert_eq!(held["plan"]["unindexed_packs"], 1, "{held}");
    assert_eq!(
        held["report"]["deletion_deferred"]["reason"], "other_locks",
        "{held}"
    );
    assert!(leftover.exists());
    drop(other);

    let alone = prune_json(&s, &[]);
    assert_eq!(alone["report"]["packs_deleted"], 1, "{alone}");
    assert!(!leftover.exists());
    s.pv.ok(["check", "--read-data"]);
}

#[test]
fn a_snapshot_that_needs_packs_a_deferred_prune_took_out_of_the_index_gets_them_back() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    photo_folder(&photos, 6, 8);
    let first = snapshot_id(&s.pv.backup(&[&photos], &[]));
    let (repository, _) = open_with_key(s.pv.repo());
    let snapshot = repository.load_snapshot(&first.parse().unwrap()).unwrap();
    forget(s.pv.repo(), &first);
    {
        // A backup that read the index before the prune holds its lock meanwhile.
        let _backup = repository.lock(LockKind::Shared).unwrap();
        let deferred = prune_json(&s, &[]);
        assert!(
            deferred["report"]["deletion_deferred"].is_object(),
            "{deferred}"
        );
        // ...and then writes a snapshot of the same photos, deduplicated against them.
        repository.save_snapshot(&snapshot).unwrap();
    }
    let next = prune_json(&s, &[]);
    assert_eq!(next["report"]["packs_deleted"], 0, "{next}");
    s.pv.ok(["check", "--read-data"]);
    let target = s.path("restored");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&photos, &restored_path(&target, &photos));
}

#[test]
fn a_second_prune_is_refused_while_one_runs_but_backups_are_not() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    photo_folder(&photos, 3, 9);
    s.pv.backup(&[&photos], &[]);
    let (repository, _) = open_with_key(s.pv.repo());
    let plan = repository.plan_prune(&PruneOptions::default()).unwrap();
    let out = s.pv.run(["prune"]).code(11);
    assert!(out.stderr.contains("prune"), "{out}");
    s.pv.backup(&[&photos], &["--force"]);
    let report = plan.execute(&()).unwrap();
    assert_eq!(report.packs_deleted, 0);
    s.pv.ok(["check", "--read-data"]);
}

#[test]
fn the_library_plan_names_the_packs_it_deletes_and_rewrites() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    photo_folder(&photos, 30, 10);
    let first = snapshot_id(&s.pv.backup(&[&photos], &[]));
    fs::remove_dir_all(photos.join("2024")).unwrap();
    s.pv.backup(&[&photos], &[]);
    forget(s.pv.repo(), &first);
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
