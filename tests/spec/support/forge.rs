//! The hostile-repository kit: repositories written the way an attacker with the password
//! (a malicious co-user) or a buggy writer could write them. Everything here is correctly
//! encrypted and authenticated with the repository's key, so only photovault's own checks
//! stand between these objects and a reader: names, nesting, timestamps, index entries,
//! locks and key files are whatever the test says.

use std::collections::HashSet;
use std::path::Path;

use photovault_core::backend::{
    Backend, BackendError, BackendResult, FileInfo, FileKind, LocalBackend,
};
use photovault_core::crypto::MasterKey;
use photovault_core::format::blob::{seal_blob, BlobEntry, BlobKind, Compression};
use photovault_core::format::index_file::{IndexFile, IndexedPack};
use photovault_core::format::sealed_file;
use photovault_core::pack::Packer;
use photovault_core::{
    BlobId, IndexId, Node, NodeKind, PackId, Snapshot, SnapshotId, Timestamp, Tree,
};

use super::open_with_key;

/// Writes blobs into one pack, then the pack and (unless told otherwise) its index file, as
/// a backup would, but without any of a backup's checks.
pub struct BlobWriter {
    key: MasterKey,
    packer: Packer,
    stored: HashSet<BlobId>,
}

impl BlobWriter {
    /// A writer sealing with `key`.
    pub fn new(key: MasterKey) -> Self {
        BlobWriter {
            key,
            packer: Packer::new(64 << 20),
            stored: HashSet::new(),
        }
    }

    /// Stores `plain` as a blob of `kind` (once) and returns its id.
    pub fn blob(&mut self, kind: BlobKind, plain: &[u8]) -> BlobId {
        let id = self.key.blob_id(plain);
        if self.stored.insert(id) {
            let mut sealed = Vec::new();
            let len = plain.len() as u32;
            seal_blob(
                &self.key,
                kind,
                &id,
                Compression::None,
                len,
                plain,
                &mut sealed,
            );
            self.packer
                .add(id, kind, Compression::None, len, &sealed)
                .unwrap();
        }
        id
    }

    /// Stores a tree holding `nodes` exactly as given (not sorted, not checked).
    pub fn tree(&mut self, nodes: Vec<Node>) -> BlobId {
        self.blob(BlobKind::Tree, &Tree { nodes }.encode())
    }

    /// Stores the pack and an index file listing it; returns the pack's id and entries.
    pub fn finish(self, backend: &dyn Backend) -> (PackId, Vec<BlobEntry>) {
        let key = self.key.clone();
        let (pack, entries) = self.finish_pack_only(backend);
        write_index(
            backend,
            &key,
            vec![IndexedPack {
                id: pack,
                blobs: entries.clone(),
            }],
        );
        (pack, entries)
    }

    /// Stores the pack but no index file: a leftover of a killed backup.
    pub fn finish_pack_only(self, backend: &dyn Backend) -> (PackId, Vec<BlobEntry>) {
        let mut pack = self
            .packer
            .finish(&self.key)
            .unwrap()
            .expect("blobs were added");
        backend
            .finish_write(pack.file.as_mut(), &pack.id.to_hex())
            .unwrap();
        (pack.id, pack.entries)
    }
}

/// Seals and stores an index file listing `packs` exactly as given.
pub fn write_index(backend: &dyn Backend, key: &MasterKey, packs: Vec<IndexedPack>) -> IndexId {
    let sealed = sealed_file::seal(key, "index", &IndexFile { packs }.encode());
    let id = IndexId::hash_of(&sealed);
    backend
        .write(FileKind::Index, &id.to_hex(), &sealed)
        .unwrap();
    id
}

/// A node owned by this process's user, modified in 2020.
pub fn node(name: &[u8], kind: NodeKind, mode: u32) -> Node {
    // SAFETY: geteuid and getegid have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    Node {
        name: name.to_vec(),
        kind,
        mode,
        uid,
        gid,
        size: 0,
        mtime: Timestamp {
            secs: 1_600_000_000,
            nanos: 0,
        },
        ctime: Timestamp::default(),
        inode: 0,
        device: 0,
        content: vec![],
        subtree: None,
        link_target: None,
        media: None,
    }
}

/// A file node holding `content` in one data blob.
pub fn file_node(w: &mut BlobWriter, name: &[u8], content: &[u8]) -> Node {
    let mut n = node(name, NodeKind::File, 0o100644);
    n.size = content.len() as u64;
    n.content = vec![w.blob(BlobKind::Data, content)];
    n
}

