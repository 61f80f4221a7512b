//! Mounting and unmounting: signals unmount cleanly (lazily when busy), the library can
//! mount in the background, and bad arguments are refused before anything is mounted.

use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use photovault_core::backend::LocalBackend;
use photovault_core::{Error, MountOptions, OpenOptions, Repository};

use crate::support::{fixture, in_snapshot, is_mounted, mount, pvault_bin, scratch, PASSWORD};

#[test]
fn sigterm_and_ctrl_c_unmount_cleanly() {
    let fx = fixture();
    for (signal, name) in [(libc::SIGTERM, "sigterm"), (libc::SIGINT, "sigint")] {
        let Some(m) = mount(&fx.repo, name, &[]) else {
            return;
        };
        let dir = m.dir.clone();
        assert!(dir.join("snapshots/latest").exists());
        let (status, stdout, stderr) = m.stop(signal);
        assert!(
            status.success(),
            "pvault mount ended with {status}:\n{stderr}"
        );
        assert!(stdout.contains("unmounted"), "{stdout}");
        assert!(!is_mounted(&dir), "still mounted after signal {signal}");
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            0,
            "the mount point is not empty again"
        );
    }
}

#[test]
fn a_busy_mount_is_detached_on_sigterm() {
    let fx = fixture();
    let Some(m) = mount(&fx.repo, "busy", &[]) else {
        return;
    };
    let dir = m.dir.clone();
    let path = in_snapshot(&dir, "latest", &fx.source).join("extras/exif/dated.jpg");
    let mut open = fs::File::open(&path).unwrap();
    let mut first = [0u8; 2];
    open.read_exact(&mut first).unwrap();
    assert_eq!(first, [0xFF, 0xD8]);
    let (status, _, stderr) = m.stop(libc::SIGTERM);
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("busy"), "{stderr}");
    assert!(!is_mounted(&dir), "a busy mount was left mounted");
    drop(open);
}

#[test]
fn the_library_mounts_in_the_background() {
    let fx = fixture();
    if !Path::new("/dev/fuse").exists() {
        eprintln!("SKIPPED: /dev/fuse does not exist");
        return;
    }
    let backend = Arc::new(LocalBackend::new(&fx.repo));
    let options = OpenOptions::default().cache_dir(scratch("library-cache"));
    let repo = Repository::open(backend, PASSWORD.as_bytes(), &options)
        .unwrap()
        .to_indexed()
        .unwrap();
    let dir = scratch("library").join("mnt");
    fs::create_dir_all(&dir).unwrap();
    // The smallest cache there is: reading the corpus' video evicts as it goes.
    let options = MountOptions::default().cache_size(0);
    let handle = match repo.mount_background(&dir, &options) {
        Ok(handle) => handle,
        Err(Error::FuseUnavailable { reason }) => {
            eprintln!("SKIPPED: {reason}");
            return;
        }
        Err(Error::Mount { source, .. })
            if source.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            eprintln!("SKIPPED: {source}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert!(handle.is_mounted() && is_mounted(&dir));
    assert_eq!(handle.mountpoint(), dir);
    let largest = crate::support::walk(&fx.source)
        .into_iter()
        .max_by_key(|(_, seen)| seen.size)
        .map(|(path, _)| PathBuf::from(std::ffi::OsString::from_vec(path)))
        .unwrap();
    assert!(fs::metadata(fx.source.join(&largest)).unwrap().len() > 32 << 20);
    let through = fs::read(in_snapshot(&dir, "latest", &fx.source).join(&largest)).unwrap();
    assert!(
        through == fs::read(fx.source.join(&largest)).unwrap(),
        "{largest:?} differs"
    );
    handle.unmount().unwrap();
    assert!(!is_mounted(&dir));
}

#[test]
fn bad_arguments_are_refused_before_mounting() {
    let fx = fixture();
    let dir = scratch("refused");
    let run = |args: &[&str]| {
        std::process::Command::new(pvault_bin())
            .arg("-r")
            .arg(&fx.repo)
            .env("PVAULT_PASSWORD", PASSWORD)
            .env("PVAULT_CACHE_DIR", fx.repo.with_extension("cache"))
            .arg("mount")
            .args(args)
            .output()
            .unwrap()
    };
    let missing = dir.join("no-such-folder");
    let out = run(&[missing.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("cannot mount at") && stderr.contains("no-such-folder"),
        "{stderr}"
    );

    let out = run(&[dir.to_str().unwrap(), "--snapshot", "ffffffff"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("no snapshot matches 'ffffffff'"),
        "{stderr}"
    );
    assert!(!is_mounted(&dir));
}
