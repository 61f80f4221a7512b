//! Trees no writer produces: bad timestamps, deep nesting, expanding DAGs, unsafe and
//! repeated names, folders that name file content (findings 4 and 5).

use super::*;

#[test]
fn nanoseconds_of_a_second_or_more_make_the_tree_damaged_and_nothing_panics() {
    let s = Scratch::with_repo();
    save_snapshot(s.pv.repo(), |w| {
        let mut photo = file_node(w, b"photo.jpg", b"pixels");
        photo.mtime.nanos = 1_500_000_000;
        vec![photo]
    });
    let target = s.path("target");
    let out = s.pv.restore("latest", &target, &[]);
    assert_ne!(out.code, 0, "{out}");
    assert_ne!(out.code, PANICKED, "{out}");
    assert!(out.stderr.contains("nanoseconds"), "{out}");
    assert!(debris(&target).is_empty());
    let check = s.pv.run(["check"]);
    assert!(check.stderr.contains("nanoseconds"), "{check}");
}

#[test]
fn times_at_the_ends_of_the_range_are_restored_or_reported_and_nothing_panics() {
    let s = Scratch::with_repo();
    save_snapshot(s.pv.repo(), |w| {
        let mut first = file_node(w, b"a-first.jpg", b"from the dawn of time");
        first.mtime = Timestamp {
            secs: i64::MIN,
            nanos: 999_999_999,
        };
        let mut last = file_node(w, b"b-last.jpg", b"from the end of time");
        last.mtime = Timestamp {
            secs: i64::MAX,
            nanos: 999_999_999,
        };
        let mut folder = dir_node(w, b"c-folder", vec![]);
        folder.mtime = Timestamp {
            secs: i64::MAX,
            nanos: 0,
        };
        vec![first, last, folder]
    });
    let target = s.path("target");
    let out = s.pv.restore("latest", &target, &[]);
    assert_ne!(out.code, PANICKED, "{out}");
    assert!(debris(&target).is_empty(), "{out}");
    let ls = s.pv.run(["ls", "-l", "latest"]);
    assert_eq!(ls.code, 0, "{ls}");
}

/// Folders named `d`, `depth` deep, with a photo at the bottom.
fn nested(w: &mut BlobWriter, depth: usize) -> Vec<photovault_core::Node> {
    let mut children = vec![file_node(w, b"deepest.jpg", b"down here")];
    for _ in 0..depth {
        children = vec![dir_node(w, b"d", children)];
    }
    children
}

