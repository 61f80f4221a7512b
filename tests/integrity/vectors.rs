//! Test vectors that pin the repository format (`tests/vectors/`, described in its README).
//!
//! Each vector file is self-describing: `#` comment lines, `key: value` header lines (among
//! them `kind` and `expect`), an empty line, then the input bytes in hex. The expected outcome
//! is one of `ok`, `authentication failure`, `malformed`, `unsupported version` or
//! `id mismatch`; for `ok` the header also gives what must come out. A build that cannot read
//! them, or reads them differently, has changed the format (SPEC.md, Appendix A).
//!
//! The checked-in repository in `tests/vectors/repository/` is tested in
//! `reference_repository.rs`.

use std::path::{Path, PathBuf};

use photovault_core::chunk::{Chunker, ChunkerParams};
use photovault_core::crypto::MasterKey;
use photovault_core::format::blob::{open_blob, BlobEntry, BlobKind, BlobLocation, Compression};
use photovault_core::format::index_file::IndexFile;
use photovault_core::format::key_file::KeyFile;
use photovault_core::format::pack_header::{decode_plain, encode_plain};
use photovault_core::format::sealed_file;
use photovault_core::format::tree::{Node, NodeKind, Timestamp, Tree};
use photovault_core::pack::header_of;
use photovault_core::{BlobId, Damage, Error, PackId};

use crate::support::workspace_root;

pub(crate) fn vectors_dir() -> PathBuf {
    workspace_root().join("tests").join("vectors")
}

/// What a vector says must happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Authentication,
    Malformed,
    UnsupportedVersion,
    IdMismatch,
}

impl Outcome {
    fn parse(s: &str) -> Self {
        match s {
            "ok" => Outcome::Ok,
            "authentication failure" => Outcome::Authentication,
            "malformed" => Outcome::Malformed,
            "unsupported version" => Outcome::UnsupportedVersion,
            "id mismatch" => Outcome::IdMismatch,
            other => panic!("unknown expectation '{other}'"),
        }
    }

    fn of_damage(d: &Damage) -> Self {
        match d {
            Damage::Authentication => Outcome::Authentication,
            Damage::IdMismatch => Outcome::IdMismatch,
            _ => Outcome::Malformed,
        }
    }

    fn of_error(e: &Error) -> Self {
        match e {
            Error::Damaged { damage, .. } => Outcome::of_damage(damage),
            Error::UnsupportedVersion { .. } => Outcome::UnsupportedVersion,
            Error::WrongPassword => Outcome::Authentication,
            other => panic!("not an outcome a vector can expect: {other}"),
        }
    }
}

/// One vector file.
struct Vector {
    path: PathBuf,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Vector {
    fn parse(path: &Path) -> Self {
        let text = std::fs::read_to_string(path).unwrap();
        let (head, body) = text
            .split_once("\n\n")
            .unwrap_or_else(|| panic!("{}: no empty line after the header", path.display()));
        let headers = head
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let (k, v) = l
                    .split_once(':')
                    .unwrap_or_else(|| panic!("{}: bad header line {l:?}", path.display()));
                (k.trim().to_string(), v.trim().to_string())
            })
            .collect();
        let hex: String = body.split_whitespace().collect();
        let body = hex::decode(hex).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Vector {
            path: path.to_path_buf(),
            headers,
            body,
        }
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn get(&self, key: &str) -> &str {
        match self.all(key).as_slice() {
            [one] => one,
            other => panic!("{}: {} values for '{key}'", self.name(), other.len()),
        }
    }

    fn hex(&self, key: &str) -> Vec<u8> {
        hex::decode(self.get(key)).unwrap_or_else(|e| panic!("{}: {key}: {e}", self.name()))
    }

    fn num<T: std::str::FromStr>(&self, key: &str) -> T {
        self.get(key)
            .parse()
            .unwrap_or_else(|_| panic!("{}: {key} is not a number", self.name()))
    }

    fn expect(&self) -> Outcome {
        Outcome::parse(self.get("expect"))
    }

    fn master_key(&self) -> MasterKey {
        let bytes: [u8; 72] = self
            .hex("master-key")
            .try_into()
            .expect("master-key is 72 bytes");
        MasterKey::from_bytes(&bytes)
    }

    /// Asserts that the outcome is the expected one.
    fn check(&self, outcome: Outcome) {
        assert_eq!(outcome, self.expect(), "{}", self.name());
    }
}

/// The vectors of one kind (a folder of `tests/vectors/`), with at least one success and one
/// failure among them.
fn load(folder: &str, kind: &str) -> Vec<Vector> {
    let dir = vectors_dir().join(folder);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    let vectors: Vec<Vector> = paths.iter().map(|p| Vector::parse(p)).collect();
    for v in &vectors {
        assert_eq!(v.get("kind"), kind, "{}", v.name());
    }
    assert!(
        vectors.iter().any(|v| v.expect() == Outcome::Ok),
        "{folder}: no vector expects success"
    );
    assert!(
        vectors.iter().any(|v| v.expect() != Outcome::Ok),
        "{folder}: no vector expects failure"
    );
    vectors
}

