//! Content is stored once: duplicates, unchanged files, renamed folders and photos whose EXIF
//! was edited in place cost (almost) nothing new.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::*;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

fn u64_of(summary: &serde_json::Value, field: &str) -> u64 {
    summary[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {summary}"))
}

#[test]
fn imported_duplicates_of_backed_up_photos_add_almost_nothing() {
    let s = Scratch::with_repo();
    let corpus = corpus();
    s.pv.backup(&[&corpus.join("Photos")], &[]);
    let imports = s.pv.backup(&[&corpus.join("Imports")], &[]);
    let imported = u64_of(&imports, "total_bytes_processed");
    assert!(
        imported > MIB,
        "the corpus has too few duplicates: {imports}"
    );
    // Only the folder listings (tree blobs) are new.
    assert!(
        u64_of(&imports, "data_added") < 64 * KIB,
        "byte-identical imports added data: {imports}"
    );
}

#[test]
fn a_second_backup_without_changes_reads_no_file_content_and_adds_under_1_mib() {
    let s = Scratch::with_repo();
    let corpus = corpus();
    let first = s.pv.backup(&[corpus], &[]);
    let size_before = dir_size(s.pv.repo());
    let second = s.pv.backup(&[corpus], &[]);
    let growth = dir_size(s.pv.repo()) - size_before;

    assert_eq!(u64_of(&second, "bytes_read"), 0, "{second}");
    assert_eq!(u64_of(&second, "files_new"), 0, "{second}");
    assert_eq!(u64_of(&second, "files_changed"), 0, "{second}");
    assert_eq!(
        u64_of(&second, "files_unmodified"),
        u64_of(&first, "total_files_processed"),
        "{second}"
    );
    assert_eq!(
        u64_of(&second, "total_files_processed"),
        u64_of(&first, "total_files_processed")
    );
    assert!(growth < MIB, "repository grew by {growth} bytes");
}

/// Whether one of `files` (below `dir`) has the size and content of the file at `path`.
fn find_identical(dir: &Path, files: &[(PathBuf, u64)], path: &Path, size: u64) -> bool {
    files
        .iter()
        .filter(|(_, s)| *s == size)
        .any(|(rel, _)| same_content(&dir.join(rel), path).unwrap())
}

#[test]
fn photos_whose_exif_was_rewritten_in_place_cost_a_fraction_of_their_size() {
    let s = Scratch::with_repo();
    let pristine = corpus();
    let library = s.path("library");
    copy_tree(pristine, &library);
    let before = list_files(&library);
    s.pv.backup(&[&library], &[]);

    mutate_corpus(&library, 2);
    let after = list_files(&library);
    let day2 = s.pv.backup(&[&library], &[]);

    let before_sizes: HashMap<&PathBuf, u64> = before.iter().map(|(p, s)| (p, *s)).collect();
    let (mut exif_bytes, mut exif_files) = (0u64, Vec::new());
    let mut other_new_bytes = 0u64;
    for (rel, size) in &after {
        let now = library.join(rel);
        match before_sizes.get(rel) {
            Some(_) if same_content(&pristine.join(rel), &now).unwrap() => {}
            Some(&old) => {
                let is_jpeg = rel
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("jpg"));
                if is_jpeg && old.abs_diff(*size) <= 200 {
                    exif_bytes += size;
                    exif_files.push(rel.clone());
                } else {
                    other_new_bytes += size; // e.g. an edited XMP sidecar
                }
            }
            // Moved along with a renamed folder, or genuinely new.
            None if find_identical(pristine, &before, &now, *size) => {}
            None => other_new_bytes += size,
        }
    }
    assert!(
        !exif_files.is_empty(),
        "--mutate rewrote no EXIF block in place"
    );
    let data_added = u64_of(&day2, "data_added");
    let exif_cost = data_added.saturating_sub(other_new_bytes);
    // Container parts (the default scheme): the image data keeps its chunks, the EXIF
    // block costs itself; plain chunking stored about a tenth of each photo again.
    assert!(
        exif_cost * 50 <= exif_bytes,
        "{exif_files:?} ({exif_bytes} bytes) cost {exif_cost} bytes, more than 2% \
         (data_added {data_added}, new and edited files {other_new_bytes})"
    );
}

