//! A flaky store loses nothing: with a tenth of all calls failing, reads cut short and
//! writes broken off half way, a backup completes, `check --read-data` passes and the
//! restore is identical, because every transient failure is tried again.

use std::sync::Arc;

use photovault_core::backend::{Backend, FaultRates, Flaky, LocalBackend, RetryPolicy, Retrying};
use photovault_core::{
    BackupOptions, CheckOptions, InitOptions, KdfParams, OpenOptions, Repository, RestoreOptions,
};

use crate::support::{assert_same_tree, copy_tree, corpus, mutate_corpus, restored_path, Scratch};

fn flaky_store(s: &Scratch, rate: f64, seed: u64) -> (Arc<Flaky>, Arc<dyn Backend>) {
    let local = Arc::new(LocalBackend::new(s.path("repo")));
    let flaky = Arc::new(Flaky::new(local, FaultRates::failing(rate), seed));
    let retrying = Arc::new(Retrying::new(
        flaky.clone() as Arc<dyn Backend>,
        RetryPolicy::immediate(12),
    ));
    (flaky, retrying)
}

#[test]
fn with_a_tenth_of_all_calls_failing_backup_check_and_restore_lose_nothing() {
    let s = Scratch::new();
    let photos = s.path("photos");
    copy_tree(corpus(), &photos);
    let open = OpenOptions::default().cache_dir(s.path("cache"));
    let (flaky, store) = flaky_store(&s, 0.10, 2026);
    let init = InitOptions::default()
        .kdf(KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .open_options(open.clone());
    let repo = Repository::init(store.clone(), b"pw", &init)
        .unwrap()
        .to_indexed()
        .unwrap();
    repo.backup(
        std::slice::from_ref(&photos),
        &BackupOptions::default(),
        &(),
    )
    .expect("the first backup comes through the faults");
    mutate_corpus(&photos, 3);
    let repo = Repository::open(store.clone(), b"pw", &open)
        .unwrap()
        .to_indexed()
        .unwrap();
    repo.backup(
        std::slice::from_ref(&photos),
        &BackupOptions::default(),
        &(),
    )
    .expect("the second backup comes through the faults");
    let check = repo
        .check(
            &CheckOptions::default().read_data(photovault_core::ReadData::All),
            &(),
        )
        .unwrap();
    assert!(check.is_ok(), "{check:?}");
    let target = s.path("restored");
    let latest = repo.find_snapshot("latest").unwrap();
    repo.restore(
        &latest.snapshot,
        "",
        &target,
        &RestoreOptions::default(),
        &(),
    )
    .unwrap();
    assert_same_tree(&photos, &restored_path(&target, &photos));
    assert!(
        flaky.injected() > 50,
        "only {} faults were injected",
        flaky.injected()
    );

    // And the same repository read without any fault agrees.
    let clean = Repository::open(
        Arc::new(LocalBackend::new(s.path("repo"))),
        b"pw",
        &OpenOptions::default().no_cache(true),
    )
    .unwrap()
    .to_indexed()
    .unwrap();
    let check = clean
        .check(
            &CheckOptions::default().read_data(photovault_core::ReadData::All),
            &(),
        )
        .unwrap();
    assert!(check.is_ok(), "{check:?}");
}

#[test]
fn a_write_broken_off_half_way_never_leaves_an_object_that_reads_as_valid() {
    let s = Scratch::new();
    let local: Arc<dyn Backend> = Arc::new(LocalBackend::new(s.path("repo")));
    local.create().unwrap();
    let always_partial = FaultRates {
        partial_write: 1.0,
        ..FaultRates::default()
    };
    let flaky = Flaky::new(local.clone(), always_partial, 1);
    let data = b"a snapshot file of some length".repeat(10);
    let name = blake3::hash(&data).to_hex().to_string();
    let failed = flaky.write(photovault_core::backend::FileKind::Snapshot, &name, &data);
    assert!(failed.is_err_and(|e| e.is_transient()));
    // Half an object stands under the name; its bytes do not hash to the name, which is
    // what every reader checks (SPEC R1), and a retrying reader hands it on as such.
    let read = Retrying::new(local, RetryPolicy::immediate(3))
        .read_all(photovault_core::backend::FileKind::Snapshot, &name)
        .unwrap();
    assert_ne!(blake3::hash(&read).to_hex().as_str(), name);
}
