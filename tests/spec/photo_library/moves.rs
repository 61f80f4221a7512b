//! Moving and renaming folders and photos costs nothing: not a read, not a byte stored.

use std::fs;
use std::path::{Path, PathBuf};

use super::u64_of;
use crate::support::*;

const MIB: u64 = 1024 * 1024;

/// The folders two levels below `root` (one level where there is no second), with the
/// files and bytes below each.
fn folders_with_bytes(root: &Path) -> Vec<(PathBuf, u64, u64)> {
    let mut out = Vec::new();
    let mut top: Vec<PathBuf> = fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    top.sort();
    for dir in top {
        let mut subs: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        subs.sort();
        let loose: u64 = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().metadata().unwrap())
            .filter(|m| m.is_file())
            .map(|m| m.len())
            .sum();
        if subs.is_empty() || loose > 0 {
            let files = list_files(&dir);
            out.push((
                dir.clone(),
                files.len() as u64,
                files.iter().map(|f| f.1).sum(),
            ));
        } else {
            out.extend(subs.into_iter().map(|s| {
                let files = list_files(&s);
                (
                    s.clone(),
                    files.len() as u64,
                    files.iter().map(|f| f.1).sum(),
                )
            }));
        }
    }
    out
}

#[test]
fn moving_folders_that_hold_90_percent_of_a_library_reads_under_1_percent_and_adds_under_1_mib() {
    let s = Scratch::with_repo();
    let library = s.path("library");
    copy_tree(corpus(), &library);
    let first = s.pv.backup(&[&library], &[]);
    let total_bytes = u64_of(&first, "total_bytes_processed");
    let total_files = u64_of(&first, "total_files_processed");

    // Reorganise: folders holding at least 90% of the files and of the bytes go below
    // `Reorganised/`, each under a new name, the biggest share first.
    let reorganised = library.join("Reorganised");
    fs::create_dir(&reorganised).unwrap();
    let enough =
        |files: u64, bytes: u64| files * 10 >= total_files * 9 && bytes * 10 >= total_bytes * 9;
    let share = |files: u64, bytes: u64| {
        (files * 1_000_000 / total_files).max(bytes * 1_000_000 / total_bytes)
    };
    let mut folders = folders_with_bytes(&library);
    folders.sort_by_key(|&(_, files, bytes)| std::cmp::Reverse(share(files, bytes)));
    let (mut moved_files, mut moved_bytes, mut moved_folders) = (0, 0, 0);
    for (folder, files, bytes) in folders {
        if enough(moved_files, moved_bytes) {
            break;
        }
        let rel = folder.strip_prefix(&library).unwrap();
        let name = format!("moved {}", rel.display()).replace('/', " - ");
        fs::rename(&folder, reorganised.join(name)).unwrap();
        moved_files += files;
        moved_bytes += bytes;
        moved_folders += 1;
    }
    assert!(
        enough(moved_files, moved_bytes),
        "moved {moved_files} files, {moved_bytes} bytes"
    );

    let size_before = dir_size(s.pv.repo());
    let second = s.pv.backup(&[&library], &[]);
    let added = dir_size(s.pv.repo()) - size_before;
    let read = u64_of(&second, "bytes_read");
    eprintln!(
        "moves: {moved_folders} folders holding {moved_files} of {total_files} files and \
         {moved_bytes} of {total_bytes} bytes moved; the next backup read {read} bytes \
         ({:.3}%), the repository grew by {added} bytes, {} files found moved",
        read as f64 * 100.0 / total_bytes as f64,
        u64_of(&second, "files_moved")
    );
    assert!(
        read * 100 < total_bytes,
        "read {read} of {total_bytes}: {second}"
    );
    assert!(added < MIB, "the repository grew by {added} bytes");
    assert_eq!(u64_of(&second, "files_new"), 0, "{second}");
    assert_eq!(u64_of(&second, "files_moved"), moved_files, "{second}");
    assert_eq!(second["mass_deletion"]["alarm"], false, "{second}");

    // What moved restores from the new snapshot.
    let target = s.path("restored");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&library, &restored_path(&target, &library));
}

#[test]
fn photos_renamed_one_by_one_keep_their_content_without_being_read() {
    let s = Scratch::with_repo();
    let library = s.path("library");
    for i in 0..30 {
        write_random_file(&library.join(format!("camera/IMG_{i:04}.JPG")), 40_000, i);
    }
    s.pv.backup(&[&library], &[]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    for i in 0..30 {
        let to = library.join(format!("{}/2021-05-{:02} {i}.jpg", i % 3, i + 1));
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::rename(library.join(format!("camera/IMG_{i:04}.JPG")), to).unwrap();
    }
    let second = s.pv.backup(&[&library], &[]);
    assert_eq!(u64_of(&second, "bytes_read"), 0, "{second}");
    assert_eq!(u64_of(&second, "files_moved"), 30, "{second}");
    let target = s.path("restored");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&library, &restored_path(&target, &library));
}
