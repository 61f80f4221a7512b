//! A backup against a network store that finds nothing changed downloads almost nothing:
//! trees, snapshots and the index come from the local cache.

use std::sync::Arc;

use photovault_core::backend::{Backend, Metered, RetryPolicy};
use photovault_core::{BackupOptions, InitOptions, KdfParams, OpenOptions, Repository};

use crate::support::{copy_tree, corpus, Scratch};

use super::Server;

#[test]
fn a_no_change_backup_from_s3_downloads_almost_nothing() {
    let Some(location) = Server::S3.fresh_location("no-change") else {
        return;
    };
    let s = Scratch::new();
    let photos = s.path("photos");
    copy_tree(corpus(), &photos);
    let open = OpenOptions::default().cache_dir(s.path("cache"));
    let backend = Server::S3.open(&location, RetryPolicy::default());
    let init = InitOptions::default()
        .kdf(KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .open_options(open.clone());
    let repo = Repository::init(backend, b"pw", &init)
        .unwrap()
        .to_indexed()
        .unwrap();
    repo.backup(
        std::slice::from_ref(&photos),
        &BackupOptions::default(),
        &(),
    )
    .unwrap();
    drop(repo); // it holds the index cache open

    let metered = Arc::new(Metered::new(
        Server::S3.open(&location, RetryPolicy::default()),
    ));
    let repo = Repository::open(metered.clone() as Arc<dyn Backend>, b"pw", &open)
        .unwrap()
        .to_indexed()
        .unwrap();
    let outcome = repo
        .backup(
            std::slice::from_ref(&photos),
            &BackupOptions::default(),
            &(),
        )
        .unwrap();
    let traffic = metered.traffic();
    eprintln!("no-change backup from S3: {traffic:?}");
    let summary = &outcome.summary;
    assert_eq!(
        summary.files_new + summary.files_changed,
        0,
        "nothing changed"
    );
    assert_eq!(summary.bytes_read, 0, "no file was read");
    assert!(
        traffic.bytes_read < 16 << 10,
        "a no-change backup read {} bytes from the store",
        traffic.bytes_read
    );
    assert!(traffic.requests() < 40, "{} requests", traffic.requests());
}
