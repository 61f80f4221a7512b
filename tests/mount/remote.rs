//! A repository on S3 mounts like a local one: the same folders, sizes and bytes, read
//! through the network backend (skipped loudly where the test servers are not running).

use std::collections::BTreeMap;
use std::path::Path;

use photovault_core::backend::{BackendOptions, Location};
use photovault_core::{
    BackupOptions, Error, InitOptions, KdfParams, MountOptions, OpenOptions, Repository,
};

use crate::support::{fixture, in_snapshot, is_mounted, scratch, walk};

#[test]
fn a_repository_on_s3_mounts_with_every_file_intact() {
    let Ok(base) = std::env::var("PVAULT_TEST_S3_BASE") else {
        eprintln!(
            "\n*** SKIPPED: no S3 server (PVAULT_TEST_S3_BASE is not set); start the test \
             servers with `.ci/servers.sh start` and source their env file ***\n"
        );
        return;
    };
    if !Path::new("/dev/fuse").exists() {
        eprintln!("SKIPPED: /dev/fuse does not exist");
        return;
    }
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let env: BTreeMap<&str, String> = BTreeMap::from([
        ("AWS_ACCESS_KEY_ID", var("PVAULT_TEST_S3_ACCESS_KEY")),
        ("AWS_SECRET_ACCESS_KEY", var("PVAULT_TEST_S3_SECRET_KEY")),
        ("AWS_DEFAULT_REGION", var("PVAULT_TEST_S3_REGION")),
    ]);
    let location = format!("{base}/mount-{}", std::process::id());
    let options = BackendOptions::default();
    let backend = Location::parse_with_env(&location, &options, &|k| env.get(k).cloned())
        .and_then(|l| l.open(&options))
        .unwrap();
    let fx = fixture();
    let open = OpenOptions::default().cache_dir(scratch("s3-cache"));
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
        std::slice::from_ref(&fx.source),
        &BackupOptions::default(),
        &(),
    )
    .unwrap();

    let dir = scratch("s3-mount").join("mnt");
    std::fs::create_dir_all(&dir).unwrap();
    let handle = match repo.mount_background(&dir, &MountOptions::default()) {
        Ok(handle) => handle,
        Err(Error::FuseUnavailable { reason }) => {
            eprintln!("SKIPPED: {reason}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert!(is_mounted(&dir));
    let through = in_snapshot(&dir, "latest", &fx.source);
    let (seen, expected) = (walk(&through), walk(&fx.source));
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    for (path, original) in &expected {
        assert_eq!(
            seen[path].size,
            original.size,
            "{}",
            String::from_utf8_lossy(path)
        );
    }
    for (path, _) in expected
        .iter()
        .filter(|(_, s)| s.kind == 'f' && s.size > 0)
        .take(40)
    {
        let name = <std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path);
        assert_eq!(
            std::fs::read(through.join(name)).unwrap(),
            std::fs::read(fx.source.join(name)).unwrap(),
            "{}",
            String::from_utf8_lossy(path)
        );
    }
    handle.unmount().unwrap();
}
