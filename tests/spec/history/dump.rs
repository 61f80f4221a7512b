//! `dump` writes one file of a snapshot byte for byte, or a folder as a tar archive that
//! unpacks to the folder as it was backed up.

use std::fs;
use std::process::Command;

use super::story;
use crate::support::*;

#[test]
fn a_file_is_written_to_stdout_byte_for_byte() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir_all(&src).unwrap();
    // Several megabytes: many blobs, written one after the other.
    write_random_file(&src.join("video.mov"), 9_000_000, 11);
    s.pv.backup(&[&src], &[]);
    let path = src.join("video.mov").display().to_string();
    let out = s.pv.command(["dump", "latest", &path]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout == fs::read(src.join("video.mov")).unwrap(),
        "dumped bytes differ"
    );

    let target = s.path("copy.mov");
    let target_arg = target.display().to_string();
    s.pv.ok(["dump", "latest", &path, "--target", &target_arg]);
    assert!(same_content(&src.join("video.mov"), &target).unwrap());
}

#[test]
fn a_folder_is_a_tar_archive_that_unpacks_to_the_folder_as_backed_up() {
    let st = story();
    let archive = st.s.path("album.tar");
    let archive_arg = archive.display().to_string();
    st.s.pv
        .ok(["dump", &st.before, &st.at(""), "--target", &archive_arg]);
    // Rebuild the folder as it was before the day of changes, to compare with.
    let expected = st.s.path("expected");
    st.s.pv.restore(&st.before, &expected, &[]).success();
    let unpacked = st.s.path("unpacked");
    fs::create_dir_all(&unpacked).unwrap();
    let status = Command::new("tar")
        .args(["-xpf", &archive_arg, "-C"])
        .arg(&unpacked)
        .status()
        .expect("run tar");
    assert!(status.success());
    assert_same_tree(
        &restored_path(&expected, &st.src),
        &restored_path(&unpacked, &st.src),
    );
    assert_eq!(
        fs::read_link(restored_path(&unpacked, &st.src).join("cover.jpg")).unwrap(),
        std::path::Path::new("album/a.jpg")
    );
}

#[test]
fn the_archive_lists_nested_folders_with_their_modes_and_exact_mtimes() {
    let st = story();
    let out =
        st.s.pv
            .command(["dump", &st.after, &st.at("cover.jpg")])
            .output()
            .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut archive = tar::Archive::new(&out.stdout[..]);
    let entries: Vec<(String, u32, u64, tar::EntryType)> = archive
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let h = e.header();
            (
                e.path().unwrap().display().to_string(),
                h.mode().unwrap(),
                h.mtime().unwrap(),
                h.entry_type(),
            )
        })
        .collect();
    let rel = st.at("cover.jpg")[1..].to_string();
    assert_eq!(
        entries,
        [
            (
                rel.clone(),
                0o755,
                super::JUN_2021 as u64,
                tar::EntryType::Directory
            ),
            (
                format!("{rel}/inside.txt"),
                0o644,
                super::JUN_2021 as u64,
                tar::EntryType::Regular
            ),
        ]
    );
}

#[test]
fn dump_refuses_a_path_not_in_the_snapshot_and_an_unknown_snapshot() {
    let st = story();
    let out =
        st.s.pv
            .run(["dump", &st.before, &st.at("cover.jpg/inside.txt")])
            .code(1);
    assert!(out.stderr.contains("does not exist in snapshot"), "{out}");
    let out = st.s.pv.run(["dump", "deadbeef", "/"]).code(1);
    assert!(
        out.stderr.contains("no snapshot matches 'deadbeef'"),
        "{out}"
    );
}
