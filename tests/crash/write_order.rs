//! The write order of SPEC.md (packs, then index, then snapshot), proved by letting a
//! backup die at every single write it makes.

use std::path::Path;
use std::sync::Arc;

use photovault_core::backend::{Backend, CrashAfter, LocalBackend};
use photovault_core::{
    BackupOptions, CheckOptions, IndexedRepository, InitOptions, KdfParams, OpenOptions, ReadData,
    Repository, RestoreOptions,
};

use crate::support::{contents, copy_tree, write_random};

const PASSWORD: &[u8] = b"write-order";

fn open(backend: Arc<dyn Backend>) -> IndexedRepository {
    Repository::open(backend, PASSWORD, &OpenOptions::default().no_cache(true))
        .unwrap()
        .to_indexed()
        .unwrap()
}

#[test]
fn a_backup_that_dies_at_any_write_leaves_every_snapshot_restorable_and_the_repository_sound() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("photos");
    for i in 0..6 {
        write_random(&src.join(format!("2021/img{i}.jpg")), i, 400_000);
    }
    let clean = work.path().join("clean");
    let options = InitOptions::default()
        .kdf(KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .pack_size(1 << 20)
        .open_options(OpenOptions::default().no_cache(true));
    let repo = Repository::init(Arc::new(LocalBackend::new(&clean)), PASSWORD, &options)
        .unwrap()
        .to_indexed()
        .unwrap();
    let first = repo
        .backup(std::slice::from_ref(&src), &BackupOptions::default(), &())
        .unwrap();
    let first_content = contents(&src);

    for i in 6..12 {
        write_random(&src.join(format!("2022/img{i}.jpg")), i, 400_000);
    }
    let second_content = contents(&src);

    // How many writes does the second backup make when nothing fails?
    let probe_dir = work.path().join("probe");
    copy_tree(&clean, &probe_dir);
    let probe = Arc::new(CrashAfter::new(
        Arc::new(LocalBackend::new(&probe_dir)),
        u64::MAX,
    ));
    open(probe.clone())
        .backup(std::slice::from_ref(&src), &BackupOptions::default(), &())
        .unwrap();
    let total_writes = probe.attempted();
    assert!(
        total_writes >= 6,
        "expected several packs, index, snapshot and lock writes, got {total_writes}"
    );

    for allowed in 0..total_writes {
        let dir = work.path().join(format!("crash-{allowed}"));
        copy_tree(&clean, &dir);
        let crashing = Arc::new(CrashAfter::new(Arc::new(LocalBackend::new(&dir)), allowed));
        if let Ok(repo) =
            Repository::open(crashing, PASSWORD, &OpenOptions::default().no_cache(true))
        {
            if let Ok(repo) = repo.to_indexed() {
                let _ = repo.backup(std::slice::from_ref(&src), &BackupOptions::default(), &());
            }
        }

        let repo = open(Arc::new(LocalBackend::new(&dir)));
        let report = repo
            .check(&CheckOptions::default().read_data(ReadData::All), &())
            .unwrap();
        assert!(
            report.is_ok(),
            "after dying at write {allowed}: {:?}",
            report.problems
        );
        for entry in repo.snapshots().unwrap() {
            let expected = if entry.id == first.snapshot_id {
                &first_content
            } else {
                &second_content
            };
            let target = dir.join("restored");
            let _ = std::fs::remove_dir_all(&target);
            let outcome = repo
                .restore(
                    &entry.snapshot,
                    "",
                    &target,
                    &RestoreOptions::default(),
                    &(),
                )
                .unwrap();
            assert!(
                outcome.errors.is_empty(),
                "after dying at write {allowed}: {:?}",
                outcome.errors
            );
            assert_eq!(
                &contents(&target.join(rel(&src))),
                expected,
                "snapshot {} after dying at write {allowed}",
                entry.id.short()
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

fn rel(p: &Path) -> &Path {
    p.strip_prefix("/").unwrap()
}