#[test]
fn renaming_a_folder_of_photos_adds_only_folder_listings() {
    let s = Scratch::with_repo();
    let library = s.path("library");
    fs::create_dir(&library).unwrap();
    // The smallest year of the corpus that holds a few MiB of photos.
    let year = fs::read_dir(corpus().join("Photos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| dir_size(p) > 2 * MIB)
        .min_by_key(|p| (dir_size(p), p.clone()))
        .expect("a year of photos");
    copy_tree(&year, &library.join("year"));
    s.pv.backup(&[&library], &[]);

    fs::rename(library.join("year"), library.join("year Holidays")).unwrap();
    let renamed = s.pv.backup(&[&library], &[]);
    assert!(u64_of(&renamed, "total_bytes_processed") > MIB, "{renamed}");
    assert!(
        u64_of(&renamed, "data_added") < 64 * KIB,
        "a rename added data: {renamed}"
    );
}

#[test]
fn a_file_rewritten_with_its_old_size_and_mtime_is_read_again() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    let photo = src.join("photo.jpg");
    fs::write(&photo, random_bytes(100_000, 1)).unwrap();
    fs::write(src.join("other.jpg"), random_bytes(100_000, 2)).unwrap();
    s.pv.backup(&[&src], &[]);

    // Same size, same mtime, new content: only the ctime tells. That is the signature of
    // damage on the source disk (SPEC §14.5): stored, and reported with exit code 15.
    let mtime = filetime::FileTime::from_last_modification_time(&fs::metadata(&photo).unwrap());
    fs::write(&photo, random_bytes(100_000, 3)).unwrap();
    filetime::set_file_mtime(&photo, mtime).unwrap();
    let out =
        s.pv.run([
            std::ffi::OsStr::new("backup"),
            "--json".as_ref(),
            src.as_os_str(),
        ])
        .code(15);
    let second = out.last_json();
    assert_eq!(second["source_damaged"][0], photo.display().to_string());
    assert_eq!(u64_of(&second, "files_changed"), 1, "{second}");
    assert_eq!(u64_of(&second, "files_unmodified"), 1, "{second}");
    assert_eq!(u64_of(&second, "bytes_read"), 100_000, "{second}");

    let target = s.path("target");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&src, &restored_path(&target, &src));
}

#[test]
fn a_forced_backup_reads_every_file_again_and_adds_no_data() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    for i in 0..3 {
        fs::write(src.join(format!("{i}.jpg")), random_bytes(300_000, i)).unwrap();
    }
    s.pv.backup(&[&src], &[]);
    let forced = s.pv.backup(&[&src], &["--force"]);
    assert_eq!(u64_of(&forced, "bytes_read"), 900_000, "{forced}");
    // Folder listings above the source (/tmp's mtime, say) may change; data may not.
    assert!(u64_of(&forced, "data_added") < 4 * KIB, "{forced}");
}

/// Every blob of every pack, by kind, read from the pack headers.
fn packed_kinds(
    repo: &Path,
) -> Vec<(
    photovault_core::PackId,
    Vec<photovault_core::format::blob::BlobEntry>,
)> {
    use photovault_core::backend::{Backend, FileKind, LocalBackend};
    let backend = LocalBackend::new(repo);
    let (_, key) = open_with_key(repo);
    backend
        .list(FileKind::Pack)
        .unwrap()
        .into_iter()
        .map(|f| {
            let id: photovault_core::PackId = f.name.parse().unwrap();
            let entries = photovault_core::pack::read_header(&backend, &key, &id, f.size).unwrap();
            (id, entries)
        })
        .collect()
}

#[test]
fn a_file_with_the_bytes_of_a_folder_listing_is_stored_apart_from_the_trees() {
    // An empty folder's tree is the two bytes 01 00; a file holding those bytes has the
    // same blob id. Deduplication is by kind and id, so tree packs hold only trees.
    use photovault_core::format::blob::BlobKind;
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir_all(src.join("empty")).unwrap();
    fs::write(src.join("two-bytes.bin"), [1u8, 0]).unwrap();
    s.pv.backup(&[&src], &[]);

    let (_, key) = open_with_key(s.pv.repo());
    let shared = key.blob_id(&[1, 0]);
    let mut kinds_of_shared = Vec::new();
    for (pack, entries) in packed_kinds(s.pv.repo()) {
        let kind = entries[0].kind;
        assert!(
            entries.iter().all(|e| e.kind == kind),
            "pack {pack} mixes trees and data"
        );
        kinds_of_shared.extend(entries.iter().filter(|e| e.id == shared).map(|e| e.kind));
    }
    kinds_of_shared.sort_by_key(|k| *k as u8);
    assert_eq!(kinds_of_shared, [BlobKind::Data, BlobKind::Tree]);

    let target = s.path("target");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&src, &restored_path(&target, &src));
    s.pv.ok(["check", "--read-data"]);
}
