//! Wrong passwords, missing or existing repositories, damaged packs and unreadable sources
//! fail clearly, with the documented exit codes, and never cost more than they must.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use photovault_core::format::blob::BlobKind;
use photovault_core::format::pack_header::{decode_header, sealed_header_length, TRAILER_LEN};
use photovault_core::{BlobId, NodeKind};

use crate::support::*;

#[test]
fn a_wrong_password_exits_12_and_says_so() {
    let s = Scratch::with_repo();
    let out =
        s.pv.with_password(Some("not the password"))
            .run(["snapshots"]);
    let out = out.code(12);
    assert!(out.stderr.contains("wrong password"), "{out}");
}

#[test]
fn a_missing_repository_exits_10() {
    let s = Scratch::new();
    let out = s.pv.run(["snapshots"]).code(10);
    assert!(out.stderr.contains("no repository"), "{out}");
    // An empty folder is not a repository either.
    fs::create_dir(s.pv.repo()).unwrap();
    s.pv.run(["snapshots"]).code(10);
}

/// Every file below `dir` with its bytes.
fn snapshot_of_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    list_files(dir)
        .into_iter()
        .map(|(rel, _)| {
            let bytes = fs::read(dir.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect()
}

#[test]
fn init_on_an_existing_repository_fails_and_changes_nothing() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("a.jpg"), random_bytes(10_000, 1)).unwrap();
    s.pv.backup(&[&src], &[]);
    let before = snapshot_of_files(s.pv.repo());

    for password in [PASSWORD, "another password"] {
        let pv = s.pv.with_password(Some(password));
        let out = pv.run(["init"].iter().chain(&FAST_KDF));
        assert_ne!(out.code, 0, "{out}");
        assert!(out.stderr.contains("already exists"), "{out}");
    }
    assert!(
        before == snapshot_of_files(s.pv.repo()),
        "init changed files"
    );
    s.pv.ok(["snapshots"]);
}

#[test]
fn an_empty_password_is_refused() {
    let s = Scratch::new();
    let empty = s.pv.with_password(Some(""));
    let out = empty.run(["init"].iter().chain(&FAST_KDF));
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("empty"), "{out}");
    assert!(
        !s.pv.repo().join("config").exists(),
        "init created a repository"
    );

    s.pv.init();
    let out = empty.run(["snapshots"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("empty"), "{out}");
}

/// Every pack file of a local repository.
fn pack_files(repo: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for prefix in fs::read_dir(repo.join("data")).unwrap() {
        for pack in fs::read_dir(prefix.unwrap().path()).unwrap() {
            out.push(pack.unwrap().path());
        }
    }
    out.sort();
    out
}