fn render_entry(e: &BlobEntry) -> String {
    let kind = match e.kind {
        BlobKind::Data => "data",
        BlobKind::Tree => "tree",
        BlobKind::Thumbnail => "thumbnail",
    };
    let compression = match e.compression {
        Compression::None => "none",
        Compression::Zstd => "zstd",
        Compression::ZstdWords16 => "zstd-words16",
    };
    format!(
        "{kind} {compression} offset={} length={} raw={} id={}",
        e.offset,
        e.length,
        e.raw_length,
        e.id.to_hex()
    )
}

fn render_node(n: &Node) -> String {
    fn ts(t: &Timestamp) -> String {
        format!("{}.{:09}", t.secs, t.nanos)
    }
    fn text(s: &Option<String>) -> String {
        s.as_ref().map_or("-".into(), |s| format!("{s:?}"))
    }
    let kind = match n.kind {
        NodeKind::File => "file",
        NodeKind::Dir => "dir",
        NodeKind::Symlink => "symlink",
    };
    let content = if n.content.is_empty() {
        "-".to_string()
    } else {
        let ids: Vec<String> = n.content.iter().map(BlobId::to_hex).collect();
        ids.join(",")
    };
    let media = n.media.as_ref().map_or("-".into(), |m| {
        format!(
            "taken:{};make:{};model:{}",
            text(&m.taken),
            text(&m.make),
            text(&m.model)
        )
    });
    format!(
        "name={} kind={kind} mode={:o} uid={} gid={} size={} mtime={} ctime={} inode={} \
         device={} content={content} subtree={} link={} media={media} name-ok={}",
        hex::encode(&n.name),
        n.mode,
        n.uid,
        n.gid,
        n.size,
        ts(&n.mtime),
        ts(&n.ctime),
        n.inode,
        n.device,
        n.subtree.map_or("-".into(), |i| i.to_hex()),
        n.link_target.as_ref().map_or("-".into(), hex::encode),
        if n.name_problem().is_none() {
            "yes"
        } else {
            "no"
        },
    )
}

#[test]
fn key_files() {
    for v in load("key_file", "key-file") {
        let password = v.get("password").as_bytes();
        let outcome = match KeyFile::decode(&v.body, "vector") {
            Err(e) => Outcome::of_error(&e),
            Ok(key_file) => match key_file.unwrap_key(password, "vector") {
                Ok(Some(master)) => {
                    assert_eq!(
                        master.to_bytes().to_vec(),
                        v.hex("master-key"),
                        "{}",
                        v.name()
                    );
                    Outcome::Ok
                }
                Ok(None) => Outcome::Authentication,
                Err(e) => Outcome::of_error(&e),
            },
        };
        v.check(outcome);
    }
}

#[test]
fn sealed_files() {
    for v in load("sealed_file", "sealed-file") {
        let object: &'static str = match v.get("object") {
            "config" => "config",
            "snapshot" => "snapshot",
            "index" => "index",
            "lock" => "lock",
            other => panic!("{}: unknown object {other}", v.name()),
        };
        let outcome = match sealed_file::open(&v.master_key(), object, "vector", &v.body) {
            Ok(plain) => {
                assert_eq!(plain, v.hex("plaintext"), "{}", v.name());
                assert_eq!(
                    PackId::hash_of(&v.body).to_hex(),
                    v.get("file-id"),
                    "{}: file id",
                    v.name()
                );
                Outcome::Ok
            }
            Err(e) => Outcome::of_error(&e),
        };
        v.check(outcome);
    }
}

fn blob_kind(s: &str) -> BlobKind {
    match s {
        "data" => BlobKind::Data,
        "tree" => BlobKind::Tree,
        other => panic!("unknown blob kind {other}"),
    }
}

fn compression(s: &str) -> Compression {
    match s {
        "none" => Compression::None,
        "zstd" => Compression::Zstd,
        "zstd-words16" => Compression::ZstdWords16,
        other => panic!("unknown compression {other}"),
    }
}

#[test]
fn blobs() {
    for v in load("blob", "blob") {
        let id = BlobId::from_hex(v.get("id")).expect("id");
        let location = BlobLocation {
            pack: PackId([0; 32]),
            entry: BlobEntry {
                id,
                kind: blob_kind(v.get("blob-kind")),
                compression: compression(v.get("compression")),
                offset: 0,
                length: v.body.len() as u32,
                raw_length: v.num("raw-length"),
            },
        };
        let outcome = match open_blob(&v.master_key(), &location, &v.body) {
            Ok(plain) => {
                assert_eq!(plain, v.hex("plaintext"), "{}", v.name());
                Outcome::Ok
            }
            Err(e) => Outcome::of_error(&e),
        };
        v.check(outcome);
    }
}

