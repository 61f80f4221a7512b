//! Several `pvault` processes and one repository: backups run side by side, locks keep
//! out only what they must, and locks left by dead processes do not block anyone.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::SystemTime;

use chrono::Duration;
use photovault_core::backend::{Backend, FileKind, LocalBackend};
use photovault_core::format::lock::Lock;
use photovault_core::format::sealed_file;
use photovault_core::BlobId;

use crate::support::*;

#[test]
fn two_backups_into_one_repository_at_once_both_succeed_and_both_restore() {
    let s = Scratch::with_repo();
    let (a, b) = (s.path("a"), s.path("b"));
    for (i, dir) in [&a, &b].into_iter().enumerate() {
        fs::create_dir(dir).unwrap();
        write_random_file(&dir.join("shared.mov"), 12_000_000, 7);
        write_random_file(&dir.join("own.mov"), 12_000_000, 100 + i as u64);
    }
    let ids: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = [&a, &b]
            .into_iter()
            .map(|dir| scope.spawn(|| s.pv.backup(&[dir.as_path()], &[])))
            .collect();
        runs.into_iter()
            .map(|r| {
                r.join().unwrap()["snapshot_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    });
    for (dir, id) in [&a, &b].into_iter().zip(&ids) {
        let target = s.path(&format!("target-{}", &id[..8]));
        s.pv.restore(id, &target, &[]).success();
        assert_same_tree(dir, &restored_path(&target, dir));
    }
    assert_eq!(fs::read_dir(s.pv.repo().join("locks")).unwrap().count(), 0);
}

fn write_lock(repo: &Path, lock: &Lock) {
    let (_, key) = open_with_key(repo);
    let sealed = sealed_file::seal_json(&key, "lock", lock);
    LocalBackend::new(repo)
        .write(FileKind::Lock, &BlobId::hash_of(&sealed).to_hex(), &sealed)
        .unwrap();
}

fn exclusive_lock(hostname: String, pid: u32, age: Duration) -> Lock {
    Lock {
        time: chrono::Local::now().fixed_offset() - age,
        exclusive: true,
        hostname,
        username: "someone".into(),
        pid,
        prune: false,
    }
}

fn lock_count(repo: &Path) -> usize {
    fs::read_dir(repo.join("locks")).unwrap().count()
}

#[test]
fn locks_of_dead_processes_or_older_than_30_minutes_are_ignored_and_unlock_removes_them() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("a.jpg"), b"photo").unwrap();

    let mut child = Command::new("true").spawn().unwrap();
    child.wait().unwrap();
    let here = photovault_core::hostname();
    write_lock(
        s.pv.repo(),
        &exclusive_lock(here, child.id(), Duration::zero()),
    );
    write_lock(
        s.pv.repo(),
        &exclusive_lock("elsewhere".into(), 1, Duration::minutes(31)),
    );
    s.pv.backup(&[&src], &[]);
    assert_eq!(lock_count(s.pv.repo()), 2);
    let out = s.pv.ok(["unlock"]);
    assert!(out.stdout.contains("removed 2 lock(s)"), "{out}");
    assert_eq!(lock_count(s.pv.repo()), 0);
}

#[test]
fn a_live_exclusive_lock_of_another_host_blocks_until_unlock_remove_all() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("a.jpg"), b"photo").unwrap();
    write_lock(
        s.pv.repo(),
        &exclusive_lock("elsewhere".into(), 1, Duration::minutes(1)),
    );
    let out = s.pv.run(["backup".as_ref(), src.as_os_str()]).code(11);
    assert!(out.stderr.contains("elsewhere"), "{out}");
    let out = s.pv.ok(["unlock"]);
    assert!(out.stdout.contains("removed 0 lock(s)"), "{out}");
    s.pv.run(["backup".as_ref(), src.as_os_str()]).code(11);
    s.pv.ok(["unlock", "--remove-all"]);
    s.pv.backup(&[&src], &[]);
}

/// A temporary pack in `data/` as a killed backup leaves it, last written `age` ago.
fn unfinished_pack(repo: &Path, name: &str, age: std::time::Duration) -> PathBuf {
    let path = repo.join("data").join(name);
    fs::write(&path, vec![7u8; 100_000]).unwrap();
    let written = filetime::FileTime::from_system_time(SystemTime::now() - age);
    filetime::set_file_mtime(&path, written).unwrap();
    path
}

#[test]
fn a_backup_that_runs_alone_removes_the_temporary_packs_killed_backups_left() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    write_random_file(&src.join("a.mov"), 300_000, 3);
    let repo = s.pv.repo();
    let killed = unfinished_pack(
        repo,
        ".tmp-0123456789abcdef",
        std::time::Duration::from_secs(600),
    );
    let just_begun = unfinished_pack(repo, ".tmp-fedcba9876543210", std::time::Duration::ZERO);

    // While another process holds a lock, any temporary file may be its pack in progress.
    let (other, _) = open_with_key(repo);
    let other_lock = other.lock(photovault_core::LockKind::Shared).unwrap();
    s.pv.backup(&[&src], &[]);
    assert!(killed.exists() && just_begun.exists());

    drop(other_lock);
    s.pv.backup(&[&src], &[]);
    assert!(
        !killed.exists(),
        "a temporary pack older than every lock is garbage"
    );
    assert!(
        just_begun.exists(),
        "written within the last minute: clocks of machines sharing a repository may differ"
    );
    s.pv.ok(["check"]);
}

#[test]
fn a_repository_on_read_only_media_restores_and_checks_with_no_lock() {
    use photovault_core::{CheckOptions, OpenOptions, Repository, RestoreOptions};
    let s = Scratch::with_repo();
    let src = s.path("photos");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("a.jpg"), random_bytes(70_000, 4)).unwrap();
    s.pv.backup(&[&src], &[]);

    let backend = Arc::new(Misbehaving::read_only(Arc::new(LocalBackend::new(
        s.pv.repo(),
    ))));
    let open = |no_lock: bool| {
        let options = OpenOptions::default().no_cache(true).no_lock(no_lock);
        Repository::open(backend.clone(), PASSWORD.as_bytes(), &options)
            .unwrap()
            .to_indexed()
            .unwrap()
    };
    let latest = open(false).find_snapshot("latest").unwrap().snapshot;
    let target = s.path("target");
    let locked = open(false).restore(&latest, "", &target, &RestoreOptions::default(), &());
    assert!(
        locked.is_err(),
        "a reader that must lock cannot on read-only media"
    );

    let repo = open(true);
    repo.restore(&latest, "", &target, &RestoreOptions::default(), &())
        .unwrap();
    assert_same_tree(&src, &restored_path(&target, &src));
    assert!(repo.check(&CheckOptions::default(), &()).unwrap().is_ok());
    assert!(
        repo.backup(std::slice::from_ref(&src), &Default::default(), &())
            .is_err(),
        "a writer locks whatever no_lock says"
    );
}
