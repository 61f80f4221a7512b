//! The photo corpus of `mkcorpus.py`, generated once per run of the test binary.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn mkcorpus_script() -> PathBuf {
    match std::env::var_os("PVAULT_MKCORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/bench/mkcorpus.py"),
    }
}

/// Runs `mkcorpus.py ARGS`, failing the test with its output if it fails.
#[track_caller]
pub fn mkcorpus<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) {
    let script = mkcorpus_script();
    assert!(
        script.is_file(),
        "the corpus generator is missing at {} (set PVAULT_MKCORPUS to its path)",
        script.display()
    );
    let out = Command::new("python3")
        .arg(&script)
        .args(args)
        .output()
        .expect("cannot run python3");
    assert!(
        out.status.success(),
        "mkcorpus.py failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

static CORPUS: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_corpus() {
    if let Some(dir) = CORPUS.get() {
        let _ = fs::remove_dir_all(dir);
    }
}

/// The photo corpus (`mkcorpus.py --seed 1 --scale 0.02`: ~200 MB, ~400 files, with the
/// intended duplicates under `Imports/`), generated once per test run and shared read-only.
/// Copy it with [`copy_tree`] before changing anything in it.
pub fn corpus() -> &'static Path {
    CORPUS.get_or_init(|| {
        let pil = Command::new("python3")
            .args(["-c", "import PIL"])
            .output()
            .expect("cannot run python3");
        assert!(
            pil.status.success(),
            "the corpus generator needs Pillow: `python3 -m pip install Pillow` \
             (CI installs it)\n{}",
            String::from_utf8_lossy(&pil.stderr)
        );
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("corpus-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        // Removed when the test binary exits (statics are never dropped).
        // SAFETY: `remove_corpus` is a plain function that only touches the file system.
        unsafe { libc::atexit(remove_corpus) };
        mkcorpus([
            dir.as_os_str(),
            OsStr::new("--seed"),
            OsStr::new("1"),
            OsStr::new("--scale"),
            OsStr::new("0.02"),
        ]);
        dir
    })
}

/// `cp -a from to`.
#[track_caller]
pub fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cannot run cp");
    assert!(status.success(), "cp -a {from:?} {to:?} failed");
}
