//! The mount tests' fixture and tools: a repository of the photo corpus plus hand-made
//! files (built once per run), `pvault mount` in the background with an unmounting guard,
//! and a tree walk that records everything a mount must reproduce.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Read;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The password of the test repositories.
pub const PASSWORD: &str = "mount test password";

/// Files in the big folder.
pub const BIG_FOLDER: usize = 20_000;

/// The `pvault` binary under test.
pub fn pvault_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pvault"))
}

/// Runs `pvault ARGS` against `repo` (with its cache beside it), asserting success.
#[track_caller]
pub fn pvault(repo: &Path, args: &[&OsStr]) -> Output {
    let out = command(repo)
        .args(args)
        .output()
        .expect("cannot run pvault");
    assert!(
        out.status.success(),
        "pvault {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn command(repo: &Path) -> Command {
    let cache = repo.with_extension("cache");
    photovault_testkit::pvault::Pvault::new(pvault_bin(), repo, cache, PASSWORD)
        .command(std::iter::empty::<&str>())
}

/// Creates a repository at `repo` with cheap key derivation.
pub fn init_repo(repo: &Path) {
    let args = ["init", "--kdf-memory", "1024", "--kdf-iterations", "1"];
    pvault(repo, &args.map(OsStr::new));
}

/// Backs up `paths` into `repo` with extra arguments.
pub fn backup(repo: &Path, paths: &[&Path], extra: &[&str]) {
    let mut args: Vec<&OsStr> = vec![OsStr::new("backup"), OsStr::new("-q")];
    args.extend(extra.iter().map(OsStr::new));
    args.extend(paths.iter().map(|p| p.as_os_str()));
    pvault(repo, &args);
}

// ---- the shared fixture ------------------------------------------------------------------

/// The shared repository: the corpus and the hand-made files, backed up twice (the second
/// time with `--host camera --tag trip`).
pub struct Fixture {
    /// What was backed up (holds `corpus/` and `extras/`).
    pub source: PathBuf,
    /// The repository.
    pub repo: PathBuf,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();
static BASE: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_base() {
    if let Some(dir) = BASE.get() {
        let _ = fs::remove_dir_all(dir);
    }
}

/// A fresh folder for this test run, removed when the test binary exits.
pub fn scratch(name: &str) -> PathBuf {
    let base = BASE.get_or_init(|| {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mount-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        // SAFETY: `remove_base` is a plain function that only touches the file system.
        unsafe { libc::atexit(remove_base) };
        dir
    });
    let dir = base.join(name);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The shared fixture, built on first use.
pub fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let source = scratch("source");
        let corpus = source.join("corpus");
        photovault_testkit::corpus::generate(&corpus, 1, 0.02)
            .unwrap_or_else(|e| panic!("generating the corpus in {corpus:?}: {e}"));
        crate::extras::make(&source.join("extras"));
        let repo = scratch("repo").join("repo");
        init_repo(&repo);
        let started = Instant::now();
        backup(&repo, &[&source], &[]);
        eprintln!(
            "fixture: backup took {:.1} s",
            started.elapsed().as_secs_f64()
        );
        // A second snapshot of the same content, with a host and a tag.
        backup(&repo, &[&source], &["--host", "camera", "--tag", "trip"]);
        Fixture { source, repo }
    })
}

// ---- mounting ----------------------------------------------------------------------------

/// A `pvault mount` running in the background; unmounted (and the process stopped) on drop.
pub struct Mounted {
    /// The mount point.
    pub dir: PathBuf,
    child: Option<Child>,
}

