//! A restore writes below its target and nowhere else, whatever the snapshot says: a
//! repository written by an attacker (who has the password but not our file system) cannot
//! make it escape through names like `..` or `/x`, through duplicate entries, or through
//! symlinks, in the snapshot or already in the target.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::support::*;

/// Names of the entries of a folder, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn unsafe_names_and_duplicate_entries_are_skipped_and_reported_and_nothing_escapes() {
    let s = Scratch::with_repo();
    let outside = s.path("outside");
    fs::create_dir(&outside).unwrap();
    let absolute = outside.join("absolute.txt");
    save_snapshot(s.pv.repo(), |w| {
        let escaped = file_node(w, b"escaped.txt", b"written through ..");
        let dot = file_node(w, b"dot.txt", b"written through .");
        let pwned = file_node(w, b"pwned.txt", b"written through a symlink");
        let inner = file_node(w, b"inner.jpg", b"a good photo inside");
        let mut nodes = vec![
            file_node(w, b"", b"empty name"),
            dir_node(w, b".", vec![dot]),
            dir_node(w, b"..", vec![escaped]),
            file_node(w, absolute.as_os_str().as_bytes(), b"absolute name"),
            file_node(w, b"a\0b", b"NUL in name"),
            file_node(w, b"a/b", b"slash in name"),
            // A legitimate symlink pointing outside, then a folder of the same name: a
            // restore that followed the link would write pwned.txt outside the target.
            symlink_node(b"evil", outside.as_os_str().as_bytes()),
            dir_node(w, b"evil", vec![pwned]),
            file_node(w, b"good.jpg", b"a good photo"),
            dir_node(w, b"gooddir", vec![inner]),
        ];
        nodes.sort_by(|a, b| a.name.cmp(&b.name)); // stable: the symlink stays first
        nodes
    });

    let target = s.path("target");
    let out = s.pv.restore("latest", &target, &[]);
    assert_ne!(out.code, 0, "{out}");
    let unsafe_reports = out.stderr.matches("unsafe entry skipped").count();
    assert_eq!(unsafe_reports, 6, "{out}");
    assert!(out.stderr.contains("duplicate"), "{out}");

    // Nothing outside the target.
    let mut beside_target = entries(s.dir.path());
    beside_target.retain(|e| e != "cache" && e != "repo");
    assert_eq!(beside_target, ["outside", "target"]);
    assert!(
        entries(&outside).is_empty(),
        "written outside: {:?}",
        entries(&outside)
    );
    // The good entries, and only those, inside.
    assert_eq!(entries(&target), ["evil", "good.jpg", "gooddir"]);
    assert_eq!(fs::read_link(target.join("evil")).unwrap(), outside);
    assert_eq!(fs::read(target.join("good.jpg")).unwrap(), b"a good photo");
    assert_eq!(
        fs::read(target.join("gooddir/inner.jpg")).unwrap(),
        b"a good photo inside"
    );
}

#[test]
fn a_restore_does_not_write_through_symlinks_already_in_the_target() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir_all(src.join("album")).unwrap();
    fs::write(src.join("cover.jpg"), b"new cover").unwrap();
    fs::write(src.join("album/photo.jpg"), b"new photo").unwrap();
    s.pv.backup(&[&src], &[]);

    let outside = s.path("outside");
    fs::create_dir(&outside).unwrap();
    fs::write(outside.join("victim.jpg"), b"precious").unwrap();
    let target = s.path("target");
    let restored = restored_path(&target, &src);
    fs::create_dir_all(&restored).unwrap();
    symlink(outside.join("victim.jpg"), restored.join("cover.jpg")).unwrap();
    symlink(&outside, restored.join("album")).unwrap();

    let out = s.pv.restore("latest", &target, &[]);
    assert_ne!(out.code, 0, "the symlinked folder must be reported: {out}");
    assert!(out.stderr.contains("album"), "{out}");
    assert_eq!(entries(&outside), ["victim.jpg"]);
    assert_eq!(fs::read(outside.join("victim.jpg")).unwrap(), b"precious");
    // The file replaced the symlink instead of writing through it.
    let cover = restored.join("cover.jpg");
    assert!(!fs::symlink_metadata(&cover).unwrap().is_symlink());
    assert_eq!(fs::read(cover).unwrap(), b"new cover");
}

#[test]
fn restoring_over_an_existing_tree_replaces_files_and_keeps_folders() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir_all(src.join("album")).unwrap();
    fs::write(src.join("album/photo.jpg"), b"version 1").unwrap();
    s.pv.backup(&[&src], &[]);

    let target = s.path("target");
    let restored = restored_path(&target, &src);
    fs::create_dir_all(restored.join("album")).unwrap();
    fs::write(restored.join("album/photo.jpg"), b"something else, longer").unwrap();
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&src, &restored);
}
