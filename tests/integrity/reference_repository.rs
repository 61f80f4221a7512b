//! The reference repository: `tests/vectors/repository/` holds a small repository written by
//! photovault 0.1 with the password in `password`, and `manifest`, the expected content of
//! each of its snapshots. It must pass `check --read-data` and restore exactly, so a build
//! that can no longer read what an older one wrote fails here (SPEC.md, Appendix A).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use photovault_core::backend::{Backend, LocalBackend};
use photovault_core::{CheckOptions, OpenOptions, ReadData, Repository, RestoreOptions};

use crate::support::{copy_dir, describe};
use crate::vectors::vectors_dir;

/// One snapshot of the manifest: its id, the path restored, and the expected lines.
struct ManifestSnapshot {
    id: String,
    path: String,
    lines: Vec<String>,
}

fn read_manifest(path: &Path) -> Vec<ManifestSnapshot> {
    let mut out: Vec<ManifestSnapshot> = Vec::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("snapshot ") {
            let (id, path) = rest.split_once(' ').expect("snapshot <id> <path>");
            out.push(ManifestSnapshot {
                id: id.into(),
                path: path.into(),
                lines: Vec::new(),
            });
        } else {
            out.last_mut()
                .expect("an entry before the first snapshot line")
                .lines
                .push(line.to_string());
        }
    }
    out
}

/// The checked-in repository opens with its password, passes `check --read-data`, and every
/// snapshot restores to exactly what the manifest lists (content, sizes, modes, mtimes,
/// symlink targets, non-UTF-8 names).
#[test]
fn checked_in_repository_checks_and_restores_exactly() {
    let source = vectors_dir().join("repository");
    let manifest = read_manifest(&source.join("manifest"));
    let password = std::fs::read_to_string(source.join("password")).unwrap();
    let work = tempfile::tempdir().unwrap();
    // Work on a copy: check and restore take locks. Git keeps no empty folders, so `create`
    // adds back the ones the local backend expects (it never touches existing files).
    let copy = work.path().join("repo");
    copy_dir(&source.join("repo"), &copy);
    let backend = Arc::new(LocalBackend::new(&copy));
    backend.create().unwrap();
    let repo = Repository::open(
        backend,
        password.trim_end().as_bytes(),
        &OpenOptions::default().no_cache(true),
    )
    .expect("the checked-in repository opens with its password")
    .to_indexed()
    .unwrap();

    let report = repo
        .check(&CheckOptions::default().read_data(ReadData::All), &())
        .unwrap();
    assert!(report.is_ok(), "{:#?}", report.problems);
    assert!(report.unused_packs.is_empty());
    assert_eq!(report.snapshots, manifest.len() as u64);
    assert_eq!(report.packs_read, report.packs);

    let snapshots = repo.snapshots().unwrap();
    let ids: Vec<String> = snapshots.iter().map(|s| s.id.to_hex()).collect();
    let expected_ids: Vec<String> = manifest.iter().map(|m| m.id.clone()).collect();
    assert_eq!(ids, expected_ids, "snapshots, oldest first");
    for (entry, expected) in snapshots.iter().zip(&manifest) {
        assert_eq!(entry.snapshot.paths, std::slice::from_ref(&expected.path));
        let target = work.path().join(format!("restore-{}", &expected.id[..8]));
        let outcome = repo
            .restore(
                &entry.snapshot,
                &expected.path,
                &target,
                &RestoreOptions::default(),
                &(),
            )
            .unwrap();
        assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
        let mut diff = String::new();
        let actual = describe(&target);
        for line in &expected.lines {
            if !actual.contains(line) {
                writeln!(diff, "- {line}").unwrap();
            }
        }
        for line in &actual {
            if !expected.lines.contains(line) {
                writeln!(diff, "+ {line}").unwrap();
            }
        }
        assert!(
            diff.is_empty(),
            "snapshot {} restores differently:\n{diff}",
            expected.id
        );
    }
}

#[test]
fn checked_in_repository_is_small() {
    let mut total = 0;
    let mut stack = vec![vectors_dir()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                total += e.metadata().unwrap().len();
            }
        }
    }
    assert!(total < 200 << 10, "tests/vectors holds {total} bytes");
}
