//! The store goes away or fills up in the middle of a backup: the backup fails with the
//! location in its message and exit code 1, what the store holds still checks clean
//! (`check --read-data`), `repair index` works on it, and the next backup, once the store is
//! back or has room again, completes and restores byte for byte.
//!
//! The tests need a store of their own, which they can break without disturbing the tests
//! that share the CI servers: an `s3s-fs` the test starts and kills (the binary named by
//! `PVAULT_TEST_S3S_FS`, from `.ci/servers.sh`), small tmpfs disks (root only) under the
//! SFTP server's folder or an own s3s-fs, and a [`Relay`] in front of the SFTP server that
//! the test cuts. Without them each test says so loudly and passes without running.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use photovault_testkit::pvault::Output;

use crate::support::{
    assert_same_tree, is_root, restored_path, write_random_file, Pvault, Scratch, FAST_KDF,
    PASSWORD,
};

use super::relay::Relay;
use super::Server;

/// Random (incompressible) photos of `count` MiB in all, one MiB each, so that a repository
/// with 1 MiB packs gets about one pack per file.
fn photos(s: &Scratch, count: u64) -> PathBuf {
    let photos = s.path("photos");
    for i in 0..count {
        write_random_file(
            &photos.join(format!("{:02}/IMG_{i:04}.JPG", i % 4)),
            1 << 20,
            i,
        );
    }
    photos
}

fn skip(why: &str) {
    eprintln!("\n*** SKIPPED: {why} ***\n");
}

/// Files below `dir`, at any depth, whose name does not start with a dot.
fn objects_under(dir: &Path) -> usize {
    files_under(dir)
        .iter()
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .count()
}

/// Files below `dir`, at any depth (none when it does not exist yet).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    photovault_testkit::files::walk(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| !e.metadata.is_dir())
        .map(|e| e.path)
        .collect()
}

/// An s3s-fs of the test's own, serving `root` on a loopback port.
struct OwnS3 {
    binary: PathBuf,
    root: PathBuf,
    port: u16,
    child: Option<Child>,
}

const ACCESS_KEY: &str = "PVOUTAGEACCESSKEY01";
const SECRET_KEY: &str = "pvault-outage-secret-key";

impl OwnS3 {
    fn start(binary: PathBuf, root: PathBuf) -> OwnS3 {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = OwnS3 {
            binary,
            root,
            port,
            child: None,
        };
        server.run();
        server
    }

    /// (Re)starts the server on its port and folder and waits until it takes connections.
    fn run(&mut self) {
        let child = Command::new(&self.binary)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&self.root)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "s3s-fs did not come up");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server dies at once (SIGKILL): no goodbye to the connections it holds.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

impl Drop for OwnS3 {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs a backup of `photos` onto a store that fills up, and asserts that it failed with
/// exit code 1, naming `location` and giving `advice`.
fn backup_onto_a_full_disk(pv: &Pvault, photos: &Path, location: &str, advice: &str) -> Output {
    let out = pv.run_within(
        Duration::from_secs(120),
        ["-o", "retries=1", "backup", photos.to_str().unwrap()],
    );
    eprintln!("the backup onto a full disk said:\n{}", out.stderr);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains(location),
        "the location is named: {out}"
    );
    assert!(
        out.stderr.contains(advice),
        "the message says what is likely wrong: {out}"
    );
    out
}

/// A `pvault` runner for `location` on an [`OwnS3`], with its credentials.
fn own_s3_pvault(s: &Scratch, location: &str) -> Pvault {
    Pvault::new(
        env!("CARGO_BIN_EXE_pvault"),
        location,
        s.path("cache"),
        PASSWORD,
    )
    .with_env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    .with_env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    .with_env("AWS_DEFAULT_REGION", "us-east-1")
}

