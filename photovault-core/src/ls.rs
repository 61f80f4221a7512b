//! Listing a snapshot's content without restoring it.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::depth::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::format::snapshot::Snapshot;
use crate::format::tree::{Node, NodeKind};
use crate::id::BlobId;
use crate::repository::IndexedRepository;

/// One listed entry: its path inside the snapshot and its node (metadata, media info).
#[derive(Debug, Clone)]
pub struct LsEntry {
    /// Absolute path inside the snapshot, e.g. `/home/ann/Photos/a.jpg`.
    pub path: PathBuf,
    /// The entry.
    pub node: Node,
}

impl IndexedRepository {
    /// Calls `each` for every entry below `path` (empty or `/`: the whole snapshot), depth
    /// first, in name order. An entry whose name is not a safe path component (empty, `.`,
    /// `..`, holding `/` or NUL: [`Node::name_problem`] says which) is listed, under its
    /// name with `/` shown as `∕` and NUL as `␀` so that it never reads as more than one
    /// component, and a folder of that kind is not entered: restore refuses it.
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

    /// Lists below a folder's tree, depth first, with an explicit stack (a hostile
    /// repository may nest folders far deeper than a thread's stack would allow). Folders
    /// deeper than [`MAX_DEPTH`] are listed but not entered; the listing then ends
    /// with [`Error::TooDeep`] for the first of them.
    fn ls_tree(&self, tree: &BlobId, at: &Path, each: &mut dyn FnMut(LsEntry)) -> Result<()> {
        let mut too_deep: Option<PathBuf> = None;
        let mut stack: Vec<(std::vec::IntoIter<Node>, PathBuf)> =
            vec![(self.read_tree(tree)?.nodes.into_iter(), at.to_path_buf())];
        while let Some((nodes, dir)) = stack.last_mut() {
            let Some(node) = nodes.next() else {
                stack.pop();
                continue;
            };
            let unsafe_name = node.name_problem().is_some();
            let path = child_path(dir, &node);
            let subtree = match (node.kind, node.subtree) {
                (NodeKind::Dir, Some(id)) if !unsafe_name => Some(id),
                _ => None,
            };
            each(LsEntry {
                path: path.clone(),
                node,
            });
            if let Some(id) = subtree {
                if stack.len() >= MAX_DEPTH {
                    too_deep.get_or_insert(path);
                    continue;
                }
                stack.push((self.read_tree(&id)?.nodes.into_iter(), path));
            }
        }
        match too_deep {
            Some(path) => Err(Error::TooDeep {
                path: path.display().to_string(),
            }),
            None => Ok(()),
        }
    }
}

/// Where `node` is listed inside the folder at `dir`: its name as one path component, with
/// an unsafe name's `/` shown as `∕` and NUL as `␀` so that it never reads as more than one
/// (ls, diff, find and dump name entries the same way).
pub(crate) fn child_path(dir: &Path, node: &Node) -> PathBuf {
    if node.name_problem().is_some() {
        let shown = node
            .display_name()
            .replace('/', "\u{2215}")
            .replace('\0', "\u{2400}");
        dir.join(shown)
    } else {
        dir.join(OsStr::from_bytes(&node.name))
    }
}
