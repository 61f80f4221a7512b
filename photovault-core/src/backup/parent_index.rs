//! Finding a file in the parent snapshot by what it is, not where it is.
//!
//! Reorganising a library (photos moved into date folders, an album renamed) leaves every
//! file's inode, size and modification time as they were; only its path changes. Looked up
//! by path, such a file is new and would be read again in full, to store nothing. This index
//! answers "which node of the parent snapshot had this device and inode?", so that a moved
//! file is recognised as unchanged without a single byte read (SPEC §14.3 M1-M3), and a
//! moved folder finds its old tree, so that its files are matched by name again.
//!
//! It is built only when a backup meets an entry that its path does not explain, once, by
//! walking the parent snapshot's trees (each distinct tree once). A backup in which nothing
//! moved never builds it. Memory: 24 bytes per file and folder of the parent snapshot, in
//! one sorted array (24 MB for a million files), plus the ids of its distinct trees; nodes
//! are not kept, they are read again from their tree (a few recent trees are cached) when a
//! candidate is found.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use crate::depth::MAX_DEPTH;
use crate::format::tree::{Node, NodeKind, Tree};
use crate::id::BlobId;
use crate::repository::IndexedRepository;

/// How many trees lookups keep decoded: moved files arrive folder by folder.
const RECENT_TREES: usize = 8;

/// Whether `now`, a file found at a path where the parent snapshot did not have it, is the
/// parent's file `old`, unmodified (SPEC §14.3 M2, M3): same device, inode, size and mtime,
/// and the same ctime or a later one (a rename sets the ctime on most file systems).
pub(super) fn same_file_moved(old: &Node, now: &Node) -> bool {
    old.kind == NodeKind::File
        && now.kind == NodeKind::File
        && old.device == now.device
        && old.inode == now.inode
        && old.size == now.size
        && old.mtime == now.mtime
        && old.ctime <= now.ctime
}

/// One file or folder of the parent snapshot: where its node is, by device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    device: u64,
    inode: u64,
    /// Position of its tree in [`Built::trees`].
    tree: u32,
    /// Position of its node in that tree.
    node: u32,
}

struct Built {
    trees: Vec<BlobId>,
    /// Sorted by (device, inode).
    entries: Vec<Entry>,
}

/// The parent snapshot's files and folders by (device, inode), built on first use.
pub(super) struct ParentIndex<'r> {
    repo: &'r IndexedRepository,
    root: Option<BlobId>,
    /// `None` inside: the parent could not be walked whole; then nothing is found (files
    /// are read again, which is always correct).
    built: OnceLock<Option<Built>>,
    recent: Mutex<Vec<(BlobId, Arc<Tree>)>>,
}

impl<'r> ParentIndex<'r> {
    /// An index over the snapshot whose root tree is `root` (none: no parent).
    pub(super) fn new(repo: &'r IndexedRepository, root: Option<BlobId>) -> Self {
        ParentIndex {
            repo,
            root,
            built: OnceLock::new(),
            recent: Mutex::new(Vec::new()),
        }
    }

    /// Whether it was built (for tests and measurements: a backup where nothing moved
    /// should not build it).
    #[cfg(test)]
    pub(super) fn was_built(&self) -> bool {
        self.built.get().is_some()
    }

    /// The parent node of a file that is not where the parent snapshot had it, if it is the
    /// same unmodified file (SPEC §14.3 M2, M3): same device, inode, size and mtime, and
    /// either the same ctime, or a later ctime (a rename sets it on most file systems).
    pub(super) fn moved_file(&self, now: &Node) -> Option<Node> {
        if now.kind != NodeKind::File || now.inode == 0 {
            return None;
        }
        self.candidates(now)
            .into_iter()
            .filter(|old| same_file_moved(old, now))
            // An exact ctime match first: it is the strongest evidence.
            .min_by_key(|old| old.ctime != now.ctime)
    }

    /// The tree a moved or renamed folder had in the parent snapshot: that of the folder
    /// with the same device and inode. Only a guide for matching its entries by name, each
    /// of which is still checked in full, so an inode reused by another folder costs
    /// nothing but reading.
    pub(super) fn moved_dir(&self, now: &Node) -> Option<BlobId> {
        if now.kind != NodeKind::Dir || now.inode == 0 {
            return None;
        }
        self.candidates(now)
            .into_iter()
            .find(|old| old.kind == NodeKind::Dir)
            .and_then(|old| old.subtree)
    }

    /// Every parent node with `now`'s device and inode.
    fn candidates(&self, now: &Node) -> Vec<Node> {
        let Some(built) = self.built() else {
            return Vec::new();
        };
        let key = (now.device, now.inode);
        let start = built.entries.partition_point(|e| (e.device, e.inode) < key);
        built.entries[start..]
            .iter()
            .take_while(|e| (e.device, e.inode) == key)
            .filter_map(|e| {
                let tree = self.tree(&built.trees[e.tree as usize])?;
                tree.nodes.get(e.node as usize).cloned()
            })
            .collect()
    }

    fn built(&self) -> Option<&Built> {
        self.built
            .get_or_init(|| self.root.and_then(|root| self.walk(root)))
            .as_ref()
    }

    /// Walks every distinct tree of the parent once. `None` if any cannot be read or the
    /// snapshot is too large to number.
    fn walk(&self, root: BlobId) -> Option<Built> {
        let mut trees = Vec::new();
        let mut entries = Vec::new();
        let mut seen = HashSet::new();
        let mut pending = vec![(root, 0usize)];
        seen.insert(root);
        while let Some((id, depth)) = pending.pop() {
            let tree = self.repo.read_tree(&id).ok()?;
            let position = u32::try_from(trees.len()).ok()?;
            trees.push(id);
            for (i, node) in tree.nodes.iter().enumerate() {
                if node.kind == NodeKind::Symlink {
                    continue;
                }
                entries.push(Entry {
                    device: node.device,
                    inode: node.inode,
                    tree: position,
                    node: u32::try_from(i).ok()?,
                });
                if let Some(sub) = node.subtree {
                    if depth < MAX_DEPTH && seen.insert(sub) {
                        pending.push((sub, depth + 1));
                    }
                }
            }
        }
        entries.sort_unstable();
        entries.shrink_to_fit();
        Some(Built { trees, entries })
    }

    fn tree(&self, id: &BlobId) -> Option<Arc<Tree>> {
        let mut recent = self.recent.lock().expect("recent trees");
        if let Some((_, tree)) = recent.iter().find(|(t, _)| t == id) {
            return Some(Arc::clone(tree));
        }
        drop(recent);
        let tree = Arc::new(self.repo.read_tree(id).ok()?);
        recent = self.recent.lock().expect("recent trees");
        if recent.len() == RECENT_TREES {
            recent.remove(0);
        }
        recent.push((*id, Arc::clone(&tree)));
        Some(tree)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_24_bytes_so_a_million_files_index_in_24_mb() {
        assert_eq!(std::mem::size_of::<Entry>(), 24);
    }
}
