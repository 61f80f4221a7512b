//! Reading, finding and writing snapshots, and walking paths inside them.

use rayon::prelude::*;

use crate::backend::FileKind;
use crate::error::{Damage, Error, Result};
use crate::format::sealed_file;
use crate::format::snapshot::{Snapshot, SNAPSHOT_VERSION};
use crate::format::tree::{Node, NodeKind};
use crate::id::{BlobId, SnapshotId};

use super::Repository;

/// A snapshot and its id.
#[derive(Debug, Clone)]
pub struct SnapshotEntry {
    /// Its id.
    pub id: SnapshotId,
    /// Its content.
    pub snapshot: Snapshot,
}

/// A snapshot file that could not be read: its name and why.
pub type UnreadableSnapshot = (String, Error);

impl Repository {
    /// All readable snapshots, oldest first. Unreadable ones are left out (see
    /// [`Repository::snapshots_and_errors`]; `check` reports them) so that one damaged
    /// snapshot cannot stop backups or restores of the others.
    pub fn snapshots(&self) -> Result<Vec<SnapshotEntry>> {
        Ok(self.snapshots_and_errors()?.0)
    }

    /// All readable snapshots, oldest first, and the snapshot files that could not be read.
    pub fn snapshots_and_errors(&self) -> Result<(Vec<SnapshotEntry>, Vec<UnreadableSnapshot>)> {
        let files = self.inner.backend.list(FileKind::Snapshot)?;
        let results: Vec<(String, Result<SnapshotEntry>)> = files
            .par_iter()
            .filter_map(|f| {
                f.name
                    .parse::<SnapshotId>()
                    .ok()
                    .map(|id| (f.name.clone(), id))
            })
            .map(|(name, id)| {
                (
                    name,
                    self.load_snapshot(&id)
                        .map(|snapshot| SnapshotEntry { id, snapshot }),
                )
            })
            .collect();
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for (name, result) in results {
            match result {
                Ok(entry) => out.push(entry),
                Err(Error::Backend(e)) if !e.is_about_the_file() => return Err(Error::Backend(e)),
                Err(e) => errors.push((name, e)),
            }
        }
        out.sort_by(|a, b| a.snapshot.time.cmp(&b.snapshot.time).then(a.id.cmp(&b.id)));
        Ok((out, errors))
    }

    /// Reads one snapshot and checks it is the one named.
    pub fn load_snapshot(&self, id: &SnapshotId) -> Result<Snapshot> {
        let shown = format!("snapshot {}", id.short());
        let sealed = self.inner.read_snapshot_file(&id.to_hex())?;
        if SnapshotId::hash_of(&sealed) != *id {
            return Err(Error::damaged(shown, Damage::IdMismatch));
        }
        let snapshot: Snapshot =
            sealed_file::open_json(&self.inner.key, "snapshot", &shown, &sealed)?;
        if !snapshot.is_supported() {
            return Err(Error::UnsupportedVersion {
                what: shown,
                found: snapshot.version,
                supported: SNAPSHOT_VERSION,
            });
        }
        Ok(snapshot)
    }

    /// Finds a snapshot by full id, unique id prefix, or `latest`.
    pub fn find_snapshot(&self, spec: &str) -> Result<SnapshotEntry> {
        if spec == "latest" {
            return self
                .snapshots()?
                .pop()
                .ok_or_else(|| Error::SnapshotNotFound { spec: spec.into() });
        }
        if spec.is_empty() || !spec.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::SnapshotNotFound { spec: spec.into() });
        }
        let spec_lower = spec.to_ascii_lowercase();
        let matches: Vec<SnapshotId> = self
            .inner
            .backend
            .list(FileKind::Snapshot)?
            .into_iter()
            .filter(|f| f.name.starts_with(&spec_lower))
            .filter_map(|f| f.name.parse().ok())
            .collect();
        match matches.as_slice() {
            [id] => Ok(SnapshotEntry {
                id: *id,
                snapshot: self.load_snapshot(id)?,
            }),
            [] => Err(Error::SnapshotNotFound { spec: spec.into() }),
            many => Err(Error::AmbiguousSnapshot {
                spec: spec.into(),
                count: many.len(),
            }),
        }
    }

    /// Stores a snapshot. Callers must have flushed every blob it refers to first.
    pub fn save_snapshot(&self, snapshot: &Snapshot) -> Result<SnapshotId> {
        let sealed = sealed_file::seal_json(&self.inner.key, "snapshot", snapshot);
        sealed_file::refuse_oversized(FileKind::Snapshot, "a snapshot", sealed.len())?;
        let id = SnapshotId::hash_of(&sealed);
        self.inner.store_snapshot_file(&id.to_hex(), &sealed)?;
        Ok(id)
    }

    /// Removes a snapshot file (its data stays until prune).
    pub fn remove_snapshot(&self, id: &SnapshotId) -> Result<()> {
        self.inner.remove_file(FileKind::Snapshot, &id.to_hex())
    }
}

impl super::IndexedRepository {
    /// Resolves a slash-separated path inside a snapshot (as `ls` and `restore ID:PATH` take
    /// it, e.g. `/home/ann/Photos/2021`) to its node. `/` or empty is the root, returned as a
    /// synthetic directory node.
    pub fn find_path(&self, snapshot: &Snapshot, path: &str) -> Result<Node> {
        let mut node = root_node(snapshot.tree);
        for component in path.split('/').filter(|c| !c.is_empty() && *c != ".") {
            let not_found = || Error::PathNotInSnapshot {
                path: path.to_string(),
                snapshot: snapshot.time.to_rfc3339(),
            };
            if let Some(problem) = crate::format::tree::name_problem(component.as_bytes()) {
                // `..` would lead out of the folder asked for; no writer stores such a name.
                return Err(Error::InvalidArgument(format!(
                    "'{path}' is not a path inside a snapshot: '{component}' ({problem})"
                )));
            }
            let subtree = match (node.kind, node.subtree) {
                (NodeKind::Dir, Some(id)) => id,
                _ => return Err(not_found()),
            };
            let tree = self.read_tree(&subtree)?;
            node = tree
                .get(component.as_bytes())
                .cloned()
                .ok_or_else(not_found)?;
        }
        Ok(node)
    }
}

/// A directory node standing for a snapshot's root tree.
pub(crate) fn root_node(tree: BlobId) -> Node {
    Node {
        name: b"/".to_vec(),
        kind: NodeKind::Dir,
        mode: 0o40755,
        uid: 0,
        gid: 0,
        size: 0,
        mtime: Default::default(),
        ctime: Default::default(),
        inode: 0,
        device: 0,
        content: vec![],
        subtree: Some(tree),
        link_target: None,
        media: None,
    }
}
