//! Backups beside a prune (SPEC W9): a backup that deduplicated against data a prune takes
//! out of the index keeps it, held at the worst moment and at random moments.

use std::fs;

use photovault_core::backend::{Backend, LocalBackend};
use photovault_core::LockKind;

use super::*;
use crate::support::*;

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
        pending: &mut dyn photovault_core::backend::PendingWrite,
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
    .unwrap()
    .to_indexed()
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
