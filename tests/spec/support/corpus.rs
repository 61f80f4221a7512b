//! The photo corpus of `photovault_testkit::corpus`, generated once per run of the test
//! binary.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use photovault_testkit::corpus;

/// Applies the corpus' "day 2" change (new, edited, deleted and renamed files) to `dir`.
#[track_caller]
pub fn mutate_corpus(dir: &Path, seed: u64) -> corpus::MutationStats {
    corpus::mutate(dir, seed).unwrap_or_else(|e| panic!("mutating {dir:?}: {e}"))
}

static CORPUS: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_corpus() {
    if let Some(dir) = CORPUS.get() {
        let _ = fs::remove_dir_all(dir);
    }
}

/// The photo corpus (seed 1, scale 0.02: 162 MB, 413 files, with the intended
/// duplicates under `Imports/`), generated once per test run and shared read-only.
/// Copy it with [`copy_tree`] before changing anything in it.
pub fn corpus() -> &'static Path {
    CORPUS.get_or_init(|| {
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("corpus-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        // Removed when the test binary exits (statics are never dropped).
        // SAFETY: `remove_corpus` is a plain function that only touches the file system.
        unsafe { libc::atexit(remove_corpus) };
        corpus::generate(&dir, 1, 0.02)
            .unwrap_or_else(|e| panic!("generating the corpus in {dir:?}: {e}"));
        dir
    })
}

/// `cp -a from to`.
#[track_caller]
pub fn copy_tree(from: &Path, to: &Path) {
    photovault_testkit::files::copy_tree(from, to).expect("copy a folder tree");
}
