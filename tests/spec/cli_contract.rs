//! What scripts may rely on: `pvault`'s JSON output, how snapshots are named, which flags and
//! environment variables it honours, and its exit codes.

use std::fs;
use std::path::PathBuf;

use photovault_core::backend::LocalBackend;
use photovault_core::{OpenOptions, Repository};

use crate::support::*;

/// A scratch space with a repository and a small folder `src` to back up.
fn with_source() -> (Scratch, PathBuf) {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir_all(src.join("album")).unwrap();
    fs::write(src.join("album/a.jpg"), random_bytes(3000, 1)).unwrap();
    fs::write(src.join("notes.txt"), b"notes").unwrap();
    std::os::unix::fs::symlink("album/a.jpg", src.join("cover.jpg")).unwrap();
    (s, src)
}

fn is_hex_id(v: &serde_json::Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn snapshots_json_is_an_array_with_id_time_paths_tags_and_hostname() {
    let (s, src) = with_source();
    s.pv.backup(&[&src], &["--tag", "holiday"]);
    s.pv.backup(&[&src], &[]);
    let list = s.pv.ok(["snapshots", "--json"]).json();
    let list = list.as_array().expect("a JSON array");
    assert_eq!(list.len(), 2);
    for snap in list {
        assert!(is_hex_id(&snap["id"]), "{snap}");
        assert!(snap["time"].is_string(), "{snap}");
        assert_eq!(
            snap["paths"],
            serde_json::json!([src.display().to_string()])
        );
        assert!(snap["tags"].is_array(), "{snap}");
        assert!(snap["hostname"].is_string(), "{snap}");
    }
    assert_eq!(list[0]["tags"], serde_json::json!(["holiday"]));
}

#[test]
fn backup_json_ends_with_a_summary_naming_the_snapshot() {
    let (s, src) = with_source();
    let out =
        s.pv.ok(["backup".as_ref(), "--json".as_ref(), src.as_os_str()]);
    let summary = out.last_json();
    assert_eq!(summary["message_type"], "summary");
    assert!(is_hex_id(&summary["snapshot_id"]), "{summary}");
    assert_eq!(summary["total_files_processed"], 2);
    assert_eq!(summary["files_new"], 2);
    let listed = s.pv.ok(["snapshots", "--json"]).json();
    assert_eq!(listed[0]["id"], summary["snapshot_id"]);
}

#[test]
fn restore_json_ends_with_a_summary() {
    let (s, src) = with_source();
    s.pv.backup(&[&src], &[]);
    let target = s.path("target");
    let summary =
        s.pv.restore("latest", &target, &["--json"])
            .success()
            .last_json();
    assert_eq!(summary["message_type"], "summary", "{summary}");
    assert_eq!(summary["files_restored"], 2, "{summary}");
    assert_eq!(summary["symlinks"], 1, "{summary}");
    assert_eq!(summary["errors"], 0, "{summary}");
}

#[test]
fn with_json_a_failure_ends_with_an_exit_error_line() {
    let s = Scratch::with_repo();
    let out =
        s.pv.with_password(Some("wrong"))
            .run(["snapshots", "--json"])
            .code(12);
    let error = out.last_json();
    assert_eq!(error["message_type"], "exit_error", "{out}");
    assert_eq!(error["code"], 12, "{out}");
    assert!(
        error["message"].as_str().unwrap().contains("password"),
        "{out}"
    );
}

#[test]
fn backup_prints_snapshot_id_saved() {
    let (s, src) = with_source();
    let out = s.pv.ok(["backup".as_ref(), src.as_os_str()]);
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("snapshot ") && l.ends_with(" saved"))
        .unwrap_or_else(|| panic!("no 'snapshot ID saved' line:\n{out}"));
    let short = &line["snapshot ".len()..line.len() - " saved".len()];
    let listed = s.pv.ok(["snapshots", "--json"]).json();
    let id = listed[0]["id"].as_str().unwrap();
    assert!(
        id.starts_with(short) && !short.is_empty(),
        "{short} vs {id}"
    );
}