/// Runs a backup of `photos` (with the options `prefix` and one retry) and calls
/// `break_store` once two packs are stored under `packs`. Asserts that the backup failed
/// with exit code 1, naming `location` and saying that the server stopped answering, and
/// returns what it printed on stderr.
fn backup_broken_off(
    pv: &Pvault,
    prefix: &[&str],
    photos: &Path,
    packs: &Path,
    location: &str,
    break_store: impl FnOnce(),
) -> String {
    let args = ["-o", "retries=1", "backup", photos.to_str().unwrap()];
    let backup = pv
        .command(prefix.iter().copied().chain(args))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while objects_under(packs) < 2 {
        assert!(Instant::now() < deadline, "no pack stored within 60 s");
        std::thread::sleep(Duration::from_millis(2));
    }
    break_store();
    let out = backup.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("the backup whose server went away said:\n{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(location), "the location is named: {stderr}");
    assert!(
        stderr.contains("stopped answering"),
        "the message says what is wrong: {stderr}"
    );
    stderr
}

/// Once the store is back or has room again: what it holds checks clean, `repair index`
/// indexes the packs a broken backup left, and the next backup completes and restores
/// byte for byte.
fn store_recovers(pv: &Pvault, prefix: &[&str], s: &Scratch, photos: &Path) {
    let run = |args: &[&str]| pv.run(prefix.iter().chain(args)).success();
    run(&["snapshots", "--json"]);
    run(&["check", "--read-data"]);
    run(&["repair", "index"]);
    run(&["check", "--read-data"]);
    run(&["backup", photos.to_str().unwrap()]);
    run(&["check", "--read-data"]);
    let target = s.path("restored");
    run(&["restore", "latest", "--target", target.to_str().unwrap()]);
    assert_same_tree(photos, &restored_path(&target, photos));
}

#[test]
fn a_server_killed_mid_backup_leaves_a_repository_that_checks_repairs_and_backs_up() {
    let Some(binary) = std::env::var_os("PVAULT_TEST_S3S_FS") else {
        return skip(
            "no s3s-fs to kill (PVAULT_TEST_S3S_FS is not set). Start the test servers with \
             `.ci/servers.sh start` and source the env file it prints",
        );
    };
    let s = Scratch::new();
    let photos = photos(&s, 40);
    let root = s.path("s3");
    std::fs::create_dir_all(root.join("bucket")).unwrap();
    let mut server = OwnS3::start(binary.into(), root.clone());
    let location = format!("s3:http://127.0.0.1:{}/bucket/photos", server.port);
    let pv = own_s3_pvault(&s, &location);
    pv.run(["init", "--pack-size", "1"].into_iter().chain(FAST_KDF))
        .success();

    // The backup runs until two of its forty packs are stored, then the server dies.
    let packs = root.join("bucket/photos/data");
    let stderr = backup_broken_off(&pv, &[], &photos, &packs, &location, || server.kill());
    assert!(
        !stderr.contains(SECRET_KEY),
        "no secret in messages: {stderr}"
    );

    server.run();
    store_recovers(&pv, &[], &s, &photos);
}

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Tmpfs(at.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount {}", self.0.display());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

#[test]
fn a_full_remote_disk_fails_the_backup_cleanly_and_a_later_one_completes() {
    let Some(base) = Server::Sftp.base() else {
        return;
    };
    // sftp://user@host:port/ABSOLUTE/FOLDER: the folder is on this machine.
    let folder = base
        .strip_prefix("sftp://")
        .and_then(|rest| rest.find('/').map(|i| &rest[i..]))
        .expect("an sftp:// base with a path")
        .to_string();
    if !is_root() {
        return skip("a full disk needs a small tmpfs, and mounting one needs root");
    }
    let Some(location) = Server::Sftp.fresh_location("tmpfs") else {
        return;
    };
    let name = location.rsplit('/').next().unwrap();
    let Some(disk) = Tmpfs::mount(&Path::new(&folder).join(name), "6m") else {
        return skip("mount -t tmpfs failed: no small disk to fill");
    };
    let s = Scratch::new();
    let photos = photos(&s, 12);
    let pv = Server::Sftp.pvault(&s, &location);
    pv.run(["init", "--pack-size", "1"].into_iter().chain(FAST_KDF))
        .success();

    backup_onto_a_full_disk(&pv, &photos, &location, "disk may be full");
    // No half-written object is left behind under a temporary name.
    let left: Vec<_> = files_under(&disk.0)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "unfinished writes left: {left:?}");
    // The disk is still full: no lock can be written, so the check reads without one.
    pv.run(["--no-lock", "check", "--read-data"]).success();

    disk.resize("64m");
    store_recovers(&pv, &[], &s, &photos);
}

#[test]
fn a_full_disk_behind_s3_fails_the_backup_cleanly_and_a_later_one_completes() {
    let Some(binary) = std::env::var_os("PVAULT_TEST_S3S_FS") else {
        return skip(
            "no s3s-fs of the test's own (PVAULT_TEST_S3S_FS is not set). Start the test \
             servers with `.ci/servers.sh start` and source the env file it prints",
        );
    };
    if !is_root() {
        return skip("a full disk needs a small tmpfs, and mounting one needs root");
    }
    let s = Scratch::new();
    let Some(disk) = Tmpfs::mount(&s.path("s3"), "6m") else {
        return skip("mount -t tmpfs failed: no small disk to fill");
    };
    std::fs::create_dir_all(disk.0.join("bucket")).unwrap();
    let server = OwnS3::start(binary.into(), disk.0.clone());
    let location = format!("s3:http://127.0.0.1:{}/bucket/photos", server.port);
    let pv = own_s3_pvault(&s, &location);
    let photos = photos(&s, 12);
    pv.run(["init", "--pack-size", "1"].into_iter().chain(FAST_KDF))
        .success();

    let out = backup_onto_a_full_disk(&pv, &photos, &location, "full disk is the usual cause");
    assert!(!out.stderr.contains(SECRET_KEY), "no secret: {out}");
    pv.run(["--no-lock", "check", "--read-data"]).success();

    disk.resize("64m");
    store_recovers(&pv, &[], &s, &photos);
}

#[test]
fn an_sftp_server_that_goes_away_mid_backup_leaves_a_repository_that_checks_repairs_and_backs_up() {
    let Some(base) = Server::Sftp.base() else {
        return;
    };
    // sftp://user@host:port/ABSOLUTE/FOLDER: the folder is on this machine.
    let rest = base.strip_prefix("sftp://").expect("an sftp:// base");
    let (authority, folder) = rest.split_at(rest.find('/').expect("a path"));
    let (user, upstream) = authority.split_once('@').expect("user@host:port");
    let relay = Relay::start(upstream.to_string());
    let Some(fresh) = Server::Sftp.fresh_location("cut") else {
        return;
    };
    let name = fresh.rsplit('/').next().unwrap();
    let location = format!("sftp://{user}@127.0.0.1:{}{folder}/{name}", relay.port);
    let packs = Path::new(folder).join(name).join("data");
    let s = Scratch::new();
    let photos = photos(&s, 40);
    // The relay's port is new to ssh: its host key is accepted (and remembered) at first use.
    let pv = Server::Sftp.pvault(&s, &location);
    let known = ["-o", "sftp.known-hosts=accept"];
    pv.run(
        known
            .into_iter()
            .chain(["init", "--pack-size", "1"])
            .chain(FAST_KDF),
    )
    .success();

    backup_broken_off(&pv, &known, &photos, &packs, &location, || relay.cut());

    relay.restore();
    store_recovers(&pv, &known, &s, &photos);
}
