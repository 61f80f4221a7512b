//! Every backend keeps the guarantees photovault relies on (SPEC §16.1): the conformance
//! suite of `photovault_core::backend::conformance`, run against each backend this build
//! has. The network backends will join this list.

use std::sync::Arc;

use photovault_core::backend::{conformance, Backend, CrashAfter, LocalBackend, MemoryBackend};

use crate::support::Misbehaving;

#[test]
fn the_local_backend_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicU32::new(0);
    conformance::run(&|| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Arc::new(LocalBackend::new(dir.path().join(format!("repo-{n}")))) as Arc<dyn Backend>
    });
}

#[test]
fn the_memory_backend_conforms() {
    conformance::run(&|| Arc::new(MemoryBackend::new("conformance")) as Arc<dyn Backend>);
}

#[test]
fn the_fault_injecting_wrapper_conforms_while_it_lets_everything_through() {
    let dir = tempfile::tempdir().unwrap();
    let counter = std::sync::atomic::AtomicU32::new(0);
    conformance::run(&|| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let local = Arc::new(LocalBackend::new(dir.path().join(format!("repo-{n}"))));
        Arc::new(CrashAfter::new(local, u64::MAX)) as Arc<dyn Backend>
    });
    conformance::run(&|| {
        let memory = Arc::new(MemoryBackend::new("behind a wrapper"));
        Arc::new(CrashAfter::new(memory, u64::MAX)) as Arc<dyn Backend>
    });
}

#[test]
fn a_whole_repository_works_in_memory() {
    use photovault_core::{
        BackupOptions, InitOptions, KdfParams, OpenOptions, Repository, RestoreOptions,
    };
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    std::fs::write(
        photos.join("a.jpg"),
        crate::support::random_bytes(300_000, 1),
    )
    .unwrap();
    let backend = Arc::new(MemoryBackend::new("repository"));
    let options = InitOptions::default()
        .kdf(KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .open_options(OpenOptions::default().no_cache(true));
    let repo = Repository::init(backend.clone(), b"pw", &options)
        .unwrap()
        .to_indexed()
        .unwrap();
    repo.backup(
        std::slice::from_ref(&photos),
        &BackupOptions::default(),
        &(),
    )
    .unwrap();
    let repo = Repository::open(backend, b"pw", &OpenOptions::default().no_cache(true))
        .unwrap()
        .to_indexed()
        .unwrap();
    let latest = repo.find_snapshot("latest").unwrap();
    let target = dir.path().join("target");
    repo.restore(
        &latest.snapshot,
        "",
        &target,
        &RestoreOptions::default(),
        &(),
    )
    .unwrap();
    crate::support::assert_same_tree(&photos, &crate::support::restored_path(&target, &photos));
    assert!(repo.check(&Default::default(), &()).unwrap().is_ok());
}

#[test]
#[should_panic(expected = "byte ranges read at the start, middle and end")]
fn the_suite_catches_a_backend_that_returns_short_reads() {
    conformance::run(&|| {
        let memory = Arc::new(MemoryBackend::new("short"));
        Arc::new(Misbehaving::short_reads(memory)) as Arc<dyn Backend>
    });
}
