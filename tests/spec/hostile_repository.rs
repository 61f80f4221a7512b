//! A damaged or hostile repository costs a clear error, never a hang, a crash, a runaway
//! allocation or the loss of what is stored intact. Each specification plants one thing an
//! attacker with write access to the storage (or with the password: a malicious co-user),
//! or a buggy writer, could plant, with the kit in `support/forge.rs`, and states what
//! photovault does about it.

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use photovault_core::backend::{Backend, FileKind, LocalBackend};
use photovault_core::format::blob::{BlobEntry, BlobKind, Compression};
use photovault_core::format::index_file::IndexedPack;
use photovault_core::format::lock::Lock;
use photovault_core::format::sealed_file;
use photovault_core::{BlobId, NodeKind, PackId, Timestamp};

use crate::support::*;

/// Long enough for anything these repositories hold; a hang blows through it.
const NO_HANG: Duration = Duration::from_secs(120);

/// Exit code of a Rust panic: a hostile repository must never cause one.
const PANICKED: i32 = 101;

/// A folder of three photos, backed up once.
fn backed_up(s: &Scratch) -> PathBuf {
    let src = s.path("photos");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("a.jpg"), random_bytes(40_000, 1)).unwrap();
    fs::write(src.join("b.jpg"), random_bytes(30_000, 2)).unwrap();
    fs::write(src.join("c.jpg"), random_bytes(20_000, 3)).unwrap();
    s.pv.backup(&[&src], &[]);
    src
}

/// The pack holding file data (the larger of a first backup's two packs).
fn data_pack(repo: &Path) -> PathBuf {
    pack_files(repo)
        .into_iter()
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .expect("a pack")
}

/// Zeroes four bytes in the blob area of a pack (its first blob).
fn damage(pack: &Path) {
    let mut bytes = fs::read(pack).unwrap();
    bytes[100..104].fill(0);
    fs::write(pack, bytes).unwrap();
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {path:?}"
    );
}

fn snapshot_ids(pv: &Pvault) -> Vec<String> {
    let out = pv.ok(["snapshots", "--json"]);
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// Files below `dir` that a restore left half-written.
fn debris(dir: &Path) -> Vec<PathBuf> {
    list_files(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".pvault-")
        })
        .collect()
}

// ---- leftover packs (finding 2) -----------------------------------------------------------

#[test]
fn a_copied_and_damaged_pack_in_data_is_not_adopted_and_every_snapshot_still_restores() {
    let s = Scratch::with_repo();
    let src = backed_up(&s);
    let original = data_pack(s.pv.repo());
    let mut forged = fs::read(&original).unwrap();
    forged[100..104].fill(0);
    let forged_path = s.pv.repo().join("data/00").join("00".repeat(32));
    fs::write(&forged_path, forged).unwrap();

    let out = s.pv.ok(["backup", src.to_str().unwrap()]);
    assert!(out.stderr.contains("does not verify"), "{out}");
    assert!(out.stderr.contains(&"00".repeat(32)), "{out}");

    for id in snapshot_ids(&s.pv) {
        let target = s.path(&format!("target-{id}"));
        s.pv.restore(&id, &target, &[]).success();
        assert_same_tree(&src, &restored_path(&target, &src));
    }
    s.pv.ok(["check", "--read-data"]);
    assert!(
        forged_path.exists(),
        "a leftover is reported, never deleted by backup"
    );
}

#[test]
fn with_the_index_gone_a_damaged_pack_is_not_adopted_and_the_new_snapshot_is_whole() {
    let s = Scratch::with_repo();
    let src = backed_up(&s);
    for f in fs::read_dir(s.pv.repo().join("index")).unwrap() {
        fs::remove_file(f.unwrap().path()).unwrap();
    }
    damage(&data_pack(s.pv.repo()));

    let out = s.pv.ok(["backup", src.to_str().unwrap()]);
    assert!(out.stderr.contains("does not verify"), "{out}");
    let target = s.path("target");
    s.pv.restore("latest", &target, &[]).success();
    assert_same_tree(&src, &restored_path(&target, &src));
}

