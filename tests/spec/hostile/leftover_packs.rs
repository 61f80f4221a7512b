//! Packs in `data/` that no index lists, and blobs stored in more than one pack (finding 2).

use super::*;

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