#[test]
fn a_snapshot_is_named_by_a_unique_id_prefix_or_latest() {
    let (s, src) = with_source();
    let first = s.pv.backup(&[&src], &[])["snapshot_id"]
        .as_str()
        .unwrap()
        .to_string();
    fs::write(src.join("new.jpg"), b"new").unwrap();
    let second = s.pv.backup(&[&src], &[])["snapshot_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(first, second);

    let cat = |spec: &str| s.pv.ok(["cat", "snapshot", spec]).json()["id"].clone();
    assert_eq!(cat(&first[..8]), first.as_str());
    assert_eq!(cat(&first), first.as_str());
    assert_eq!(cat(&second[..6].to_uppercase()), second.as_str());
    assert_eq!(cat("latest"), second.as_str());

    let ls = s.pv.ok(["ls", &first[..8]]);
    assert!(!ls.stdout.contains("new.jpg"), "{ls}");
    let ls = s.pv.ok(["ls", "latest"]);
    assert!(ls.stdout.contains("new.jpg"), "{ls}");

    let missing = if first.starts_with('0') || second.starts_with('0') {
        "ffffffff"
    } else {
        "00000000"
    };
    let out = s.pv.run(["cat", "snapshot", missing]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("no snapshot matches"), "{out}");
}

#[test]
fn tags_and_host_are_recorded_and_filter_the_listing() {
    let (s, src) = with_source();
    s.pv.backup(
        &[&src],
        &["--tag", "trip", "--tag", "2024", "--host", "laptop"],
    );
    s.pv.backup(&[&src], &["--host", "desktop"]);
    let snap = &s.pv.ok(["snapshots", "--json", "--tag", "trip"]).json()[0];
    assert_eq!(snap["hostname"], "laptop");
    assert_eq!(snap["tags"], serde_json::json!(["2024", "trip"]));
    let by_host = s.pv.ok(["snapshots", "--json", "--host", "desktop"]).json();
    assert_eq!(by_host.as_array().unwrap().len(), 1);
    assert_eq!(by_host[0]["tags"], serde_json::json!([]));
}

#[test]
fn exclude_patterns_leave_matching_files_and_folders_out() {
    let (s, src) = with_source();
    fs::write(src.join("upload.tmp"), b"partial").unwrap();
    fs::write(src.join("album/edit.tmp"), b"partial").unwrap();
    fs::create_dir(src.join("cache.tmp")).unwrap();
    fs::write(
        src.join("cache.tmp/kept-out.jpg"),
        b"inside an excluded folder",
    )
    .unwrap();
    let summary = s.pv.backup(&[&src], &["--exclude", "*.tmp"]);
    assert_eq!(summary["total_files_processed"], 2, "{summary}");
    let ls = s.pv.ok(["ls", "latest"]);
    assert!(!ls.stdout.contains(".tmp"), "{ls}");
    assert!(!ls.stdout.contains("kept-out"), "{ls}");
    assert!(ls.stdout.contains("a.jpg"), "{ls}");

    // A pattern with a slash is matched against the whole absolute path.
    let album = src.join("album").display().to_string();
    let summary = s.pv.backup(&[&src], &["--exclude", &album]);
    assert_eq!(summary["total_files_processed"], 3, "{summary}");
    let ls = s.pv.ok(["ls", "latest"]);
    assert!(!ls.stdout.contains("album"), "{ls}");
    assert!(ls.stdout.contains("upload.tmp"), "{ls}");
}

#[test]
fn cat_config_and_cat_snapshot_print_json() {
    let (s, src) = with_source();
    let id = s.pv.backup(&[&src], &[])["snapshot_id"].clone();
    let config = s.pv.ok(["cat", "config"]).json();
    assert!(is_hex_id(&config["id"]), "{config}");
    assert_eq!(config["version"], 1, "{config}");
    assert_eq!(config["pack_size"], 16 << 20, "{config}");
    assert!(config["chunker"]["avg_size"].is_u64(), "{config}");

    let snap = s.pv.ok(["cat", "snapshot", id.as_str().unwrap()]).json();
    assert_eq!(snap["id"], id);
    assert!(is_hex_id(&snap["tree"]), "{snap}");
    assert_eq!(snap["paths"][0], src.display().to_string());
    assert_eq!(snap["summary"]["total_files"], 2, "{snap}");
}

#[test]
fn ls_json_prints_the_snapshot_then_one_line_per_node() {
    let (s, src) = with_source();
    s.pv.backup(&[&src], &[]);
    let lines = s.pv.ok(["ls", "latest", "--json"]).json_lines();
    assert_eq!(lines[0]["message_type"], "snapshot", "{}", lines[0]);
    assert!(is_hex_id(&lines[0]["id"]));
    assert!(lines[1..].iter().all(|l| l["message_type"] == "node"));
    let node = |path: PathBuf| {
        let path = path.display().to_string();
        lines
            .iter()
            .find(|l| l["path"] == path.as_str())
            .unwrap_or_else(|| panic!("{path} not listed"))
            .clone()
    };
    let photo = node(src.join("album/a.jpg"));
    assert_eq!(photo["type"], "file");
    assert_eq!(photo["name"], "a.jpg");
    assert_eq!(photo["size"], 3000);
    assert!(photo["mtime"].is_string() && photo["mode"].is_u64());
    assert_eq!(node(src.join("album"))["type"], "dir");
    let link = node(src.join("cover.jpg"));
    assert_eq!(link["type"], "symlink");
    assert_eq!(link["link_target"], "album/a.jpg");
    // The folders above the backed-up path are listed too.
    assert_eq!(node(src.clone())["type"], "dir");
}

#[test]
fn a_new_password_opens_the_repository_and_the_old_key_can_then_be_removed() {
    let s = Scratch::with_repo();
    let file = s.path("new-password");
    fs::write(&file, "second password\n").unwrap();
    let mut add = vec!["key", "add", "--new-password-file", file.to_str().unwrap()];
    add.extend(FAST_KDF);
    s.pv.ok(&add);

    let new = s.pv.with_password(Some("second password"));
    let keys = new.ok(["key", "list", "--json"]).json();
    let keys = keys.as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let old_id = keys
        .iter()
        .find(|k| k["current"] == false)
        .expect("the first key")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let new_id = keys.iter().find(|k| k["current"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The key in use cannot be removed.
    assert_ne!(new.run(["key", "remove", &new_id[..8]]).code, 0);

    new.ok(["key", "remove", &old_id[..8]]);
    s.pv.run(["snapshots"]).code(12);
    new.ok(["snapshots"]);
    assert_eq!(new.ok(["key", "list", "--json"]).json()[0]["id"], new_id);
}

#[test]
fn changing_the_password_replaces_the_key_in_use() {
    let s = Scratch::with_repo();
    let file = s.path("new-password");
    fs::write(&file, "new password").unwrap();
    let mut passwd = vec![
        "key",
        "passwd",
        "--new-password-file",
        file.to_str().unwrap(),
    ];
    passwd.extend(FAST_KDF);
    s.pv.ok(&passwd);
    s.pv.run(["snapshots"]).code(12);
    let new = s.pv.with_password(Some("new password"));
    new.ok(["snapshots"]);
    let keys = new.ok(["key", "list", "--json"]).json();
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
}

#[test]
fn repository_and_password_file_can_come_from_the_environment() {
    let s = Scratch::with_repo();
    let file = s.path("password");
    fs::write(&file, format!("{PASSWORD}\nignored second line\n")).unwrap();
    let pv =
        s.pv.without_repo_flag()
            .with_password(None)
            .with_env("PVAULT_REPOSITORY", s.pv.repo())
            .with_env("PVAULT_PASSWORD_FILE", &file);
    pv.ok(["snapshots"]);
    // Without a password from anywhere, and no terminal to ask on, pvault refuses.
    let out = s.pv.with_password(None).run(["snapshots"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("password"), "{out}");
}

#[test]
fn a_backup_while_an_exclusive_lock_is_held_exits_11() {
    let (s, src) = with_source();
    let repo = Repository::open(
        std::sync::Arc::new(LocalBackend::new(s.pv.repo())),
        PASSWORD.as_bytes(),
        &OpenOptions::default().no_cache(true),
    )
    .unwrap()
    .to_indexed()
    .unwrap();
    let lock = repo.lock(photovault_core::LockKind::Exclusive).unwrap();
    let out = s.pv.run(["backup".as_ref(), src.as_os_str()]).code(11);
    assert!(out.stderr.contains("locked"), "{out}");
    assert_eq!(
        s.pv.ok(["snapshots", "--json"]).json(),
        serde_json::json!([])
    );
    drop(lock);
    s.pv.ok(["backup".as_ref(), src.as_os_str()]);
}

#[test]
fn a_repository_made_with_the_default_key_parameters_works() {
    let s = Scratch::new();
    s.pv.ok(["init"]);
    let keys: Vec<_> = fs::read_dir(s.pv.repo().join("keys")).unwrap().collect();
    assert_eq!(keys.len(), 1);
    let key: serde_json::Value =
        serde_json::from_slice(&fs::read(keys[0].as_ref().unwrap().path()).unwrap()).unwrap();
    assert_eq!(key["kdf"], "argon2id");
    assert_eq!(key["params"]["memory_kib"], 65536, "{key}");
    assert_eq!(key["params"]["iterations"], 3, "{key}");

    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("a.jpg"), b"photo").unwrap();
    s.pv.backup(&[&src], &[]);
    let target = s.path("target");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&src, &restored_path(&target, &src));
    s.pv.with_password(Some("wrong"))
        .run(["snapshots"])
        .code(12);
}