/// A folder node whose tree holds `children` as given.
pub fn dir_node(w: &mut BlobWriter, name: &[u8], children: Vec<Node>) -> Node {
    let mut n = node(name, NodeKind::Dir, 0o40755);
    n.subtree = Some(w.tree(children));
    n
}

/// A symlink node pointing at `target`.
pub fn symlink_node(name: &[u8], target: &[u8]) -> Node {
    let mut n = node(name, NodeKind::Symlink, 0o120777);
    n.link_target = Some(target.to_vec());
    n
}

/// Stores a snapshot whose root tree holds the nodes `build` returns, as they are (not
/// sorted, not checked), the way a hostile writer could. Returns the snapshot's id.
pub fn save_snapshot(
    repo_path: &Path,
    build: impl FnOnce(&mut BlobWriter) -> Vec<Node>,
) -> SnapshotId {
    save_snapshot_with(repo_path, serde_json::json!({}), build)
}

/// Like [`save_snapshot`], with snapshot fields (`hostname`, `paths`, `tags`, `time`) taken
/// from `fields` where it has them.
pub fn save_snapshot_with(
    repo_path: &Path,
    fields: serde_json::Value,
    build: impl FnOnce(&mut BlobWriter) -> Vec<Node>,
) -> SnapshotId {
    let (repo, key) = open_with_key(repo_path);
    let mut w = BlobWriter::new(key);
    let nodes = build(&mut w);
    let root = w.tree(nodes);
    let backend = LocalBackend::new(repo_path);
    w.finish(&backend);
    let mut json = serde_json::json!({
        "version": 1,
        "time": "2024-05-01T12:00:00+02:00",
        "hostname": "attacker",
        "paths": ["/photos"],
        "tree": root.to_hex(),
    });
    for (k, v) in fields.as_object().expect("fields are an object") {
        json[k] = v.clone();
    }
    let snapshot: Snapshot = serde_json::from_value(json).unwrap();
    repo.save_snapshot(&snapshot).unwrap()
}

/// The path of pack `id` in a local repository.
pub fn pack_path(repo_path: &Path, id: &PackId) -> std::path::PathBuf {
    let hex = id.to_hex();
    repo_path.join("data").join(&hex[..2]).join(hex)
}

/// Every pack file of a local repository.
pub fn pack_files(repo_path: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for sub in std::fs::read_dir(repo_path.join("data")).unwrap() {
        let sub = sub.unwrap().path();
        if sub.is_dir() {
            for f in std::fs::read_dir(&sub).unwrap() {
                out.push(f.unwrap().path());
            }
        }
    }
    out.sort();
    out
}

/// A backend that breaks one rule on purpose, in front of a real one: to show that the
/// conformance suite notices, or how photovault copes with storage that misbehaves.
#[derive(Debug)]
pub struct Misbehaving {
    inner: std::sync::Arc<dyn Backend>,
    short_reads: bool,
    read_only: bool,
}

impl Misbehaving {
    /// Returns what it has when a range runs past an object's end, instead of failing.
    pub fn short_reads(inner: std::sync::Arc<dyn Backend>) -> Self {
        Misbehaving {
            inner,
            short_reads: true,
            read_only: false,
        }
    }

    /// Fails every write and removal as a read-only file system does (EROFS).
    pub fn read_only(inner: std::sync::Arc<dyn Backend>) -> Self {
        Misbehaving {
            inner,
            short_reads: false,
            read_only: true,
        }
    }

    fn refuse(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        if !self.read_only {
            return Ok(());
        }
        Err(BackendError::Io {
            location: self.location(),
            op: "write",
            path: format!("{}/{name}", kind.dir()),
            source: std::io::Error::from_raw_os_error(libc::EROFS),
        })
    }
}

impl Backend for Misbehaving {
    fn location(&self) -> String {
        self.inner.location()
    }

    fn create(&self) -> BackendResult<()> {
        self.inner.create()
    }

    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>> {
        self.inner.list(kind)
    }

    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>> {
        if !self.short_reads {
            return self.inner.read(kind, name, offset, length);
        }
        let all = self.inner.read(kind, name, 0, 0)?;
        let start = (offset as usize).min(all.len());
        let end = match length {
            0 => all.len(),
            n => (start + n as usize).min(all.len()),
        };
        Ok(all[start..end].to_vec())
    }

    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()> {
        self.refuse(kind, name)?;
        self.inner.write(kind, name, data)
    }

    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        self.refuse(kind, name)?;
        self.inner.remove(kind, name)
    }
}
