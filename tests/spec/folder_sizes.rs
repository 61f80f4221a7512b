//! A folder of any size restores. Folders of about 560-800 and 2,500-3,000 entries once
//! backed up "successfully" and then could not be read back; these tests walk through
//! every band of sizes a photo folder has, end to end through `pvault`.

use std::fs;
use std::path::Path;

use crate::support::*;

/// Creates `count` small photo-named files in `dir` (content: the file's number).
fn fill_folder(dir: &Path, count: usize) {
    fs::create_dir_all(dir).unwrap();
    for i in 0..count {
        fs::write(dir.join(format!("IMG_{i:06}.JPG")), i.to_string()).unwrap();
    }
}

/// Folder sizes from 0 to 5,000: every size up to 16, the edges and the middle of the two
/// bands that used to fail, and thousands between. (The tree format itself is read back at
/// every size up to 5,000 and at 200,000 by `format::tree`'s unit tests; this walks the same
/// shapes end to end through `pvault`.)
fn folder_sizes() -> Vec<usize> {
    let mut sizes: Vec<usize> = (0..=16).collect();
    sizes.extend([540, 559, 560, 600, 680, 799, 800, 820]);
    sizes.extend([
        1_000, 2_000, 2_449, 2_450, 2_500, 2_750, 2_999, 3_000, 3_050, 4_000, 5_000,
    ]);
    sizes
}

#[test]
fn folders_of_every_size_up_to_5000_entries_restore_identically() {
    let s = Scratch::with_repo_in_memory();
    let source = s.path("photos");
    for size in folder_sizes() {
        fill_folder(&source.join(format!("folder-{size:05}")), size);
    }
    s.pv.backup(&[&source], &[]);

    let target = s.path("target");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&source, &restored_path(&target, &source));
    let check = s.pv.run(["check"]);
    assert_eq!(check.code, 0, "{check}");
}

#[test]
fn a_folder_of_100000_entries_restores_identically() {
    let s = Scratch::with_repo_in_memory();
    let source = s.path("camera-roll");
    fill_folder(&source, 100_000);
    s.pv.backup(&[&source], &[]);

    let target = s.path("target");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&source, &restored_path(&target, &source));
}
