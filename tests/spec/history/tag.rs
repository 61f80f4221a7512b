//! `tag` rewrites a snapshot under a new id with the tags changed, naming the first
//! original, and removes the old file; snapshots whose tags would not change stay as they
//! are.

use std::fs;

use crate::support::*;

/// A repository with two snapshots: one of host `laptop` tagged `a`, one of host `nas`.
fn two_snapshots() -> (Scratch, String, String) {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("f.jpg"), b"photo").unwrap();
    let laptop = s.pv.backup(&[&src], &["--host", "laptop", "--tag", "a"])["snapshot_id"]
        .as_str()
        .unwrap()
        .to_string();
    let nas = s.pv.backup(&[&src], &["--host", "nas"])["snapshot_id"]
        .as_str()
        .unwrap()
        .to_string();
    (s, laptop, nas)
}

fn snapshots(s: &Scratch) -> Vec<serde_json::Value> {
    s.pv.ok(["snapshots", "--json"])
        .json()
        .as_array()
        .unwrap()
        .clone()
}

fn by_host<'a>(list: &'a [serde_json::Value], host: &str) -> &'a serde_json::Value {
    list.iter()
        .find(|s| s["hostname"] == host)
        .expect("snapshot of host")
}

#[test]
fn adding_tags_rewrites_the_snapshot_naming_its_original_and_removes_the_old_file() {
    let (s, laptop, nas) = two_snapshots();
    let out = s.pv.ok(["tag", "--add", "b,c", &laptop]);
    assert!(out.stdout.contains("1 snapshot(s) changed"), "{out}");
    let list = snapshots(&s);
    assert_eq!(list.len(), 2);
    let retagged = by_host(&list, "laptop");
    assert_eq!(retagged["tags"], serde_json::json!(["a", "b", "c"]));
    assert_eq!(retagged["original"], laptop);
    assert_ne!(retagged["id"], laptop);
    assert!(!s.pv.repo().join("snapshots").join(&laptop).exists());
    assert_eq!(
        by_host(&list, "nas")["id"],
        nas,
        "the other snapshot is left alone"
    );

    // Changed again, it still names the first original.
    let new_id = retagged["id"].as_str().unwrap().to_string();
    s.pv.ok(["tag", "--remove", "b", &new_id[..8]]);
    let again = snapshots(&s);
    let twice = by_host(&again, "laptop");
    assert_eq!(twice["tags"], serde_json::json!(["a", "c"]));
    assert_eq!(twice["original"], laptop);
}

#[test]
fn without_snapshot_ids_every_snapshot_matching_the_filters_is_retagged() {
    let (s, _, _) = two_snapshots();
    let out = s.pv.ok(["tag", "--json", "--host", "nas", "--set", "x,y"]);
    assert_eq!(out.last_json()["changed"], 1, "{out}");
    let list = snapshots(&s);
    assert_eq!(by_host(&list, "nas")["tags"], serde_json::json!(["x", "y"]));
    assert_eq!(by_host(&list, "laptop")["tags"], serde_json::json!(["a"]));
    let out = s.pv.ok(["tag", "--set", ""]);
    assert!(out.stdout.contains("2 snapshot(s) changed"), "{out}");
    assert!(snapshots(&s)
        .iter()
        .all(|s| s["tags"] == serde_json::json!([])));
}

#[test]
fn snapshots_whose_tags_would_not_change_are_left_alone() {
    let (s, laptop, nas) = two_snapshots();
    let out = s.pv.ok(["tag", "--add", "a", "--tag", "a"]);
    assert!(out.stdout.contains("0 snapshot(s) changed"), "{out}");
    let out = s.pv.ok(["tag", "--remove", "zzz"]);
    assert!(out.stdout.contains("0 snapshot(s) changed"), "{out}");
    let ids: Vec<_> = snapshots(&s)
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&laptop) && ids.contains(&nas));
}

#[test]
fn set_cannot_be_combined_with_add_or_remove_and_an_unknown_snapshot_is_refused() {
    let (s, laptop, _) = two_snapshots();
    let out =
        s.pv.run(["tag", "--set", "x", "--add", "y", &laptop])
            .code(1);
    assert!(
        out.stderr
            .contains("cannot be combined with --add or --remove"),
        "{out}"
    );
    let out = s.pv.run(["tag", &laptop]).code(1);
    assert!(
        out.stderr.contains("give --add, --remove or --set"),
        "{out}"
    );
    let out = s.pv.run(["tag", "--add", "x", "deadbeef"]).code(1);
    assert!(
        out.stderr.contains("no snapshot matches 'deadbeef'"),
        "{out}"
    );
    assert_eq!(snapshots(&s).len(), 2, "nothing was rewritten");
}
