//! `diff` names every entry that changed between two snapshots and how, with sizes and
//! totals, and nothing else.

use std::sync::{Arc, Mutex};

use photovault_core::backend::{Backend, BackendResult, FileInfo, FileKind, LocalBackend};
use photovault_core::{OpenOptions, Repository};
use serde_json::json;

use super::story;
use crate::support::PASSWORD;

#[test]
fn a_diff_names_the_renamed_edited_chmodded_deleted_and_retyped_entries_and_nothing_else() {
    let st = story();
    let out =
        st.s.pv
            .ok(["diff", "--json", &st.before, &st.after, &st.at("")]);
    let lines = out.json_lines();
    let (changes, totals) = lines.split_at(lines.len() - 1);
    let got: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            assert_eq!(c["message_type"], "change", "{c}");
            json!([
                c["modifier"],
                c["path"],
                c["type"],
                c["old_size"],
                c["new_size"],
                c["metadata"]
            ])
        })
        .collect();
    let expected = vec![
        json!(["U", st.at("album/a.jpg"), "file", 3000, 3000, ["mode"]]),
        json!(["-", st.at("album/b.jpg"), "file", 5000, null, []]),
        json!(["+", st.at("album/c.jpg"), "file", null, 5000, []]),
        json!(["-", st.at("cover.jpg"), "symlink", 0, null, []]),
        json!(["+", st.at("cover.jpg"), "dir", null, 0, []]),
        json!(["+", st.at("cover.jpg/inside.txt"), "file", null, 6, []]),
        json!(["M", st.at("notes.txt"), "file", 5, 13, []]),
        json!(["-", st.at("old.txt"), "file", 9, null, []]),
    ];
    assert_eq!(got, expected, "{out}");
    let totals = &totals[0];
    assert_eq!(totals["message_type"], "statistics");
    assert_eq!(
        totals["added"],
        json!({"files": 2, "dirs": 1, "symlinks": 0})
    );
    assert_eq!(
        totals["removed"],
        json!({"files": 2, "dirs": 0, "symlinks": 1})
    );
    assert_eq!(totals["modified"], 1);
    assert_eq!(totals["metadata_changed"], 1);
    assert_eq!(totals["bytes_added"], 5000 + 6 + 13);
    assert_eq!(totals["bytes_removed"], 5000 + 9 + 5);
    assert!(totals["source_snapshot"]
        .as_str()
        .unwrap()
        .starts_with(&st.before));
    assert!(totals["target_snapshot"]
        .as_str()
        .unwrap()
        .starts_with(&st.after));
}

#[test]
fn the_text_diff_marks_each_change_as_restic_does_and_ends_with_a_summary_line() {
    let st = story();
    let out = st.s.pv.ok(["diff", &st.before, &st.after, &st.at("album")]);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[1..],
        [
            format!("U  {}  (mode)", st.at("album/a.jpg")),
            format!("-  {}  (4.88 KiB)", st.at("album/b.jpg")),
            format!("+  {}  (4.88 KiB)", st.at("album/c.jpg")),
            "1 added, 1 removed, 0 modified, 1 metadata only; 4.88 KiB added, 4.88 KiB removed"
                .to_string(),
        ],
        "{out}"
    );
}

#[test]
fn a_snapshot_compared_with_itself_has_no_changes() {
    let st = story();
    let out = st.s.pv.ok(["diff", "--json", &st.after, &st.after]);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{out}");
    assert_eq!(lines[0]["bytes_added"], 0);
    assert_eq!(lines[0]["modified"], 0);
}

#[test]
fn a_folder_missing_from_the_first_snapshot_was_added_whole() {
    let st = story();
    let lines =
        st.s.pv
            .ok([
                "diff",
                "--json",
                &st.before,
                &st.after,
                &st.at("cover.jpg/"),
            ])
            .json_lines();
    let paths: Vec<_> = lines[..lines.len() - 1]
        .iter()
        .map(|c| (c["modifier"].clone(), c["path"].clone()))
        .collect();
    assert_eq!(
        paths,
        [
            (json!("-"), json!(st.at("cover.jpg"))),
            (json!("+"), json!(st.at("cover.jpg"))),
            (json!("+"), json!(st.at("cover.jpg/inside.txt"))),
        ]
    );
}

#[test]
fn diff_refuses_an_unknown_snapshot_and_a_path_in_neither_snapshot() {
    let st = story();
    let out = st.s.pv.run(["diff", "deadbeef", &st.after]).code(1);
    assert!(
        out.stderr.contains("no snapshot matches 'deadbeef'"),
        "{out}"
    );
    let out =
        st.s.pv
            .run(["diff", &st.before, &st.after, "/no/such/folder"])
            .code(1);
    assert!(
        out.stderr.contains("'/no/such/folder' does not exist"),
        "{out}"
    );
}

/// A backend that remembers which byte ranges of which packs were read.
#[derive(Debug)]
struct Recording {
    inner: LocalBackend,
    reads: Mutex<Vec<(String, u64, u64)>>,
}

impl Backend for Recording {
    fn location(&self) -> String {
        self.inner.location()
    }
    fn create(&self) -> BackendResult<()> {
        self.inner.create()
    }
    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>> {
        self.inner.list(kind)
    }
    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>> {
        if kind == FileKind::Pack {
            self.reads
                .lock()
                .unwrap()
                .push((name.to_string(), offset, length));
        }
        self.inner.read(kind, name, offset, length)
    }
    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()> {
        self.inner.write(kind, name, data)
    }
    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        self.inner.remove(kind, name)
    }
}

#[test]
fn a_diff_does_not_read_folders_whose_tree_is_the_same_in_both_snapshots() {
    let st = story();
    // A new file beside the album: the album's folder is the same in both snapshots.
    std::fs::write(st.src.join("new.txt"), b"new").unwrap();
    super::set_folder_mtimes(&st.src);
    let again = st.s.pv.backup(&[&st.src], &[])["snapshot_id"]
        .as_str()
        .unwrap()
        .to_string();
    let backend = Arc::new(Recording {
        inner: LocalBackend::new(st.s.pv.repo()),
        reads: Mutex::new(Vec::new()),
    });
    let repo = Repository::open(
        backend.clone(),
        PASSWORD.as_bytes(),
        &OpenOptions::default().no_cache(true),
    )
    .unwrap()
    .to_indexed()
    .unwrap();
    let a = repo.find_snapshot(&st.after).unwrap().snapshot;
    let b = repo.find_snapshot(&again).unwrap().snapshot;
    let album_tree = st.node(&again, "album").subtree.unwrap();
    assert_eq!(st.node(&st.after, "album").subtree, Some(album_tree));
    let album = repo.find_blob(&album_tree).unwrap().expect("indexed");
    backend.reads.lock().unwrap().clear();

    let mut changes = Vec::new();
    let summary = repo
        .diff(&a, &b, &st.at(""), &mut |c| changes.push(c.path.clone()))
        .unwrap();

    assert_eq!(changes, [st.src.join("new.txt")]);
    assert_eq!(summary.added.files, 1);
    let reads = backend.reads.lock().unwrap();
    assert!(!reads.is_empty(), "the folders that differ are read");
    let (pack, at) = (album.pack.to_hex(), album.entry.offset as u64);
    assert!(
        !reads.iter().any(|(p, offset, length)| *p == pack
            && *offset <= at
            && (*length == 0 || at < offset + length)),
        "the album's tree at {at} of pack {pack} was read: {reads:?}"
    );
}