#[test]
fn a_blob_stored_in_two_packs_is_read_from_the_intact_one_whichever_is_damaged() {
    let s = Scratch::with_repo();
    let src = s.path("photos");
    fs::create_dir(&src).unwrap();
    let photo = random_bytes(50_000, 7); // below the smallest chunk: one blob
    fs::write(src.join("photo.jpg"), &photo).unwrap();
    s.pv.backup(&[&src], &[]);
    let first = data_pack(s.pv.repo());

    // The same blob again, in a second pack with an index file of its own.
    let (_, key) = open_with_key(s.pv.repo());
    let mut w = BlobWriter::new(key);
    w.blob(BlobKind::Data, &photo);
    let (second_id, _) = w.finish(&LocalBackend::new(s.pv.repo()));
    let second = pack_path(s.pv.repo(), &second_id);

    for damaged in [&first, &second] {
        let intact = fs::read(damaged).unwrap();
        damage(damaged);
        for cache in [&[][..], &["--no-cache"][..]] {
            let target = s.path("target");
            let _ = fs::remove_dir_all(&target);
            s.pv.restore("latest", &target, cache).success();
            assert_eq!(
                fs::read(restored_path(&target, &src).join("photo.jpg")).unwrap(),
                photo
            );
        }
        let check = s.pv.run(["check", "--read-data"]);
        assert_ne!(check.code, 0, "the damaged copy is a problem: {check}");
        assert!(
            !check.stderr.contains("cannot be restored intact"),
            "another copy is intact: {check}"
        );
        fs::write(damaged, intact).unwrap();
    }
}

// ---- what stands in an object's place (finding 3) ----------------------------------------

#[test]
fn a_fifo_or_folder_in_place_of_a_pack_or_the_config_is_named_and_nothing_hangs() {
    let s = Scratch::with_repo();
    backed_up(&s);
    let pack = data_pack(s.pv.repo());
    fs::remove_file(&pack).unwrap();
    mkfifo(&pack);
    let target = s.path("target");
    for args in [
        vec!["restore", "latest", "--target", target.to_str().unwrap()],
        vec!["check", "--read-data"],
    ] {
        let out = s.pv.run_within(NO_HANG, &args);
        assert!(out.stderr.contains("FIFO"), "{args:?}: {out}");
        assert_ne!(out.code, PANICKED, "{out}");
    }
    // A backup of unchanged files reads no pack: it finishes, FIFO or not.
    s.pv.run_within(NO_HANG, ["backup", s.path("photos").to_str().unwrap()])
        .success();
    fs::remove_file(&pack).unwrap();
    fs::create_dir(&pack).unwrap();
    let out = s.pv.run_within(NO_HANG, ["check", "--read-data"]);
    assert!(out.stderr.contains("folder"), "{out}");

    let config = s.pv.repo().join("config");
    fs::remove_file(&config).unwrap();
    mkfifo(&config);
    for args in [vec!["snapshots"], vec!["ls", "latest"], vec!["check"]] {
        let out = s.pv.run_within(NO_HANG, &args);
        assert_ne!(out.code, 0, "{out}");
        assert!(
            out.stderr.contains("config") && out.stderr.contains("FIFO"),
            "{args:?}: {out}"
        );
    }
}