#[test]
fn pack_header_plaintexts() {
    for v in load("pack_header", "pack-header") {
        let end: u64 = v.num("blob-area-end");
        let outcome = match decode_plain(&v.body, end) {
            Ok(entries) => {
                let shown: Vec<String> = entries.iter().map(render_entry).collect();
                assert_eq!(shown, v.all("entry"), "{}", v.name());
                assert_eq!(
                    decode_plain(&encode_plain(&entries), end).as_ref(),
                    Ok(&entries)
                );
                Outcome::Ok
            }
            Err(d) => Outcome::of_damage(&d),
        };
        v.check(outcome);
    }
}

#[test]
fn whole_packs() {
    for v in load("pack", "pack") {
        let key = v.master_key();
        let id = PackId::hash_of(&v.body);
        assert_eq!(id.to_hex(), v.get("pack-id"), "{}: pack id", v.name());
        let outcome = match header_of(&key, &id, &v.body) {
            Ok(entries) => {
                let shown: Vec<String> = entries.iter().map(render_entry).collect();
                assert_eq!(shown, v.all("entry"), "{}", v.name());
                for (entry, expected) in entries.iter().zip(v.all("blob-plaintext")) {
                    let stored = &v.body[entry.offset as usize..entry.end() as usize];
                    let location = BlobLocation {
                        pack: id,
                        entry: *entry,
                    };
                    match open_blob(&key, &location, stored) {
                        Ok(plain) => assert_eq!(hex::encode(plain), expected, "{}", v.name()),
                        Err(e) => assert_eq!(
                            Outcome::of_error(&e),
                            Outcome::parse(expected),
                            "{}",
                            v.name()
                        ),
                    }
                }
                Outcome::Ok
            }
            Err(e) => Outcome::of_error(&e),
        };
        v.check(outcome);
    }
}

#[test]
fn index_files() {
    for v in load("index_file", "index-file") {
        let outcome = match IndexFile::decode(&v.body) {
            Ok(file) => {
                let mut shown = Vec::new();
                for pack in &file.packs {
                    shown.push(format!("pack: {}", pack.id.to_hex()));
                    shown.extend(
                        pack.blobs
                            .iter()
                            .map(|e| format!("entry: {}", render_entry(e))),
                    );
                }
                let expected: Vec<String> = v
                    .headers
                    .iter()
                    .filter(|(k, _)| k == "pack" || k == "entry")
                    .map(|(k, val)| format!("{k}: {val}"))
                    .collect();
                assert_eq!(shown, expected, "{}", v.name());
                assert_eq!(file.encode(), v.body, "{}: re-encoding", v.name());
                Outcome::Ok
            }
            Err(d) => Outcome::of_damage(&d),
        };
        v.check(outcome);
    }
}

#[test]
fn trees() {
    for v in load("tree", "tree") {
        let outcome = match Tree::decode(&v.body) {
            Ok(tree) => {
                let shown: Vec<String> = tree.nodes.iter().map(render_node).collect();
                assert_eq!(shown, v.all("node"), "{}", v.name());
                let encoded = tree.encode();
                assert_eq!(Tree::decode(&encoded).as_ref(), Ok(&tree), "{}", v.name());
                match v.get("canonical") {
                    "yes" => assert_eq!(encoded, v.body, "{}: re-encoding", v.name()),
                    "no" => assert_ne!(encoded, v.body, "{}: re-encoding", v.name()),
                    other => panic!("{}: canonical: {other}", v.name()),
                }
                Outcome::Ok
            }
            Err(d) => Outcome::of_damage(&d),
        };
        v.check(outcome);
    }
}

#[test]
fn chunker_cut_points() {
    for v in load("chunker", "chunker") {
        assert_eq!(v.get("input"), "blake3-xof", "{}", v.name());
        let mut input = vec![0u8; v.num("input-length")];
        blake3::Hasher::new()
            .update(v.get("input-text").as_bytes())
            .finalize_xof()
            .fill(&mut input);
        let seed = u64::from_str_radix(v.get("seed").trim_start_matches("0x"), 16).expect("seed");
        let params = ChunkerParams {
            min_size: v.num("min-size"),
            avg_size: v.num("avg-size"),
            max_size: v.num("max-size"),
        };
        let outcome = match params.validate() {
            Err(_) => Outcome::Malformed,
            Ok(()) => {
                let cuts: Vec<String> = Chunker::new(params, seed)
                    .chunk_lengths(&input)
                    .iter()
                    .map(usize::to_string)
                    .collect();
                assert_eq!(cuts.join(" "), v.get("cuts"), "{}", v.name());
                Outcome::Ok
            }
        };
        v.check(outcome);
    }
}

#[test]
fn every_vector_folder_is_tested() {
    let mut folders: Vec<String> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(
        folders,
        [
            "blob",
            "chunker",
            "index_file",
            "key_file",
            "pack",
            "pack_header",
            "repository",
            "sealed_file",
            "tree"
        ]
    );
}
