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

/// The history most specifications start from: a backup of `photos`, then `lose` removes
/// photos, a second backup, and the first snapshot forgotten. Returns the second's id.
fn history_that_lost_photos(s: &Scratch, photos: &Path, lose: impl FnOnce(&Path)) -> String {
    let first = snapshot_id(&s.pv.backup(&[photos], &[]));
    lose(photos);
    let second = snapshot_id(&s.pv.backup(&[photos], &[]));
    forget(s.pv.repo(), &first);
    second
}

/// Removes every `nth` photo (the first, the `nth`+1st, ...).
fn every(nth: usize) -> impl FnOnce(&Path) {
    move |photos: &Path| {
        for (i, (path, _)) in list_files(photos).iter().enumerate() {
            if i % nth == 0 {
                fs::remove_file(photos.join(path)).unwrap();
            }
        }
    }
}

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

fn rounds() -> u64 {
    std::env::var("PVAULT_PRUNE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12)
}

#[test]
fn backups_that_run_beside_a_prune_at_random_moments_complete_and_restore_bit_for_bit() {
    let s = Scratch::new();
    s.pv.init_with(&["--pack-size", "1"]);
    let photos = s.path("Photos");
    let mut moments = photovault_testkit::moments::Moments::from_env(0x2545_f491);
    let mut random = move || moments.next_u64();
    let mut newest: Option<String> = None;
    for round in 0..rounds() {
        // A library where photos come and go: what the last prune saw as garbage (a photo
        // deleted before the previous backup) comes back, so the backup deduplicates
        // against exactly the data the prune beside it takes away.
        let _ = fs::remove_dir_all(&photos);
        fs::create_dir_all(&photos).unwrap();
        for i in 0..10u64 {
            if random() % 2 == 0 {
                write_random_file(
                    &photos.join(format!("IMG_{i:02}.jpg")),
                    200_000 + i * 40_000,
                    i,
                );
            }
        }
        write_random_file(
            &photos.join(format!("new_{round}.jpg")),
            150_000,
            1000 + round,
        );
        let expected = photovault_testkit::files::contents(&photos).unwrap();
        if let Some(id) = &newest {
            let (repository, _) = open_with_key(s.pv.repo());
            for snapshot in repository.snapshots().unwrap() {
                if snapshot.id.to_hex() != *id {
                    repository.remove_snapshot(&snapshot.id).unwrap();
                }
            }
        }

        let delay = std::time::Duration::from_millis(random() % 150);
        let prune_first = random() % 3 == 0;
        let backup = s.pv.command(["--json", "backup", photos.to_str().unwrap()]);
        let prune = s.pv.command(["--json", "prune", "--max-unused", "0"]);
        let (backup, prune) = if prune_first {
            let (prune, backup) = run_side_by_side(prune, backup, delay);
            (backup, prune)
        } else {
            run_side_by_side(backup, prune, delay)
        };
        assert!(
            backup.status.success(),
            "round {round}: backup failed: {}",
            String::from_utf8_lossy(&backup.stderr)
        );
        assert!(
            prune.status.success(),
            "round {round} (prune after {delay:?}): prune failed: {}",
            String::from_utf8_lossy(&prune.stderr)
        );
        let summary: serde_json::Value = serde_json::from_str(
            String::from_utf8_lossy(&backup.stdout)
                .lines()
                .last()
                .unwrap(),
        )
        .unwrap();
        let id = summary["snapshot_id"].as_str().unwrap().to_string();

        let check = s.pv.run(["check"]);
        assert_eq!(
            check.code, 0,
            "round {round} (prune after {delay:?}): {check}"
        );
        let target = s.path(&format!("restored-{round}"));
        s.pv.restore(&id, &target, &[]).success();
        assert_eq!(
            photovault_testkit::files::contents(&restored_path(&target, &photos)).unwrap(),
            expected,
            "round {round} (prune after {delay:?}): the backup beside the prune does not restore"
        );
        fs::remove_dir_all(&target).unwrap();
        newest = Some(id);
    }
    s.pv.ok(["prune"]);
    s.pv.ok(["check", "--read-data"]);
}

/// Starts `first`, then `second` after `delay`, and waits for both.
fn run_side_by_side(
    mut first: std::process::Command,
    mut second: std::process::Command,
    delay: std::time::Duration,
) -> (std::process::Output, std::process::Output) {
    use std::process::Stdio;
    let first = first
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let second = second
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (
        first.wait_with_output().unwrap(),
        second.wait_with_output().unwrap(),
    )
}

/// A local repository that stops the first index file write until told to go on: a backup
/// held at the moment it has deduplicated everything and is about to index what it stored.
#[derive(Debug)]
struct HeldBeforeIndexing {
    inner: std::sync::Arc<dyn Backend>,
    reached: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>,
    go_on: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl Backend for HeldBeforeIndexing {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn create(&self) -> photovault_core::backend::BackendResult<()> {
        self.inner.create()
    }
    fn list(
        &self,
        kind: photovault_core::backend::FileKind,
    ) -> photovault_core::backend::BackendResult<Vec<photovault_core::backend::FileInfo>> {
        self.inner.list(kind)
    }
    fn read(
        &self,
        kind: photovault_core::backend::FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> photovault_core::backend::BackendResult<Vec<u8>> {
        self.inner.read(kind, name, offset, length)
    }
    fn write(
        &self,
        kind: photovault_core::backend::FileKind,
        name: &str,
        data: &[u8],
    ) -> photovault_core::backend::BackendResult<()> {
        if kind == photovault_core::backend::FileKind::Index {
            if let Some(reached) = self.reached.lock().unwrap().take() {
                reached.send(()).unwrap();
                self.go_on.lock().unwrap().recv().unwrap();
            }
        }
        self.inner.write(kind, name, data)
    }
    fn remove(
        &self,
        kind: photovault_core::backend::FileKind,
        name: &str,
    ) -> photovault_core::backend::BackendResult<()> {
        self.inner.remove(kind, name)
    }
    fn begin_write(
        &self,
        kind: photovault_core::backend::FileKind,
    ) -> photovault_core::backend::BackendResult<Box<dyn photovault_core::backend::PendingWrite>>
    {
        self.inner.begin_write(kind)
    }
    fn finish_write(
        &self,
        pending: Box<dyn photovault_core::backend::PendingWrite>,
        name: &str,
    ) -> photovault_core::backend::BackendResult<()> {
        self.inner.finish_write(pending, name)
    }
}

#[test]
fn a_backup_that_deduplicated_against_data_a_prune_then_took_away_indexes_it_again_before_its_snapshot(
) {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    photo_folder(&photos, 6, 11);
    let first = snapshot_id(&s.pv.backup(&[&photos], &[]));
    forget(s.pv.repo(), &first);
    // The photos come back (with one more): the backup finds them all in the index.
    write_random_file(&photos.join("new.jpg"), 80_000, 77);

    let (reached_tx, reached) = std::sync::mpsc::channel();
    let (go_on, go_on_rx) = std::sync::mpsc::channel();
    let held = std::sync::Arc::new(HeldBeforeIndexing {
        inner: std::sync::Arc::new(LocalBackend::new(s.pv.repo())),
        reached: std::sync::Mutex::new(Some(reached_tx)),
        go_on: std::sync::Mutex::new(go_on_rx),
    });
    let backup_side = photovault_core::Repository::open(
        held,
        PASSWORD.as_bytes(),
        &photovault_core::OpenOptions::default().no_cache(true),
    )
    .unwrap();
    let second = std::thread::scope(|scope| {
        let backup = scope.spawn(|| {
            backup_side
                .backup(
                    std::slice::from_ref(&photos),
                    &photovault_core::BackupOptions::default(),
                    &(),
                )
                .unwrap()
        });
        reached.recv().unwrap();
        // The prune takes the photos' packs out of the index; the backup's lock keeps them.
        let pruned = prune_json(&s, &[]);
        assert!(
            pruned["report"]["deletion_deferred"].is_object(),
            "{pruned}"
        );
        go_on.send(()).unwrap();
        backup.join().unwrap()
    });

    // Right away, before any other prune could repair anything, the snapshot is whole.
    s.pv.ok(["check", "--read-data"]);
    let target = s.path("restored");
    s.pv.restore(&second.snapshot_id.to_hex(), &target, &[])
        .success();
    assert_same_tree(&photos, &restored_path(&target, &photos));
    let next = prune_json(&s, &[]);
    assert_eq!(next["report"]["packs_reindexed"], 0, "{next}");
    s.pv.ok(["check", "--read-data"]);
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
    let second = snapshot_id(&s.pv.backup(&[&photos], &[]));
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
