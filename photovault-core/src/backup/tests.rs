//! Specifications of what a backup reads and records when a library is reorganised, damaged,
//! emptied or hard-linked, on real files in a temporary folder and an in-memory repository.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::backend::MemoryBackend;
use crate::format::tree::{Node, NodeKind, Timestamp};
use crate::{BackupOptions, BackupOutcome, EntryProblem, InitOptions, KdfParams, OpenOptions};
use crate::{IndexedRepository, Repository, RestoreOptions, SnapshotId};

struct Library {
    dir: tempfile::TempDir,
    repo: IndexedRepository,
}

impl Library {
    fn new() -> Library {
        let options = InitOptions::default()
            .kdf(KdfParams {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            })
            .open_options(OpenOptions::default().no_cache(true));
        Library {
            dir: tempfile::tempdir().unwrap(),
            repo: Repository::init(Arc::new(MemoryBackend::new("t")), b"pw", &options)
                .unwrap()
                .to_indexed()
                .unwrap(),
        }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("Pictures")
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    fn write(&self, rel: &str, content: &[u8]) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    fn backup_with(&self, options: &BackupOptions) -> BackupOutcome {
        self.repo
            .backup(std::slice::from_ref(&self.root()), options, &())
            .unwrap()
    }

    fn backup(&self) -> BackupOutcome {
        self.backup_with(&BackupOptions::default())
    }

    fn restore(&self, outcome: &BackupOutcome, sub: &str) -> tempfile::TempDir {
        let target = tempfile::tempdir().unwrap();
        let path = format!("{}/{sub}", self.root().display());
        let restored = self
            .repo
            .restore(
                &outcome.snapshot,
                path.trim_end_matches('/'),
                target.path(),
                &RestoreOptions::default(),
                &(),
            )
            .unwrap();
        assert!(restored.errors.is_empty(), "{:?}", restored.errors);
        target
    }
}

/// Distinct content for photo `i`, `len` bytes.
fn photo(i: u64, len: usize) -> Vec<u8> {
    let mut state = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

/// Sets a file's mtime (the ctime becomes now).
fn set_mtime(path: &Path, mtime: SystemTime) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_times(fs::FileTimes::new().set_modified(mtime))
        .unwrap();
}

fn a_library_of_photos(lib: &Library) {
    for album in 0..4 {
        for i in 0..5 {
            let n = album * 10 + i;
            lib.write(
                &format!("2021/album-{album}/IMG_{n}.JPG"),
                &photo(n, 20_000),
            );
        }
    }
}

#[test]
fn folders_moved_and_renamed_are_not_read_again() {
    let lib = Library::new();
    a_library_of_photos(&lib);
    lib.backup();
    fs::create_dir_all(lib.path("Archive")).unwrap();
    fs::rename(lib.path("2021"), lib.path("Archive/Year 2021")).unwrap();
    fs::rename(
        lib.path("Archive/Year 2021/album-1"),
        lib.path("Archive/Trip to Rome"),
    )
    .unwrap();

    let moved = lib.backup();
    assert_eq!(moved.summary.bytes_read, 0, "{:?}", moved.summary);
    assert_eq!(moved.summary.files_unmodified, 20);
    assert_eq!(moved.files_moved, 20);
    assert!(
        moved.summary.data_added < 4096,
        "only new folder listings: {:?}",
        moved.summary
    );
    let restored = lib.restore(&moved, "Archive/Trip to Rome");
    assert_eq!(
        fs::read(restored.path().join("IMG_12.JPG")).unwrap(),
        photo(12, 20_000)
    );
}

#[test]
fn photos_moved_one_by_one_into_date_folders_are_not_read_again() {
    // Renaming a file sets its ctime on most file systems: same device, inode, size and
    // mtime, and a later ctime, at another path, is the same file.
    let lib = Library::new();
    a_library_of_photos(&lib);
    let first = lib.backup();
    std::thread::sleep(Duration::from_millis(20));
    for album in 0..4 {
        for i in 0..5 {
            let n = album * 10 + i;
            let to = lib.path(&format!("by-date/2021-0{}/IMG_{n}.JPG", i + 1));
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::rename(lib.path(&format!("2021/album-{album}/IMG_{n}.JPG")), to).unwrap();
        }
    }
    let moved = lib.backup();
    assert_eq!(moved.summary.bytes_read, 0, "{:?}", moved.summary);
    assert_eq!(moved.files_moved, 20);
    let restored = lib.restore(&moved, "by-date/2021-03");
    assert_eq!(
        fs::read(restored.path().join("IMG_32.JPG")).unwrap(),
        photo(32, 20_000)
    );
    assert!(first.disappearance.is_none());
    let gone = moved.disappearance.unwrap();
    assert_eq!((gone.gone, gone.alarm), (0, false), "moved is not gone");
}

#[test]
fn a_moved_file_whose_content_also_changed_is_read() {
    let lib = Library::new();
    a_library_of_photos(&lib);
    lib.backup();
    let to = lib.path("edited/IMG_1.JPG");
    fs::create_dir_all(to.parent().unwrap()).unwrap();
    fs::rename(lib.path("2021/album-0/IMG_1.JPG"), &to).unwrap();
    let before = fs::metadata(&to).unwrap();
    // Same size, other bytes, a new mtime: an edit.
    fs::write(&to, photo(99, 20_000)).unwrap();
    set_mtime(&to, before.modified().unwrap() + Duration::from_secs(5));

    let after = lib.backup();
    assert_eq!(after.summary.bytes_read, 20_000, "{:?}", after.summary);
    assert_eq!(after.summary.files_unmodified, 19);
    assert_eq!(after.files_moved, 0);
    let restored = lib.restore(&after, "edited");
    assert_eq!(
        fs::read(restored.path().join("IMG_1.JPG")).unwrap(),
        photo(99, 20_000)
    );
}

#[test]
fn a_new_file_on_the_inode_of_a_deleted_one_is_read() {
    let lib = Library::new();
    a_library_of_photos(&lib);
    lib.backup();
    let old = lib.path("2021/album-2/IMG_23.JPG");
    let inode = fs::metadata(&old).unwrap().ino();
    fs::remove_file(&old).unwrap();
    // File systems hand a freed inode out again soon; try until one gets it.
    let mut reused = None;
    for i in 0..200 {
        let rel = format!("new/IMG_{i}.JPG");
        lib.write(&rel, &photo(1000 + i, 30_000));
        if fs::metadata(lib.path(&rel)).unwrap().ino() == inode {
            reused = Some(rel);
            break;
        }
    }
    let after = lib.backup();
    let new_files = after.summary.files_new;
    assert_eq!(
        after.summary.bytes_read,
        new_files * 30_000,
        "{:?}",
        after.summary
    );
    if let Some(rel) = reused {
        let restored = lib.restore(&after, "new");
        let name = Path::new(&rel).file_name().unwrap();
        let i: u64 = rel
            .trim_start_matches("new/IMG_")
            .trim_end_matches(".JPG")
            .parse()
            .unwrap();
        assert_eq!(
            fs::read(restored.path().join(name)).unwrap(),
            photo(1000 + i, 30_000)
        );
    } else {
        eprintln!("note: this file system did not reuse the inode; only the read was checked");
    }
}

#[test]
fn the_rule_for_a_file_found_elsewhere_in_the_parent() {
    use super::parent_index::same_file_moved;
    let node = |device, inode, size, mtime: i64, ctime: i64| Node {
        name: b"x".to_vec(),
        kind: NodeKind::File,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        size,
        mtime: Timestamp {
            secs: mtime,
            nanos: 7,
        },
        ctime: Timestamp {
            secs: ctime,
            nanos: 0,
        },
        inode,
        device,
        content: vec![],
        subtree: None,
        link_target: None,
        media: None,
    };
    let old = node(1, 42, 100, 1000, 1000);
    assert!(
        same_file_moved(&old, &node(1, 42, 100, 1000, 1000)),
        "all equal"
    );
    assert!(
        same_file_moved(&old, &node(1, 42, 100, 1000, 2000)),
        "renamed: later ctime"
    );
    assert!(
        !same_file_moved(&old, &node(2, 42, 100, 1000, 1000)),
        "another device"
    );
    assert!(
        !same_file_moved(&old, &node(1, 43, 100, 1000, 1000)),
        "another inode"
    );
    assert!(
        !same_file_moved(&old, &node(1, 42, 101, 1000, 2000)),
        "another size"
    );
    assert!(
        !same_file_moved(&old, &node(1, 42, 100, 1001, 2000)),
        "another mtime"
    );
    assert!(
        !same_file_moved(&old, &node(1, 42, 100, 1000, 999)),
        "an earlier ctime"
    );
    let mut folder = node(1, 42, 100, 1000, 1000);
    folder.kind = NodeKind::Dir;
    assert!(
        !same_file_moved(&folder, &node(1, 42, 100, 1000, 1000)),
        "not a file"
    );
}

#[test]
fn an_unchanged_backup_never_builds_the_parent_index() {
    // The parent's files by inode are only looked up for entries their path does not
    // explain: reading them all for every backup would cost what moves save.
    let lib = Library::new();
    a_library_of_photos(&lib);
    let first = lib.backup();
    let index = super::parent_index::ParentIndex::new(&lib.repo, Some(first.snapshot.tree));
    assert!(!index.was_built());
    let second = lib.backup();
    assert_eq!(second.files_moved, 0);
    assert_eq!(second.summary.bytes_read, 0);
}

/// A copy of `snapshot` in which the file at `path` has the ctime it has on disk now, as
/// if its content had changed without its ctime changing, as bit rot does (a test cannot
/// change a file without the kernel setting its ctime).
fn parent_with_current_ctime(lib: &Library, snapshot: &crate::Snapshot, path: &Path) -> SnapshotId {
    use crate::compress::ContentClass;
    use crate::format::blob::BlobKind;
    use crate::id::BlobId;
    use crate::pack::BlobSaver;
    use std::os::unix::ffi::OsStrExt;

    fn rewrite(
        saver: &BlobSaver,
        repo: &IndexedRepository,
        tree: &BlobId,
        names: &[&[u8]],
        ctime: Timestamp,
    ) -> BlobId {
        let mut tree = repo.read_tree(tree).unwrap();
        let node = tree.nodes.iter_mut().find(|n| n.name == names[0]).unwrap();
        if names.len() == 1 {
            node.ctime = ctime;
        } else {
            node.subtree = Some(rewrite(
                saver,
                repo,
                &node.subtree.unwrap(),
                &names[1..],
                ctime,
            ));
        }
        saver
            .save(BlobKind::Tree, &tree.encode(), ContentClass::Try)
            .unwrap()
            .0
    }
    let meta = fs::metadata(path).unwrap();
    let ctime = crate::source::timestamp(meta.ctime(), meta.ctime_nsec());
    let names: Vec<&[u8]> = path.iter().skip(1).map(|c| c.as_bytes()).collect();
    let saver = BlobSaver::new(lib.repo.clone()).unwrap();
    let root = rewrite(&saver, &lib.repo, &snapshot.tree, &names, ctime);
    saver.finish().unwrap();
    let mut forged = snapshot.clone();
    forged.tree = root;
    lib.repo.save_snapshot(&forged).unwrap()
}

#[test]
fn damage_on_the_source_is_caught_by_reading_unchanged_files_again_and_stored_as_a_new_version() {
    let lib = Library::new();
    a_library_of_photos(&lib);
    let good = lib.backup();
    let damaged = lib.path("2021/album-3/IMG_34.JPG");
    let meta = fs::metadata(&damaged).unwrap();
    let mut bytes = fs::read(&damaged).unwrap();
    bytes[10_000] ^= 0x20; // one flipped bit, size and mtime as they were
    fs::write(&damaged, &bytes).unwrap();
    set_mtime(&damaged, meta.modified().unwrap());
    let parent = parent_with_current_ctime(&lib, &good.snapshot, &damaged);
    let from_parent = |o: BackupOptions| o.parent(crate::ParentChoice::Snapshot(parent));

    let trusting = lib.backup_with(&from_parent(BackupOptions::default()));
    assert!(
        trusting.source_damaged.is_empty(),
        "metadata alone cannot see it"
    );
    assert_eq!(trusting.summary.bytes_read, 0);
    let verified = lib.backup_with(&from_parent(
        BackupOptions::default().verify_unchanged(100.0),
    ));
    assert_eq!(verified.files_verified, 20);
    assert_eq!(
        verified.source_damaged.len(),
        1,
        "{:?}",
        verified.source_damaged
    );
    let report = &verified.source_damaged[0];
    assert_eq!(report.path, damaged);
    match report.problem {
        EntryProblem::SourceDamaged { good_copy } => assert_eq!(good_copy, parent),
        ref other => panic!("{other:?}"),
    }
    assert_eq!(verified.summary.files_changed, 1);
    // Nothing was replaced: the good version is still restorable.
    let old = lib.restore(&good, "2021/album-3");
    assert_eq!(
        fs::read(old.path().join("IMG_34.JPG")).unwrap(),
        photo(34, 20_000)
    );
    let new = lib.restore(&verified, "2021/album-3");
    assert_eq!(fs::read(new.path().join("IMG_34.JPG")).unwrap(), bytes);
}

#[test]
fn a_file_read_again_for_a_new_ctime_with_its_size_and_mtime_but_other_content_is_damage() {
    let lib = Library::new();
    a_library_of_photos(&lib);
    let good = lib.backup();
    let damaged = lib.path("2021/album-0/IMG_3.JPG");
    let meta = fs::metadata(&damaged).unwrap();
    fs::write(&damaged, photo(77, 20_000)).unwrap();
    set_mtime(&damaged, meta.modified().unwrap());
    let after = lib.backup();
    assert_eq!(after.source_damaged.len(), 1);
    assert!(matches!(
        after.source_damaged[0].problem,
        EntryProblem::SourceDamaged { good_copy } if good_copy == good.snapshot_id
    ));
}

#[test]
fn a_verify_fraction_reads_each_unchanged_file_once_in_ten_runs() {
    let lib = Library::new();
    a_library_of_photos(&lib);
    lib.backup();
    let mut verified = 0;
    for _ in 0..10 {
        let run = lib.backup_with(&BackupOptions::default().verify_unchanged(10.0));
        assert!(run.source_damaged.is_empty());
        assert_eq!(run.summary.bytes_read, run.files_verified * 20_000);
        verified += run.files_verified;
    }
    assert_eq!(verified, 20);
}

#[test]
fn a_library_that_disappears_is_noticed_and_the_snapshot_still_written() {
    let lib = Library::new();
    a_library_of_photos(&lib);
    lib.write("2021/empty.txt", b"");
    lib.backup();
    fs::remove_dir_all(lib.path("2021/album-0")).unwrap();
    fs::remove_dir_all(lib.path("2021/album-1")).unwrap();
    fs::File::create(lib.path("2021/album-2/IMG_20.JPG")).unwrap(); // truncated to 0
    fs::remove_file(lib.path("2021/empty.txt")).unwrap(); // empty files do not count

    let after = lib.backup();
    let gone = after.disappearance.expect("a parent to compare with");
    assert_eq!(gone.parent_files, 21);
    assert_eq!((gone.gone, gone.truncated), (10, 1));
    assert!(gone.alarm && gone.percent > 50.0, "{gone:?}");
    let folders: Vec<_> = gone.folders.iter().map(|(f, n)| (f.clone(), *n)).collect();
    assert_eq!(folders[0], (lib.path("2021/album-0"), 5));
    assert_eq!(folders[1], (lib.path("2021/album-1"), 5));
    assert_eq!(folders[2], (lib.path("2021/album-2"), 1));
    assert_eq!(
        lib.repo.snapshots().unwrap().len(),
        2,
        "written all the same"
    );

    let relaxed = lib.backup_with(&BackupOptions::default().mass_deletion_threshold(80.0));
    assert!(!relaxed.disappearance.unwrap().alarm);
}

#[test]
fn a_few_deleted_photos_are_below_the_threshold() {
    let lib = Library::new();
    a_library_of_photos(&lib);
    lib.backup();
    fs::remove_file(lib.path("2021/album-0/IMG_0.JPG")).unwrap();
    let gone = lib.backup().disappearance.unwrap();
    assert_eq!(gone.gone, 1);
    assert!(!gone.alarm, "5% is below the default 10%: {gone:?}");
    // A quarter of a small library, but fewer than ten files: housekeeping.
    fs::remove_dir_all(lib.path("2021/album-1")).unwrap();
    let gone = lib.backup().disappearance.unwrap();
    assert_eq!(gone.gone, 5);
    assert!(gone.percent > 25.0 && !gone.alarm, "{gone:?}");
}

#[test]
fn hard_links_are_read_once_and_restored_as_links() {
    let lib = Library::new();
    lib.write("originals/IMG_1.JPG", &photo(1, 50_000));
    lib.write("originals/IMG_2.JPG", &photo(2, 50_000));
    fs::create_dir_all(lib.path("albums/best")).unwrap();
    fs::hard_link(
        lib.path("originals/IMG_1.JPG"),
        lib.path("albums/best/one.jpg"),
    )
    .unwrap();
    fs::hard_link(
        lib.path("originals/IMG_1.JPG"),
        lib.path("albums/IMG_1 copy.JPG"),
    )
    .unwrap();

    let outcome = lib.backup();
    assert_eq!(
        outcome.summary.bytes_read, 100_000,
        "each linked file read once"
    );
    let all = lib.restore(&outcome, "");
    let ino = |rel: &str| fs::metadata(all.path().join(rel)).unwrap().ino();
    assert_eq!(ino("originals/IMG_1.JPG"), ino("albums/best/one.jpg"));
    assert_eq!(ino("originals/IMG_1.JPG"), ino("albums/IMG_1 copy.JPG"));
    assert_ne!(ino("originals/IMG_1.JPG"), ino("originals/IMG_2.JPG"));
    assert_eq!(
        fs::metadata(all.path().join("albums/best/one.jpg"))
            .unwrap()
            .nlink(),
        3
    );
    assert_eq!(
        fs::read(all.path().join("albums/best/one.jpg")).unwrap(),
        photo(1, 50_000)
    );

    // One name alone restores as a plain file with the content.
    let one = lib.restore(&outcome, "albums/best");
    let meta = fs::metadata(one.path().join("one.jpg")).unwrap();
    assert_eq!((meta.nlink(), meta.len()), (1, 50_000));
    // Two of the three: linked to each other.
    let albums = lib.restore(&outcome, "albums");
    let a = fs::metadata(albums.path().join("best/one.jpg")).unwrap();
    let b = fs::metadata(albums.path().join("IMG_1 copy.JPG")).unwrap();
    assert_eq!((a.ino(), a.nlink()), (b.ino(), 2));
}

#[test]
fn photos_without_a_date_take_it_from_their_sidecars_in_the_specified_order() {
    let lib = Library::new();
    let xmp = |date: &str| {
        format!(r#"<x:xmpmeta><rdf:Description exif:DateTimeOriginal="{date}"/></x:xmpmeta>"#)
    };
    let takeout = |stamp: &str| format!(r#"{{"photoTakenTime":{{"timestamp":"{stamp}"}}}}"#);
    lib.write("a.jpg", b"no exif here");
    lib.write("a.jpg.xmp", xmp("2020-01-02T03:04:05+01:00").as_bytes());
    lib.write("a.xmp", xmp("1999-01-01T00:00:00").as_bytes());
    lib.write("a.jpg.json", takeout("946684800").as_bytes());
    lib.write("B.HEIC", b"no exif either");
    lib.write("b.XMP", xmp("2019-06-07T08:09:10").as_bytes());
    lib.write("c.mov", b"not a movie");
    lib.write(
        "c.mov.supplemental-metadata.json",
        takeout("1620051721").as_bytes(),
    );
    lib.write("c.mov.json", takeout("946684800").as_bytes());
    lib.write("d.png", b"nothing beside it");

    let outcome = lib.backup();
    let tree = |o: &BackupOutcome| {
        let node = lib
            .repo
            .find_path(&o.snapshot, &lib.root().to_string_lossy())
            .unwrap();
        lib.repo.read_tree(&node.subtree.unwrap()).unwrap()
    };
    let taken = |tree: &crate::Tree, name: &str| {
        tree.get(name.as_bytes())
            .unwrap()
            .media
            .as_ref()
            .and_then(|m| m.taken.clone())
    };
    let t = tree(&outcome);
    assert_eq!(
        taken(&t, "a.jpg").as_deref(),
        Some("2020-01-02T03:04:05+01:00")
    );
    assert_eq!(taken(&t, "B.HEIC").as_deref(), Some("2019-06-07T08:09:10"));
    assert_eq!(
        taken(&t, "c.mov").as_deref(),
        Some("2021-05-03T14:22:01+00:00")
    );
    assert_eq!(taken(&t, "d.png"), None);
    assert_eq!(
        taken(&t, "a.jpg.xmp"),
        None,
        "sidecars get no date of their own"
    );
    // Unchanged photos keep their date without reading anything.
    let again = lib.backup();
    assert_eq!(again.summary.bytes_read, 0);
    assert_eq!(
        taken(&tree(&again), "a.jpg").as_deref(),
        Some("2020-01-02T03:04:05+01:00")
    );
}

#[test]
fn a_files_blobs_lie_one_after_the_other_in_its_pack() {
    let lib = Library::new();
    let files = 48u64;
    for n in 0..files {
        lib.write(&format!("2024/IMG_{n}.CR3"), &photo(n, 5 << 19));
    }
    let outcome = lib.backup_with(&BackupOptions {
        threads: 4,
        ..BackupOptions::default()
    });
    let index = lib.repo.index();
    let mut folder = lib.repo.read_tree(&outcome.snapshot.tree).unwrap();
    while folder.nodes.len() == 1 && folder.nodes[0].kind == NodeKind::Dir {
        folder = lib
            .repo
            .read_tree(&folder.nodes[0].subtree.unwrap())
            .unwrap();
    }
    assert_eq!(folder.nodes.len() as u64, files);
    // A break: the next blob of a file is not the next thing in the same pack.
    let (mut breaks, mut packs) = (0, std::collections::HashSet::new());
    for node in &folder.nodes {
        let places: Vec<_> = node
            .content
            .iter()
            .map(|id| index.lookup(id).unwrap().expect("indexed"))
            .collect();
        packs.extend(places.iter().map(|p| p.pack));
        breaks += places
            .windows(2)
            .filter(|w| w[0].pack != w[1].pack || w[1].entry.offset as u64 != w[0].entry.end())
            .count();
    }
    // A file leaves its pack only where the pack fills (or another thread took the one it
    // was filling then).
    assert!(
        breaks <= 2 * packs.len(),
        "{breaks} breaks in {files} files over {} packs",
        packs.len()
    );
}