/// Mounts `repo` at a new folder with `pvault mount ... extra`. `None` (after saying so)
/// when this machine cannot mount FUSE file systems: no /dev/fuse, or no permission.
pub fn mount(repo: &Path, name: &str, extra: &[&str]) -> Option<Mounted> {
    if !Path::new("/dev/fuse").exists() {
        eprintln!("SKIPPED: /dev/fuse does not exist, so FUSE mounts cannot be tested here");
        return None;
    }
    let dir = scratch(name).join("mnt");
    fs::create_dir_all(&dir).unwrap();
    let child = command(repo)
        .arg("mount")
        .arg(&dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run pvault mount");
    let mut mounted = Mounted {
        dir,
        child: Some(child),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !is_mounted(&mounted.dir) {
        if let Some(status) = mounted.child_mut().try_wait().unwrap() {
            let mut stderr = String::new();
            let mut child = mounted.child.take().unwrap();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            child.wait().unwrap();
            let lower = stderr.to_lowercase();
            if lower.contains("fuse is not available") || lower.contains("permission denied") {
                eprintln!("SKIPPED: this machine cannot mount FUSE file systems: {stderr}");
                return None;
            }
            panic!("pvault mount exited with {status} before mounting:\n{stderr}");
        }
        assert!(
            Instant::now() < deadline,
            "pvault mount did not mount within a minute"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some(mounted)
}

/// Whether `dir` is a mount point now.
pub fn is_mounted(dir: &Path) -> bool {
    let mounts = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let dir = dir.to_string_lossy().replace(' ', "\\040");
    mounts
        .lines()
        .any(|l| l.split(' ').nth(4) == Some(dir.as_str()))
}

impl Mounted {
    fn child_mut(&mut self) -> &mut Child {
        self.child.as_mut().expect("running")
    }

    /// Stops `pvault mount` with `signal` and returns its exit status and output.
    pub fn stop(mut self, signal: i32) -> (std::process::ExitStatus, String, String) {
        let mut child = self.child.take().expect("running");
        // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
        unsafe { libc::kill(child.id() as i32, signal) };
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let (mut out, mut err) = (String::new(), String::new());
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (status, out, err)
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SAFETY: as in `stop`.
            unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(20);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        if is_mounted(&self.dir) {
            let lazy = Command::new("fusermount3")
                .arg("-u")
                .arg("-z")
                .arg(&self.dir)
                .status();
            if !lazy.is_ok_and(|s| s.success()) {
                let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
            }
        }
    }
}

// ---- walking trees -----------------------------------------------------------------------

/// What a mount must reproduce of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `f`, `d` or `l`.
    pub kind: char,
    /// Permission bits.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Files only (folder sizes are the file system's business).
    pub size: u64,
    /// Files and folders; symlinks' own times are not restored either.
    pub mtime: Option<(i64, i64)>,
    /// Symlinks: the target.
    pub target: Option<OsString>,
}

/// Every entry below `root` by relative path (raw bytes), without following symlinks.
pub fn walk(root: &Path) -> BTreeMap<Vec<u8>, Seen> {
    let mut out = BTreeMap::new();
    for entry in photovault_testkit::files::walk(root).unwrap() {
        let (meta, ft) = (&entry.metadata, entry.metadata.file_type());
        let kind = if ft.is_dir() {
            'd'
        } else if ft.is_symlink() {
            'l'
        } else {
            'f'
        };
        let seen = Seen {
            kind,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            size: if kind == 'f' { meta.len() } else { 0 },
            mtime: (kind != 'l').then(|| (meta.mtime(), meta.mtime_nsec())),
            target: (kind == 'l').then(|| fs::read_link(&entry.path).unwrap().into_os_string()),
        };
        out.insert(entry.relative.into_os_string().into_vec(), seen);
    }
    out
}

/// The snapshot folder (in a mount) that holds `source`, laid out as restore does it.
pub fn in_snapshot(mount: &Path, snapshot: &str, source: &Path) -> PathBuf {
    mount
        .join("snapshots")
        .join(snapshot)
        .join(source.strip_prefix("/").unwrap())
}

/// Runs `cmd` in `dir` and returns its stdout, asserting success.
pub fn run_in(dir: &Path, cmd: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}
