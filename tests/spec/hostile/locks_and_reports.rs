//! Locks from the future, reports of entries that could not be handled, and scale
//! (finding 5).

use super::*;

#[test]
fn a_lock_dated_next_year_blocks_says_so_and_unlock_removes_it() {
    let s = Scratch::with_repo();
    let src = backed_up(&s);
    let (_, key) = open_with_key(s.pv.repo());
    let lock = Lock {
        time: (chrono::Utc::now() + chrono::Duration::days(365)).fixed_offset(),
        exclusive: true,
        hostname: "elsewhere".into(),
        username: "mallory".into(),
        pid: 1,
        prune: false,
    };
    let sealed = sealed_file::seal_json(&key, "lock", &lock);
    LocalBackend::new(s.pv.repo())
        .write(FileKind::Lock, &"cd".repeat(32), &sealed)
        .unwrap();

    let out = s.pv.run(["backup", src.to_str().unwrap()]);
    assert_eq!(out.code, 11, "{out}");
    assert!(out.stderr.contains("dated in the future"), "{out}");
    let unlock = s.pv.ok(["unlock"]);
    assert!(unlock.stdout.contains("removed 1"), "{unlock}");
    s.pv.ok(["backup", src.to_str().unwrap()]);
}

// ---- restore and backup reports (finding 5) -----------------------------------------------

#[test]
fn a_folder_that_cannot_be_created_is_reported_once() {
    let s = Scratch::with_repo();
    let src = s.path("photos");
    fs::create_dir_all(src.join("album")).unwrap();
    for i in 0..8 {
        fs::write(src.join(format!("album/{i}.jpg")), random_bytes(1000, i)).unwrap();
    }
    s.pv.backup(&[&src], &[]);
    let target = s.path("target");
    let restored = restored_path(&target, &src);
    fs::create_dir_all(&restored).unwrap();
    fs::write(restored.join("album"), b"a file in the way").unwrap();

    let out = s.pv.restore("latest", &target, &[]);
    assert_ne!(out.code, 0, "{out}");
    assert_eq!(
        out.stderr.matches("cannot create folder").count(),
        1,
        "{out}"
    );
    assert!(
        out.stderr.contains("1 entry could not be restored"),
        "{out}"
    );
}

#[test]
fn a_file_that_grows_while_it_is_read_is_stored_with_a_warning() {
    // /proc files say they are empty and then give their content: a file that changed
    // between the look and the read.
    let s = Scratch::with_repo();
    let out = s.pv.ok(["backup", "--json", "/proc/version"]);
    let warnings: Vec<_> = out
        .json_lines()
        .into_iter()
        .filter(|l| l["message_type"] == "warning")
        .collect();
    assert_eq!(warnings.len(), 1, "{out}");
    assert!(
        warnings[0]["warning"]
            .as_str()
            .unwrap()
            .contains("changed while it was read"),
        "{out}"
    );
}

// ---- scale (finding 5) --------------------------------------------------------------------

#[test]
fn check_handles_a_pack_of_300000_blobs_without_quadratic_work() {
    let s = Scratch::with_repo();
    let (_, key) = open_with_key(s.pv.repo());
    let mut w = BlobWriter::new(key);
    for i in 0u32..300_000 {
        w.blob(BlobKind::Data, &i.to_le_bytes());
    }
    w.finish(&LocalBackend::new(s.pv.repo()));
    let out = s.pv.run_within(NO_HANG, ["check"]);
    assert_eq!(out.code, 0, "{out}");
}