#[test]
fn folders_nested_10000_deep_are_refused_below_4096_levels_without_a_crash() {
    let s = Scratch::with_repo();
    save_snapshot(s.pv.repo(), |w| {
        let mut nodes = nested(w, 10_000);
        nodes.push(file_node(w, b"shallow.jpg", b"up here"));
        nodes
    });
    let target = s.path("target");
    for args in [
        vec!["restore", "latest", "--target", target.to_str().unwrap()],
        vec!["ls", "latest"],
        vec!["check"],
    ] {
        let out = s.pv.run_within(NO_HANG, &args);
        assert_ne!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(
            out.code > 0 && out.code != PANICKED,
            "{args:?} crashed: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains("deeper than 4096 levels"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert_eq!(fs::read(target.join("shallow.jpg")).unwrap(), b"up here");
}

/// Forty levels of folders, each holding the next twice: 2^40 paths in 41 trees.
fn exploding(w: &mut BlobWriter) -> Vec<photovault_core::Node> {
    let mut children = vec![file_node(w, b"photo.jpg", b"one photo, many paths")];
    for _ in 0..40 {
        let a = dir_node(w, b"a", children.clone());
        let b = dir_node(w, b"b", children);
        children = vec![a, b];
    }
    children
}

#[test]
fn a_snapshot_expanding_to_2_to_the_40_paths_shows_progress_and_stops_cleanly_on_ctrl_c() {
    let s = Scratch::with_repo();
    save_snapshot(s.pv.repo(), exploding);
    let target = s.path("target");
    fs::create_dir(&target).unwrap();
    let child =
        s.pv.command([
            "restore",
            "latest",
            "--target",
            target.to_str().unwrap(),
            "--json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    // SAFETY: kill has no memory-safety preconditions.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(debris(&target).is_empty(), "{:?}", debris(&target));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let planned = stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["message_type"] == "status")
        .filter_map(|l| l["total_files"].as_u64())
        .max();
    assert!(
        planned > Some(0),
        "progress shows the growing plan: {stdout}"
    );

    let check = s.pv.run_within(NO_HANG, ["check"]);
    assert_eq!(check.code, 0, "{check}");
}

#[test]
fn check_reports_entries_no_writer_produces() {
    let s = Scratch::with_repo();
    save_snapshot(s.pv.repo(), |w| {
        let mut no_content = dir_node(w, b"no-content", vec![]);
        no_content.subtree = None;
        vec![
            file_node(w, b"..", b"dot dot"),
            file_node(w, b"a/b", b"slash"),
            file_node(w, b"huge.raw", &vec![7u8; 2 << 20]),
            no_content,
            file_node(w, b"twice.jpg", b"one"),
            file_node(w, b"twice.jpg", b"two"),
            file_node(w, b"z.jpg", b"z"),
            file_node(w, b"y.jpg", b"y"),
        ]
    });
    let out = s.pv.run(["check"]);
    assert_ne!(out.code, 0, "{out}");
    for expected in [
        "unsafe name",
        "larger than the largest chunk",
        "folder without content",
        "repeated or out-of-order",
    ] {
        assert!(out.stderr.contains(expected), "{expected}: {out}");
    }

    // Scripts get each as a `tree_entry` problem naming the entry, with the same text.
    let json = s.pv.run(["--json", "check"]);
    let summary: serde_json::Value = json
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["message_type"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {json}"));
    let entries: Vec<(String, String)> = summary["report"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|p| p["kind"] == "tree_entry")
        .map(|p| {
            (
                p["path"].as_str().unwrap().into(),
                p["error"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (path, expected) in [
        ("/..", "unsafe name"),
        ("/huge.raw", "larger than the largest chunk"),
        ("/no-content", "folder without content"),
        ("/twice.jpg", "repeated or out-of-order"),
        ("/y.jpg", "repeated or out-of-order"),
    ] {
        assert!(
            entries
                .iter()
                .any(|(p, e)| p == path && e.contains(expected)),
            "{path}: {expected}: {entries:?}"
        );
    }
}

#[test]
fn names_and_host_names_with_control_characters_are_printed_escaped() {
    let s = Scratch::with_repo();
    save_snapshot_with(
        s.pv.repo(),
        serde_json::json!({"hostname": "evil\nhost\u{1b}[2J"}),
        |w| vec![file_node(w, b"photo\n\x1b[31mred.jpg", b"x")],
    );
    let ls = s.pv.ok(["ls", "latest"]);
    assert!(!ls.stdout.contains('\u{1b}'), "{ls}");
    assert!(ls.stdout.contains("photo\\n\\e[31mred.jpg"), "{ls}");
    let snapshots = s.pv.ok(["snapshots"]);
    assert!(!snapshots.stdout.contains('\u{1b}'), "{snapshots}");
    assert!(
        snapshots.stdout.contains("evil\\nhost\\e[2J"),
        "{snapshots}"
    );
}

#[test]
fn a_path_through_dot_dot_is_refused_by_restore_and_ls() {
    let s = Scratch::with_repo();
    save_snapshot(s.pv.repo(), |w| {
        let inside = file_node(w, b"x", b"x");
        vec![dir_node(w, b"..", vec![inside])]
    });
    let target = s.path("target");
    let out = s.pv.restore("latest:..", &target, &[]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("'..'"), "{out}");
    let ls = s.pv.run(["ls", "latest", "/.."]);
    assert_ne!(ls.code, 0, "{ls}");
    // Listed, marked, and not entered: nothing appears "below" it.
    let all = s.pv.ok(["ls", "latest"]);
    assert!(all.stdout.contains("unsafe name"), "{all}");
    assert!(!all.stdout.contains("/x"), "{all}");
}

#[test]
fn a_node_kind_mismatch_is_damage_not_an_upgrade_request() {
    // A folder whose tree id names file content.
    let s = Scratch::with_repo();
    save_snapshot(s.pv.repo(), |w| {
        let content = w.blob(BlobKind::Data, b"\x68 not a tree at all");
        let mut folder = photovault_core::Node {
            kind: NodeKind::Dir,
            ..node(b"album", NodeKind::Dir, 0o40755)
        };
        folder.subtree = Some(content);
        vec![folder]
    });
    let target = s.path("target");
    let out = s.pv.restore("latest", &target, &[]);
    assert_ne!(out.code, 0, "{out}");
    assert!(!out.stderr.contains("upgrade photovault"), "{out}");
    assert!(out.stderr.contains("not a folder's tree"), "{out}");
}
