//! When prune deletes nothing: it cannot tell what is used, another prune runs, or another
//! process could still use what it would delete.

use std::fs;

use photovault_core::backend::LocalBackend;
use photovault_core::format::blob::BlobKind;
use photovault_core::{LockKind, PruneOptions};

use super::*;
use crate::support::*;

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
