//! `find` says which snapshots hold entries matching a name or path pattern, within an
//! mtime range, and, for forensics, which files hold a blob and which folders a tree is.

use std::collections::BTreeSet;

use super::{story, Story};

/// (snapshot id prefix matched against the story's ids: "before"/"after", path) per match.
fn found(st: &Story, args: &[&str]) -> BTreeSet<(&'static str, String)> {
    let out = st.s.pv.ok(["find", "--json"].iter().chain(args));
    let lines = out.json_lines();
    let (matches, summary) = lines.split_at(lines.len() - 1);
    assert_eq!(summary[0]["message_type"], "summary", "{out}");
    assert_eq!(summary[0]["matches"], matches.len(), "{out}");
    matches
        .iter()
        .map(|m| {
            let id = m["snapshot"].as_str().unwrap();
            let which = if id.starts_with(&st.before) {
                "before"
            } else if id.starts_with(&st.after) {
                "after"
            } else {
                panic!("unknown snapshot in {m}")
            };
            let path = m["path"].as_str().unwrap();
            (
                which,
                path.strip_prefix(&st.at("")).unwrap_or(path).to_string(),
            )
        })
        .collect()
}

fn set(items: &[(&'static str, &str)]) -> BTreeSet<(&'static str, String)> {
    items.iter().map(|(w, p)| (*w, p.to_string())).collect()
}

#[test]
fn find_names_every_snapshot_holding_entries_whose_name_matches() {
    let st = story();
    assert_eq!(
        found(&st, &["*.jpg"]),
        set(&[
            ("before", "/album/a.jpg"),
            ("before", "/album/b.jpg"),
            ("before", "/cover.jpg"),
            ("after", "/album/a.jpg"),
            ("after", "/album/c.jpg"),
            ("after", "/cover.jpg"),
        ])
    );
    assert_eq!(
        found(&st, &["b.jpg", "inside.*"]),
        set(&[
            ("before", "/album/b.jpg"),
            ("after", "/cover.jpg/inside.txt")
        ])
    );
}

#[test]
fn find_is_case_sensitive_unless_told_otherwise() {
    let st = story();
    assert_eq!(found(&st, &["NOTES.TXT"]), set(&[]));
    assert_eq!(
        found(&st, &["-i", "NOTES.TXT"]),
        set(&[("before", "/notes.txt"), ("after", "/notes.txt")])
    );
}

#[test]
fn a_pattern_with_a_slash_matches_the_path() {
    let st = story();
    assert_eq!(
        found(&st, &["album/*.jpg", "--snapshot", &st.after]),
        set(&[("after", "/album/a.jpg"), ("after", "/album/c.jpg")])
    );
    let absolute = format!("{}/*.txt", st.at(""));
    assert_eq!(
        found(&st, &[&absolute, "--tag", "before"]),
        set(&[("before", "/notes.txt"), ("before", "/old.txt")])
    );
}

#[test]
fn newest_and_oldest_keep_only_entries_modified_in_that_range() {
    let st = story();
    assert_eq!(
        found(
            &st,
            &[
                "*",
                "--oldest",
                "2021-01-01",
                "--newest",
                "2021-12-31 23:59:59"
            ]
        ),
        set(&[
            ("before", "/album/b.jpg"),
            ("after", "/album/c.jpg"),
            ("after", "/cover.jpg"),
            ("after", "/cover.jpg/inside.txt"),
        ])
    );
    assert_eq!(
        found(&st, &["*.txt", "--newest", "1970-01-01T00:00:00Z"]),
        set(&[("before", "/old.txt")])
    );
}

#[test]
fn find_blob_names_the_files_holding_it_in_each_snapshot_and_its_pack() {
    let st = story();
    let blob = st.node(&st.before, "album/a.jpg").content[0];
    let pack = st.repo().find_blob(&blob).unwrap().unwrap().pack;
    let out =
        st.s.pv
            .ok(["find", "--json", "--blob", &blob.to_hex()[..8]]);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 3, "{out}");
    for m in &lines[..2] {
        assert_eq!(m["path"], st.at("album/a.jpg"), "{out}");
        assert_eq!(m["blob"], blob.to_hex(), "{out}");
        assert_eq!(m["pack"], pack.to_hex(), "{out}");
    }
    assert_ne!(lines[0]["snapshot"], lines[1]["snapshot"]);
}

#[test]
fn find_tree_names_the_folders_that_are_that_tree() {
    let st = story();
    let tree = st.node(&st.before, "album").subtree.unwrap();
    assert_eq!(
        found(&st, &["--tree", &tree.to_hex()]),
        set(&[("before", "/album")])
    );
}

#[test]
fn find_refuses_a_bad_glob_a_short_id_and_a_bad_time() {
    let st = story();
    let out = st.s.pv.run(["find", "IMG_[0-9.jpg"]).code(1);
    assert!(
        out.stderr.contains("'IMG_[0-9.jpg' is not a valid pattern"),
        "{out}"
    );
    let out = st.s.pv.run(["find", "--blob", "abc123"]).code(1);
    assert!(
        out.stderr.contains("between 8 and 64 hex characters"),
        "{out}"
    );
    let out = st.s.pv.run(["find", "*", "--newest", "yesterday"]).code(1);
    assert!(
        out.stderr.contains("--newest 'yesterday' is not a time"),
        "{out}"
    );
    let out = st.s.pv.run(["find", "*", "--snapshot", "deadbeef"]).code(1);
    assert!(
        out.stderr.contains("no snapshot matches 'deadbeef'"),
        "{out}"
    );
}
