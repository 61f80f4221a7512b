//! Hard links: one file with several names is restored as one file with several names.
//!
//! A snapshot records every name of a hard-linked file as its own node, all with the
//! device and inode the file had (SPEC §14.2). Restore first counts, below the node it
//! starts at, the file nodes of each (device, inode), each distinct folder once — 16 bytes
//! per file in one sorted array, dropped once the groups of two or more are known. The first name of a group met
//! is written as usual; every later name whose node has the same size and content is
//! linked to it once the written files are complete. A later name whose content differs
//! (an inode reused while the backup ran) is not a link and is written on its own, and so
//! is every name of a group whose first file could not be written.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::depth::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::format::tree::{Node, NodeKind};
use crate::id::BlobId;
use crate::repository::IndexedRepository;

/// (device, inode) of a file node.
type Key = (u64, u64);

/// The hard-link groups of one restore and the first name written of each.
#[derive(Default)]
pub(super) struct LinkGroups {
    /// Keys shared by two or more file nodes below the start.
    shared: HashSet<Key>,
    /// The first name of each group met, with the content it was written with.
    first: HashMap<Key, (PathBuf, u64, Vec<BlobId>)>,
}

/// A later name of a group: linked to `first` once it is written.
pub(super) struct LinkJob {
    pub(super) path: PathBuf,
    pub(super) node: Node,
    pub(super) first: PathBuf,
}

impl LinkGroups {
    /// Counts the file nodes below `start` by (device, inode), reading each distinct tree
    /// once: a folder whose tree appears at several places (as in a forged snapshot whose
    /// trees expand to billions of paths) is counted once, so its files are not taken for
    /// links of themselves, and the walk costs what the snapshot stores, not what it
    /// expands to. Unreadable folders are skipped here (the restore reports them);
    /// `Err(Interrupted)` when `cancelled` says so.
    pub(super) fn find(
        repo: &IndexedRepository,
        start: &Node,
        cancelled: &dyn Fn() -> bool,
    ) -> Result<LinkGroups> {
        let mut keys: Vec<Key> = Vec::new();
        let mut seen: HashSet<BlobId> = HashSet::new();
        let mut pending: Vec<(BlobId, usize)> = Vec::new();
        let mut visit = |node: &Node, depth: usize, pending: &mut Vec<(BlobId, usize)>| match (
            node.kind,
            node.subtree,
        ) {
            (NodeKind::File, _) if node.inode != 0 => keys.push((node.device, node.inode)),
            (NodeKind::Dir, Some(sub)) if depth < MAX_DEPTH && seen.insert(sub) => {
                pending.push((sub, depth + 1))
            }
            _ => {}
        };
        visit(start, 0, &mut pending);
        while let Some((id, depth)) = pending.pop() {
            if cancelled() {
                return Err(Error::Interrupted);
            }
            if let Ok(tree) = repo.read_tree(&id) {
                for node in &tree.nodes {
                    visit(node, depth, &mut pending);
                }
            }
        }
        keys.sort_unstable();
        let shared = keys
            .windows(2)
            .filter(|pair| pair[0] == pair[1])
            .map(|pair| pair[0])
            .collect();
        Ok(LinkGroups {
            shared,
            first: HashMap::new(),
        })
    }

    /// For a file about to be restored at `path`: the first name of its group when it is
    /// a later name with the same content (then it is linked, not written); otherwise it is
    /// recorded as the first name if it is in a group, and written.
    pub(super) fn link_to(&mut self, path: &Path, node: &Node) -> Option<PathBuf> {
        let key = (node.device, node.inode);
        if node.inode == 0 || !self.shared.contains(&key) {
            return None;
        }
        match self.first.get(&key) {
            Some((first, size, content)) if *size == node.size && *content == node.content => {
                Some(first.clone())
            }
            Some(_) => None,
            None => {
                self.first
                    .insert(key, (path.to_path_buf(), node.size, node.content.clone()));
                None
            }
        }
    }
}

/// Makes `path` another name of the complete file `first`: linked under a temporary name
/// in `path`'s folder, then renamed over `path`, so that `path` is never half there. Fails
/// when `first` is not a regular file of `node.size` bytes (it could not be written).
pub(super) fn link(first: &Path, path: &Path, node: &Node) -> io::Result<()> {
    let meta = fs::symlink_metadata(first)?;
    if !meta.is_file() || meta.len() != node.size {
        return Err(io::Error::other(
            "the first name of the hard link was not restored",
        ));
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut suffix = [0u8; 6];
    crate::crypto::random_bytes(&mut suffix);
    let temp = dir.join(format!(".pvault-{}.part", hex::encode(suffix)));
    // link(2) never follows `first` if it is a symlink, and fails if `temp` exists.
    fs::hard_link(first, &temp)?;
    fs::rename(&temp, path).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

/// Whether `path` already is another name of `first`.
pub(super) fn already_linked(first: &Path, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::symlink_metadata(first), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.is_file() && a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}