#[test]
fn a_pack_grown_to_5_gib_is_reported_without_being_read() {
    let s = Scratch::with_repo();
    backed_up(&s);
    let pack = data_pack(s.pv.repo());
    fs::OpenOptions::new()
        .write(true)
        .open(&pack)
        .unwrap()
        .set_len(5 << 30)
        .unwrap(); // sparse
    let out = s.pv.run_within(NO_HANG, ["check", "--read-data"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("more than any pack can hold"), "{out}");
}

#[test]
fn an_oversized_snapshot_file_is_skipped_and_named_and_the_others_are_listed() {
    let s = Scratch::with_repo();
    backed_up(&s);
    let huge = s.pv.repo().join("snapshots").join("ab".repeat(32));
    fs::File::create(&huge).unwrap().set_len(3 << 30).unwrap(); // sparse, 3 GiB
    let out = s.pv.run_within(NO_HANG, ["snapshots"]).success();
    assert!(out.stderr.contains(&"ab".repeat(32)), "{out}");
    assert!(out.stderr.contains("it was not read"), "{out}");
    assert!(out.stdout.contains("1 snapshots"), "{out}");
    // Memory: the file is refused by its size, so even an address space of 1 GiB suffices.
    let mut listing = s.pv.command(["snapshots"]);
    limit_address_space(&mut listing, 1 << 30);
    assert!(listing.status().unwrap().success());
}

/// Caps the address space of the command's process, so that an allocation of gigabytes
/// fails (aborting the process) instead of passing unnoticed.
fn limit_address_space(cmd: &mut std::process::Command, bytes: u64) {
    // SAFETY: setrlimit is async-signal-safe and touches no state of the parent.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

// ---- index entries (findings 3 and 4) ----------------------------------------------------

/// Lists `entries` for `pack` in a new index file.
fn index_pack(repo: &Path, pack: PackId, entries: Vec<BlobEntry>) {
    let (_, key) = open_with_key(repo);
    write_index(
        &LocalBackend::new(repo),
        &key,
        vec![IndexedPack {
            id: pack,
            blobs: entries,
        }],
    );
}

fn pack_id(path: &Path) -> PackId {
    path.file_name().unwrap().to_str().unwrap().parse().unwrap()
}

#[test]
fn an_index_entry_of_4_gib_costs_no_4_gib_allocation_and_the_true_copy_is_used() {
    let s = Scratch::with_repo();
    let src = backed_up(&s);
    let pack = data_pack(s.pv.repo());
    let (repo, key) = open_with_key(s.pv.repo());
    let photo = fs::read(src.join("c.jpg")).unwrap(); // below the smallest chunk: one blob
    let true_entry = repo
        .find_blob(&key.blob_id(&photo))
        .unwrap()
        .expect("indexed")
        .entry;
    index_pack(
        s.pv.repo(),
        pack_id(&pack),
        vec![BlobEntry {
            length: u32::MAX,
            offset: 0,
            ..true_entry
        }],
    );
    let target = s.path("target");
    let mut restore =
        s.pv.command(["restore", "latest", "--target", target.to_str().unwrap()]);
    limit_address_space(&mut restore, 2 << 30);
    let out = restore.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same_tree(&src, &restored_path(&target, &src));
}

#[test]
fn overlapping_index_entries_are_refused_as_damage_not_a_crash() {
    let s = Scratch::with_repo();
    backed_up(&s);
    let pack = data_pack(s.pv.repo());
    let entry = |n: u8, offset: u32| BlobEntry {
        id: BlobId([n; 32]),
        kind: BlobKind::Data,
        compression: Compression::None,
        offset,
        length: 100,
        raw_length: 60,
    };
    index_pack(s.pv.repo(), pack_id(&pack), vec![entry(1, 0), entry(2, 50)]);
    let target = s.path("target");
    for args in [
        vec!["restore", "latest", "--target", target.to_str().unwrap()],
        vec!["check"],
    ] {
        let out = s.pv.run_within(NO_HANG, &args);
        assert_ne!(out.code, 0, "{out}");
        assert_ne!(out.code, PANICKED, "{out}");
        assert!(out.stderr.contains("overlaps"), "{args:?}: {out}");
    }
}

// ---- key files (finding 3) ----------------------------------------------------------------

/// A key file asking for `memory_kib` and `iterations`, that no password opens.
fn costly_key_file(memory_kib: u32, iterations: u32) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "version": 1, "created": "2024-01-01T00:00:00Z", "kdf": "argon2id",
        "params": {"memory_kib": memory_kib, "iterations": iterations, "parallelism": 1},
        "salt": "11".repeat(32), "wrapped": "22".repeat(96),
    }))
    .unwrap()
}

#[test]
fn a_key_file_asking_for_4_gib_and_100_passes_is_not_tried_and_is_named() {
    let s = Scratch::with_repo();
    backed_up(&s);
    // Named to sort first: an unbounded reader would try it before the real key.
    let planted = s.pv.repo().join("keys").join("00".repeat(32));
    fs::write(&planted, costly_key_file(4 << 20, 100)).unwrap();

    let out = s.pv.run_within(NO_HANG, ["snapshots"]).success();
    assert!(out.stderr.contains("was not tried"), "{out}");
    let wrong =
        s.pv.with_password(Some("wrong"))
            .run_within(NO_HANG, ["snapshots"]);
    assert_eq!(wrong.code, 12, "{wrong}");
    assert!(wrong.stderr.contains("--kdf-limit-memory"), "{wrong}");
}

#[test]
fn a_folder_in_place_of_the_only_key_file_is_named_not_called_a_wrong_password() {
    let s = Scratch::with_repo();
    backed_up(&s);
    let keys = s.pv.repo().join("keys");
    let key = fs::read_dir(&keys).unwrap().next().unwrap().unwrap().path();
    let bytes = fs::read(&key).unwrap();
    fs::remove_file(&key).unwrap();
    fs::create_dir(&key).unwrap();
    let out = s.pv.run_within(NO_HANG, ["snapshots"]);
    assert_ne!(out.code, 12, "{out}");
    assert!(out.stderr.contains("folder"), "{out}");

    // Beside a good key file, it is no obstacle.
    fs::write(keys.join("ff".repeat(32)), bytes).unwrap();
    s.pv.run_within(NO_HANG, ["snapshots"]).success();
}

// ---- crafted trees (findings 4 and 5) -----------------------------------------------------

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
}

// ---- locks (finding 5) --------------------------------------------------------------------

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