#[test]
fn a_damaged_pack_fails_only_the_files_it_holds_and_leaves_no_partial_file() {
    let s = Scratch::new();
    s.pv.ok(["init", "--pack-size", "1"].iter().chain(&FAST_KDF));
    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    let names: Vec<String> = (0..5).map(|i| format!("photo-{i}.jpg")).collect();
    for (i, name) in names.iter().enumerate() {
        write_random_file(&src.join(name), 3_000_000 + i as u64 * 1000, 100 + i as u64);
    }
    s.pv.backup(&[&src], &[]);

    // Which file each data blob belongs to, from the snapshot.
    let (repo, key) = open_with_key(s.pv.repo());
    let snapshot = repo.find_snapshot("latest").unwrap().snapshot;
    let folder = repo
        .find_path(&snapshot, &src.display().to_string())
        .unwrap();
    let tree = repo.read_tree(&folder.subtree.unwrap()).unwrap();
    let mut owner: HashMap<BlobId, String> = HashMap::new();
    for node in &tree.nodes {
        assert_eq!(node.kind, NodeKind::File);
        for id in &node.content {
            owner.insert(*id, node.display_name());
        }
    }

    // Flip a byte near the start of the first blob of a data pack.
    let (pack, damaged_blob, at) = pack_files(s.pv.repo())
        .into_iter()
        .find_map(|path| {
            let bytes = fs::read(&path).unwrap();
            let n = bytes.len();
            let sealed_len = sealed_header_length(&bytes[n - TRAILER_LEN..]).unwrap() as usize;
            let sealed = &bytes[n - TRAILER_LEN - sealed_len..n - TRAILER_LEN];
            let mut entries = decode_header(&key, sealed, n as u64).unwrap();
            entries.sort_by_key(|e| e.offset);
            let first = entries[0];
            (first.kind == BlobKind::Data && owner.contains_key(&first.id)).then(|| {
                let at = first.offset as usize + (first.length as usize / 2).min(100);
                (path, first.id, at)
            })
        })
        .expect("a data pack");
    let mut bytes = fs::read(&pack).unwrap();
    bytes[at] ^= 0x01;
    fs::write(&pack, bytes).unwrap();
    let damaged = &owner[&damaged_blob];

    let target = s.path("target");
    let out = s.pv.restore("latest", &target, &[]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains(damaged.as_str()), "{out}");
    let restored = restored_path(&target, &src);
    for name in &names {
        if name == damaged {
            assert!(!restored.join(name).exists(), "damaged {name} was restored");
        } else {
            assert!(!out.stderr.contains(name.as_str()), "{name} blamed: {out}");
            assert!(
                same_content(&src.join(name), &restored.join(name)).unwrap(),
                "{name} differs"
            );
        }
    }
    let leftovers: Vec<_> = fs::read_dir(&restored)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| !names.iter().any(|name| n == name.as_str()))
        .collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
}

#[test]
fn an_unreadable_source_file_exits_3_names_it_and_saves_the_rest() {
    let s = Scratch::new();
    // When we are root, pvault runs as nobody, who must reach everything but the secret.
    chmod(s.dir.path(), 0o777);
    let pv = s.pv.unprivileged();
    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    chmod(&src, 0o755);
    for name in ["a.jpg", "b.jpg", "secret.jpg"] {
        fs::write(src.join(name), random_bytes(5000, name.len() as u64)).unwrap();
        chmod(&src.join(name), 0o644);
    }
    chmod(&src.join("secret.jpg"), 0o000);
    fs::create_dir(src.join("locked")).unwrap();
    fs::write(src.join("locked/hidden.jpg"), b"hidden").unwrap();
    chmod(&src.join("locked"), 0o000);

    pv.init();
    let out = pv.run(["backup".as_ref(), "--json".as_ref(), src.as_os_str()]);
    let out = out.code(3);
    assert!(out.stderr.contains("secret.jpg"), "{out}");
    assert!(out.stderr.contains("locked"), "{out}");
    let summary = out.last_json();
    assert_eq!(summary["message_type"], "summary", "{out}");
    assert_eq!(summary["errors"], 2, "{summary}");
    assert_eq!(summary["total_files_processed"], 2, "{summary}");
    let errors: Vec<String> = out
        .json_lines()
        .iter()
        .filter(|l| l["message_type"] == "error")
        .map(|l| l["item"].as_str().unwrap().to_string())
        .collect();
    assert!(errors.iter().any(|i| i.ends_with("secret.jpg")), "{out}");

    let listed: Vec<String> = pv
        .ok(["ls", "latest", "--json"])
        .json_lines()
        .iter()
        .filter(|l| l["message_type"] == "node")
        .map(|l| l["path"].as_str().unwrap().to_string())
        .filter_map(|p| {
            p.strip_prefix(&format!("{}/", src.display()))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(listed, ["a.jpg", "b.jpg"]);
    chmod(&src.join("locked"), 0o755); // so the scratch folder can be removed
}

#[test]
fn a_missing_source_path_fails_the_backup_and_saves_no_snapshot() {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir(&src).unwrap();
    let missing = s.path("no such folder");
    let out =
        s.pv.run(["backup".as_ref(), src.as_os_str(), missing.as_os_str()]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("no such folder"), "{out}");
    assert_eq!(
        s.pv.ok(["snapshots", "--json"]).json(),
        serde_json::json!([])
    );
}
