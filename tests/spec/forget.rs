//! `pvault forget`: removing named snapshots or thinning them by a retention policy
//! (restic's rules, pinned in detail by the core's golden tables), `backup --time`, and the
//! last-copy guard that refuses to lose the only remaining copy of a photo.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::*;

/// A scratch repository and a folder `src` holding one photo.
fn with_photo() -> (Scratch, PathBuf) {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("a.jpg"), random_bytes(4000, 1)).unwrap();
    (s, src)
}

fn backup_at(s: &Scratch, src: &Path, time: &str, extra: &[&str]) -> String {
    let mut args = vec!["--time", time];
    args.extend_from_slice(extra);
    s.pv.backup(&[src], &args)["snapshot_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn snapshot_ids(s: &Scratch) -> Vec<String> {
    let list = s.pv.ok(["snapshots", "--json"]).json();
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn backup_time_records_the_given_time_instead_of_now() {
    let (s, src) = with_photo();
    backup_at(&s, &src, "2021-06-01T12:00:00+02:00", &[]);
    let list = s.pv.ok(["snapshots", "--json"]).json();
    assert_eq!(list[0]["time"], "2021-06-01T12:00:00+02:00");
}

#[test]
fn backup_time_also_takes_restics_local_time_form() {
    let (s, src) = with_photo();
    let pv = s.pv.with_env("TZ", "UTC");
    pv.backup(&[&src], &["--time", "2021-06-01 12:00:00"]);
    let list = s.pv.ok(["snapshots", "--json"]).json();
    let time = list[0]["time"].as_str().unwrap();
    assert!(time.starts_with("2021-06-01T12:00:00"), "{time}");
    assert!(time.ends_with('Z') || time.ends_with("+00:00"), "{time}");
}

#[test]
fn backup_time_that_is_not_a_time_is_a_usage_error() {
    let (s, src) = with_photo();
    let out =
        s.pv.run([
            "backup".as_ref(),
            "--time".as_ref(),
            "yesterday".as_ref(),
            src.as_os_str(),
        ])
        .code(1);
    assert!(out.stderr.contains("--time"), "{out}");
    assert!(snapshot_ids(&s).is_empty());
}

#[test]
fn keep_daily_keeps_the_newest_snapshot_of_each_day_and_removes_the_rest() {
    let (s, src) = with_photo();
    let may1 = backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    let may2_early = backup_at(&s, &src, "2024-05-02T08:00:00Z", &[]);
    let may2_late = backup_at(&s, &src, "2024-05-02T20:00:00Z", &[]);
    let may4 = backup_at(&s, &src, "2024-05-04T10:00:00Z", &[]);

    let out = s.pv.ok(["forget", "--keep-daily", "2"]);
    assert!(out.stdout.contains("daily snapshot"), "{out}");
    assert!(out.stdout.contains("2 snapshot(s) removed"), "{out}");
    let mut left = snapshot_ids(&s);
    left.sort();
    let mut expected = vec![may2_late, may4];
    expected.sort();
    assert_eq!(left, expected);
    assert!(!left.contains(&may1) && !left.contains(&may2_early));
}

#[test]
fn a_dry_run_shows_kept_snapshots_with_their_rules_and_removes_nothing() {
    let (s, src) = with_photo();
    backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    let newest = backup_at(&s, &src, "2024-05-02T10:00:00Z", &[]);
    let out = s.pv.ok(["forget", "--keep-last", "1", "--dry-run"]);
    assert!(out.stdout.contains("keep 1 snapshot(s)"), "{out}");
    assert!(out.stdout.contains(&newest[..8]), "{out}");
    assert!(out.stdout.contains("last snapshot"), "{out}");
    assert!(out.stdout.contains("remove 1 snapshot(s)"), "{out}");
    assert!(out.stdout.contains("would remove 1 snapshot(s)"), "{out}");
    assert_eq!(snapshot_ids(&s).len(), 2);
}

#[test]
fn a_json_dry_run_is_one_document_with_each_group_kept_with_reasons_and_removed() {
    let (s, src) = with_photo();
    let old = backup_at(&s, &src, "2024-05-01T10:00:00Z", &["--host", "laptop"]);
    let new = backup_at(&s, &src, "2024-05-03T10:00:00Z", &["--host", "laptop"]);
    let other = backup_at(&s, &src, "2024-05-02T10:00:00Z", &["--host", "nas"]);
    let doc =
        s.pv.ok([
            "forget",
            "--keep-last",
            "1",
            "--keep-tag",
            "pinned",
            "--dry-run",
            "--json",
        ])
        .json();
    assert_eq!(doc["dry_run"], true);
    let groups = doc["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{doc}");
    assert_eq!(groups[0]["group_key"]["host"], "laptop");
    assert_eq!(
        groups[0]["group_key"]["paths"],
        serde_json::json!([src.display().to_string()])
    );
    assert_eq!(ids(&groups[0]["keep"]), vec![new]);
    assert_eq!(
        groups[0]["keep"][0]["reasons"],
        serde_json::json!(["last snapshot"])
    );
    assert_eq!(ids(&groups[0]["remove"]), vec![old]);
    assert_eq!(groups[1]["group_key"]["host"], "nas");
    assert_eq!(ids(&groups[1]["keep"]), vec![other]);
    assert_eq!(doc["last_copies"], serde_json::json!([]));
    assert_eq!(snapshot_ids(&s).len(), 3);
}

#[test]
fn group_by_and_filters_choose_what_the_policy_thins() {
    let (s, src) = with_photo();
    backup_at(&s, &src, "2024-05-01T10:00:00Z", &["--host", "laptop"]);
    backup_at(&s, &src, "2024-05-02T10:00:00Z", &["--host", "nas"]);
    let newest = backup_at(&s, &src, "2024-05-03T10:00:00Z", &["--host", "laptop"]);

    // Only the laptop's snapshots are considered: nas keeps its one.
    let doc =
        s.pv.ok([
            "forget",
            "--keep-last",
            "1",
            "--host",
            "laptop",
            "--group-by",
            "",
            "--dry-run",
            "--json",
        ])
        .json();
    assert_eq!(doc["groups"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(doc["groups"][0]["group_key"], serde_json::json!({}));
    assert_eq!(ids(&doc["groups"][0]["keep"]), vec![newest.clone()]);
    assert_eq!(doc["groups"][0]["remove"].as_array().unwrap().len(), 1);

    // No grouping at all: one snapshot of the three stays.
    s.pv.ok(["forget", "--keep-last", "1", "--group-by", ""]);
    assert_eq!(snapshot_ids(&s), vec![newest]);
}

#[test]
fn named_snapshots_are_removed_exactly() {
    let (s, src) = with_photo();
    let first = backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    let second = backup_at(&s, &src, "2024-05-02T10:00:00Z", &[]);
    let out = s.pv.ok(["forget", &first[..8]]);
    assert!(
        out.stdout
            .contains(&format!("removed snapshot {}", &first[..8])),
        "{out}"
    );
    assert_eq!(snapshot_ids(&s), vec![second]);
}

#[test]
fn a_named_snapshot_that_does_not_exist_is_an_error_and_nothing_is_removed() {
    let (s, src) = with_photo();
    let id = backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    let missing = if id.starts_with('0') {
        "ffffffff"
    } else {
        "00000000"
    };
    let out = s.pv.run(["forget", &id[..8], missing]).code(1);
    assert!(out.stderr.contains("no snapshot matches"), "{out}");
    assert_eq!(snapshot_ids(&s), vec![id]);
}

#[test]
fn named_snapshots_and_keep_rules_together_are_refused() {
    let (s, src) = with_photo();
    let id = backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    let out = s.pv.run(["forget", &id[..8], "--keep-last", "1"]).code(1);
    assert!(out.stderr.contains("cannot be combined"), "{out}");
    assert_eq!(snapshot_ids(&s), vec![id]);
}

#[test]
fn forget_without_ids_or_rules_is_refused_unless_everything_may_go() {
    let (s, src) = with_photo();
    backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    let out = s.pv.run(["forget"]).code(1);
    assert!(out.stderr.contains("--keep-"), "{out}");
    assert!(out.stderr.contains("--unsafe-allow-remove-all"), "{out}");
    assert_eq!(snapshot_ids(&s).len(), 1);

    s.pv.ok([
        "forget",
        "--unsafe-allow-remove-all",
        "--allow-last-copy-loss",
    ]);
    assert!(snapshot_ids(&s).is_empty());
}

#[test]
fn a_policy_that_keeps_nothing_of_a_group_is_refused() {
    let (s, src) = with_photo();
    backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    let out = s.pv.run(["forget", "--keep-tag", "pinned"]).code(1);
    assert!(out.stderr.contains("keeps no snapshot"), "{out}");
    assert!(out.stderr.contains("--unsafe-allow-remove-all"), "{out}");
    assert_eq!(snapshot_ids(&s).len(), 1);
}

#[test]
fn bad_counts_and_durations_are_usage_errors() {
    let (s, src) = with_photo();
    backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    for (flag, value, says) in [
        ("--keep-daily", "-3", "not a count"),
        ("--keep-last", "many", "not a count"),
        ("--keep-within", "3x", "not a duration"),
        ("--keep-within-daily", "-1d", "not a duration"),
        ("--group-by", "host,user", "cannot group"),
    ] {
        let out = s.pv.run(["forget", flag, value]).code(1);
        assert!(out.stderr.contains(flag), "{flag} {value}: {out}");
        assert!(out.stderr.contains(says), "{flag} {value}: {out}");
    }
    assert_eq!(snapshot_ids(&s).len(), 1);
}

#[test]
fn keep_within_counts_back_from_the_newest_snapshot_not_from_now() {
    let (s, src) = with_photo();
    backup_at(&s, &src, "2020-01-01T10:00:00Z", &[]);
    let inside = backup_at(&s, &src, "2020-02-20T10:00:00Z", &[]);
    let newest = backup_at(&s, &src, "2020-03-01T10:00:00Z", &[]);
    s.pv.ok(["forget", "--keep-within", "1m"]);
    let mut left = snapshot_ids(&s);
    left.sort();
    let mut expected = vec![inside, newest];
    expected.sort();
    assert_eq!(left, expected);
}

/// Day 1 holds `a.jpg` and `b.jpg`; by day 2 `a.jpg` moved to `album/moved.jpg` and
/// `b.jpg` was deleted.
fn photo_deleted_and_photo_moved() -> (Scratch, PathBuf, String, String) {
    let (s, src) = with_photo();
    fs::write(src.join("b.jpg"), random_bytes(5000, 2)).unwrap();
    fs::write(src.join("empty.txt"), b"").unwrap();
    let day1 = backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    fs::create_dir_all(src.join("album")).unwrap();
    fs::rename(src.join("a.jpg"), src.join("album/moved.jpg")).unwrap();
    fs::remove_file(src.join("b.jpg")).unwrap();
    fs::remove_file(src.join("empty.txt")).unwrap();
    let day2 = backup_at(&s, &src, "2024-05-02T10:00:00Z", &[]);
    (s, src, day1, day2)
}

#[test]
fn forget_refuses_to_remove_the_last_snapshot_holding_a_deleted_photo() {
    let (s, src, day1, day2) = photo_deleted_and_photo_moved();
    let out = s.pv.run(["forget", "--keep-last", "1"]).code(13);
    let b = src.join("b.jpg").display().to_string();
    assert!(out.stdout.contains(&b), "{out}");
    assert!(out.stdout.contains(&day1[..8]), "{out}");
    // Moved, not lost; empty files are never reported.
    assert!(!out.stdout.contains("a.jpg"), "{out}");
    assert!(!out.stdout.contains("empty.txt"), "{out}");
    assert!(out.stderr.contains("1 file would be lost"), "{out}");
    assert!(out.stderr.contains("--allow-last-copy-loss"), "{out}");
    assert_eq!(snapshot_ids(&s).len(), 2);

    s.pv.ok(["forget", "--keep-last", "1", "--allow-last-copy-loss"]);
    assert_eq!(snapshot_ids(&s), vec![day2]);
}

#[test]
fn the_dry_run_lists_last_copies_with_path_size_and_snapshot() {
    let (s, src, day1, _) = photo_deleted_and_photo_moved();
    let doc =
        s.pv.ok(["forget", "--keep-last", "1", "--dry-run", "--json"])
            .json();
    assert_eq!(
        doc["last_copies"],
        serde_json::json!([{
            "path": src.join("b.jpg").display().to_string(),
            "size": 5000,
            "snapshot": day1,
        }])
    );
    let out = s.pv.ok(["forget", "--keep-last", "1", "--dry-run"]);
    assert!(
        out.stdout
            .contains("1 file(s) are held only by snapshots to remove"),
        "{out}"
    );
    assert_eq!(snapshot_ids(&s).len(), 2);
}

#[test]
fn a_file_kept_in_a_snapshot_of_another_group_is_not_a_last_copy() {
    let (s, src) = with_photo();
    let elsewhere = s.path("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::copy(src.join("a.jpg"), elsewhere.join("copy.jpg")).unwrap();
    backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    backup_at(&s, &elsewhere, "2024-05-01T11:00:00Z", &[]);
    fs::remove_file(src.join("a.jpg")).unwrap();
    fs::write(src.join("c.jpg"), random_bytes(100, 3)).unwrap();
    backup_at(&s, &src, "2024-05-02T10:00:00Z", &[]);

    let doc =
        s.pv.ok([
            "forget",
            "--keep-last",
            "1",
            "--path",
            &src.display().to_string(),
            "--json",
        ])
        .json();
    assert_eq!(doc["last_copies"], serde_json::json!([]), "{doc}");
    assert_eq!(doc["removed"].as_array().unwrap().len(), 1, "{doc}");
    assert_eq!(snapshot_ids(&s).len(), 2);
}

#[test]
fn removing_named_snapshots_is_guarded_too() {
    let (s, _, day1, _) = photo_deleted_and_photo_moved();
    let out = s.pv.run(["forget", "--json", &day1]).code(13);
    let lines = out.json_lines();
    assert_eq!(
        lines[0]["last_copies"].as_array().unwrap().len(),
        1,
        "{out}"
    );
    assert_eq!(lines[0]["removed"], serde_json::json!([]), "{out}");
    assert_eq!(lines.last().unwrap()["code"], 13, "{out}");
    assert_eq!(snapshot_ids(&s).len(), 2);
}

#[test]
fn days_follow_each_snapshots_recorded_offset_end_to_end() {
    // In UTC the two newest are both on May 1; in their recorded local time they are not.
    let (s, src) = with_photo();
    let may1_noon = backup_at(&s, &src, "2024-05-01T12:00:00Z", &[]);
    let may1_late = backup_at(&s, &src, "2024-05-01T22:00:00Z", &[]);
    let may2_local = backup_at(&s, &src, "2024-05-02T01:30:00+02:00", &[]);
    let doc =
        s.pv.ok(["forget", "--keep-daily", "2", "--dry-run", "--json"])
            .json();
    let group = &doc["groups"][0];
    assert_eq!(ids(&group["keep"]), vec![may2_local, may1_late], "{doc}");
    assert_eq!(ids(&group["remove"]), vec![may1_noon], "{doc}");
    assert_eq!(group["keep"][0]["time"], "2024-05-02T01:30:00+02:00");
}

#[test]
fn a_file_in_several_removed_snapshots_is_listed_once_at_its_newest_copy() {
    let (s, src) = with_photo();
    fs::write(src.join("b.jpg"), random_bytes(5000, 2)).unwrap();
    backup_at(&s, &src, "2024-05-01T10:00:00Z", &[]);
    let day2 = backup_at(&s, &src, "2024-05-02T10:00:00Z", &[]);
    fs::remove_file(src.join("b.jpg")).unwrap();
    backup_at(&s, &src, "2024-05-03T10:00:00Z", &[]);
    let doc =
        s.pv.ok(["forget", "--keep-last", "1", "--dry-run", "--json"])
            .json();
    let copies = doc["last_copies"].as_array().unwrap();
    assert_eq!(copies.len(), 1, "{doc}");
    assert_eq!(copies[0]["snapshot"], day2.as_str());
    assert_eq!(copies[0]["size"], 5000);
}
