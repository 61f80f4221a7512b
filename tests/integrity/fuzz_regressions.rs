//! Replays the inputs kept under `fuzz/regressions/<target>/`: crashes the fuzzers found (and
//! a few interesting corpus inputs), each through the very check its fuzz target runs.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use crate::checks;
use crate::support::workspace_root;

fn regressions_dir() -> PathBuf {
    workspace_root().join("fuzz").join("regressions")
}

/// Runs `check` on every file of `fuzz/regressions/<target>/`; all must pass.
fn replay(target: &str) {
    let (_, check) = checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz check named {target}"));
    let dir = regressions_dir().join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("regression input");
        if catch_unwind(AssertUnwindSafe(|| check(&data))).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} {target} inputs fail (see the panics above): {failed:#?}",
        failed.len(),
        files.len()
    );
}

macro_rules! regression_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*

        #[test]
        fn every_fuzz_target_has_regressions_and_every_folder_a_target() {
            let mut targets: Vec<&str> = checks::TARGETS.iter().map(|(n, _)| *n).collect();
            targets.sort_unstable();
            let mut tested = vec![$(stringify!($target)),*];
            tested.sort_unstable();
            assert_eq!(tested, targets, "a fuzz check is not replayed here");
            let mut folders: Vec<String> = std::fs::read_dir(regressions_dir())
                .expect("fuzz/regressions")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with('.') && n != "README.md")
                .collect();
            folders.sort();
            assert_eq!(folders, targets, "fuzz/regressions/ must hold one folder per target");
        }
    };
}

regression_tests!(
    pack_header,
    index_file,
    tree,
    snapshot,
    key_file,
    config,
    blob,
    tree_round_trip,
    index_round_trip,
    jpeg_cuts,
    png_cuts,
    tiff_cuts,
    bmff_cuts
);

/// The allocation bounds of the checks are only measured when the tracking allocator is this
/// binary's global allocator (see `main.rs`).
#[test]
fn allocations_are_measured() {
    let (_, largest) = checks::largest_allocation(|| std::hint::black_box(vec![0u8; 12345]));
    assert!(largest >= Some(12345), "{largest:?}");
}
