//! A disk that fills up during backup or restore.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{contents, write_random, Pvault};

/// A small tmpfs mounted for the test, unmounted on drop.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, mib: u32) -> Option<SmallDisk> {
        fs::create_dir_all(path).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(path)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(SmallDisk {
                path: path.to_path_buf(),
            }),
            Ok(o) => {
                eprintln!(
                    "skipping full-disk test: cannot mount a tmpfs here: {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("skipping full-disk test: cannot run mount: {e}");
                None
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_full_disk_during_backup_fails_clearly_and_earlier_snapshots_stay_intact() {
    let work = tempfile::tempdir().unwrap();
    let Some(disk) = SmallDisk::mount(&work.path().join("disk"), 24) else {
        return;
    };
    let pv = Pvault::at(disk.path.join("repo"), work.path().join("cache"));
    pv.init(2);
    let src = work.path().join("photos");
    write_random(&src.join("small.jpg"), 1, 1_000_000);
    let first = pv.backup(&src);
    let first_content = contents(&src);

    for i in 0..10 {
        write_random(&src.join(format!("big/{i}.MOV")), 10 + i, 4_000_000);
    }
    let out = pv.run(&["backup", src.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a backup that cannot be stored must fail"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("No space left on device"),
        "the error must say the disk is full: {stderr}"
    );

    let check = pv.run(&["check"]);
    assert!(
        check.status.success(),
        "check after a full disk: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let restored = pv.restored(
        first["snapshot_id"].as_str().unwrap(),
        &src,
        &work.path().join("restore"),
    );
    assert_eq!(restored, first_content);
    drop(disk);
}

#[test]
fn a_full_disk_during_restore_never_leaves_a_truncated_file_that_looks_complete() {
    let work = tempfile::tempdir().unwrap();
    let pv = Pvault::new(work.path());
    pv.init(16);
    let src = work.path().join("photos");
    for i in 0..8 {
        write_random(&src.join(format!("v{i}.MP4")), 40 + i, 3_000_000);
    }
    pv.backup(&src);
    let Some(disk) = SmallDisk::mount(&work.path().join("disk"), 10) else {
        return;
    };

    let out = pv.run(&["restore", "latest", "--target", disk.path.to_str().unwrap()]);
    assert_ne!(
        out.status.code(),
        Some(0),
        "a restore that cannot write everything must fail"
    );
    let source = contents(&src);
    let restored_root = disk.path.join(src.strip_prefix("/").unwrap());
    let mut complete = 0;
    for (path, content) in contents(&disk.path) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.ends_with(".part"),
            "a partial file was left behind: {}",
            path.display()
        );
        let rel = disk
            .path
            .join(&path)
            .strip_prefix(&restored_root)
            .unwrap()
            .to_path_buf();
        assert_eq!(
            Some(&content),
            source.get(&rel),
            "{} is present but not identical",
            rel.display()
        );
        complete += 1;
    }
    assert!(
        complete < source.len(),
        "the small disk was expected to fill up"
    );
    drop(disk);
}

#[test]
fn a_full_disk_during_copy_fails_clearly_and_damages_neither_repository() {
    let work = tempfile::tempdir().unwrap();
    let source = Pvault::new(&work.path().join("source"));
    source.init(2);
    let src = work.path().join("photos");
    for i in 0..8 {
        write_random(&src.join(format!("v{i}.MP4")), 70 + i, 4_000_000);
    }
    let id = source.backup(&src)["snapshot_id"]
        .as_str()
        .unwrap()
        .to_string();
    let Some(disk) = SmallDisk::mount(&work.path().join("disk"), 16) else {
        return;
    };
    let target = Pvault::at(disk.path.join("repo"), work.path().join("target-cache"));
    target.init(2);
    target.backup(
        &work
            .path()
            .join("source/repo/config")
            .parent()
            .unwrap()
            .join("keys"),
    );
    let before = contents(&target.repo);

    let out = target
        .command(&["copy", "--from-repo", source.repo.to_str().unwrap()])
        .env("PVAULT_FROM_PASSWORD", "crash-test")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a copy that cannot be stored must fail"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");

    source.ok(&["check", "--read-data"]);
    assert_eq!(
        source.restored(&id, &src, &work.path().join("restore")),
        contents(&src)
    );
    let check = target.run(&["check"]);
    assert!(
        check.status.success(),
        "target after a full disk: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let snapshots_before: Vec<_> = before
        .keys()
        .filter(|p| p.starts_with("snapshots"))
        .collect();
    let after = contents(&target.repo);
    let snapshots_after: Vec<_> = after
        .keys()
        .filter(|p| p.starts_with("snapshots"))
        .collect();
    assert_eq!(snapshots_before, snapshots_after);
    drop(disk);
}
