//! Listing a snapshot's content without restoring it.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use crate::error::Result;
use crate::format::snapshot::Snapshot;
use crate::format::tree::{Node, NodeKind};
use crate::repository::Repository;

/// One listed entry: its path inside the snapshot and its node (metadata, media info).
#[derive(Debug, Clone)]
pub struct LsEntry {
    /// Absolute path inside the snapshot, e.g. `/home/ann/Photos/a.jpg`.
    pub path: PathBuf,
    /// The entry.
    pub node: Node,
}

impl Repository {
    /// Calls `each` for every entry below `path` (empty or `/`: the whole snapshot), depth
    /// first, in name order. Entries with unsafe names are listed as they are; it is restore
    /// that refuses them.
    pub fn ls(&self, snapshot: &Snapshot, path: &str, each: &mut dyn FnMut(LsEntry)) -> Result<()> {
        let start = self.find_path(snapshot, path)?;
        let base = PathBuf::from("/").join(path.trim_matches('/'));
        match (start.kind, start.subtree) {
            (NodeKind::Dir, Some(tree)) => self.ls_tree(&tree, &base, each),
            _ => {
                each(LsEntry {
                    path: base,
                    node: start,
                });
                Ok(())
            }
        }
    }

    fn ls_tree(
        &self,
        tree: &crate::BlobId,
        at: &std::path::Path,
        each: &mut dyn FnMut(LsEntry),
    ) -> Result<()> {
        let tree = self.read_tree(tree)?;
        for node in tree.nodes {
            let path = at.join(OsStr::from_bytes(&node.name));
            let subtree = if node.kind == NodeKind::Dir {
                node.subtree
            } else {
                None
            };
            each(LsEntry {
                path: path.clone(),
                node,
            });
            if let Some(id) = subtree {
                self.ls_tree(&id, &path, each)?;
            }
        }
        Ok(())
    }
}
