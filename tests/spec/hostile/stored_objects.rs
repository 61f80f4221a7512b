//! What stands in an object's place, index entries that lie, and key files that ask too
//! much (findings 3 and 4).

use super::*;

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
fn a_pack_grown_to_3_gib_costs_check_its_indexed_blobs_not_its_size() {
    // Below the 4 GiB bound, but its header (read from the tail) is gone: check reads the
    // blobs the index lists and reports the header, instead of hashing 3 GiB of zeros.
    let s = Scratch::with_repo();
    backed_up(&s);
    let pack = data_pack(s.pv.repo());
    let real: u64 = pack_files(s.pv.repo())
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum();
    fs::OpenOptions::new()
        .write(true)
        .open(&pack)
        .unwrap()
        .set_len(3 << 30)
        .unwrap(); // sparse
    let out = s.pv.run_within(NO_HANG, ["check", "--read-data", "--json"]);
    assert_ne!(out.code, 0, "{out}");
    let lines = out.json_lines();
    let summary = lines
        .iter()
        .find(|l| l["message_type"] == "summary")
        .expect("a summary line");
    let report = &summary["report"];
    assert!(report["bytes_read"].as_u64().unwrap() <= real, "{report}");
    assert!(out.stdout.contains("pack_header"), "{out}");
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
