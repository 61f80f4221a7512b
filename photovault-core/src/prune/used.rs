//! The blobs the snapshots use, in bounded memory.
//!
//! A repository of tens of millions of chunks cannot afford a set of 32-byte ids with a hash
//! table's overhead, so the set keeps each id's first 8 bytes, sorted: 8 bytes per blob.
//! Ids are MAC outputs, uniformly spread, so two blobs share a prefix only by rare accident;
//! when they do, the unused one counts as used and is kept. The set can only err towards
//! keeping data, never towards deleting it.
//!
//! The walk reads each tree once however many snapshots share it: an exact set of tree ids
//! (far fewer than chunks) says which trees were read.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::format::tree::Node;
use crate::id::{BlobId, SnapshotId};
use crate::repository::{IndexedRepository, SnapshotEntry};

/// How many trees are read in parallel at a time.
const TREE_BATCH: usize = 256;

/// Sorted 8-byte id prefixes of every blob the walked snapshots reference.
#[derive(Default)]
pub(crate) struct UsedBlobs {
    sorted: Vec<u64>,
    unsorted: Vec<u64>,
    /// Prefixes of the thumbnail ids of the files reached: kept where they exist, but
    /// optional (a file without a thumbnail is not missing anything), so apart.
    thumbnails: Vec<u64>,
    /// Trees already read (exact: skipping a tree by accident would lose its blobs).
    trees_read: HashSet<BlobId>,
}

fn prefix(id: &BlobId) -> u64 {
    u64::from_le_bytes(id.0[..8].try_into().expect("8 bytes"))
}

impl UsedBlobs {
    /// Adds every blob reachable from `snapshots` that was not reached before, and calls
    /// `on_blob` with each blob referenced by a tree read now (and each such tree).
    pub(crate) fn walk(
        &mut self,
        repo: &IndexedRepository,
        snapshots: &[SnapshotEntry],
        on_blob: &mut dyn FnMut(&BlobId),
    ) -> Result<()> {
        let roots: Vec<(BlobId, Option<SnapshotId>)> = snapshots
            .iter()
            .map(|s| (s.snapshot.tree, Some(s.id)))
            .collect();
        self.walk_roots(repo, &roots, Unreadable::Refuse, on_blob)
    }

    /// Like [`UsedBlobs::walk`], from root trees, each with the snapshot it belongs to (none
    /// for a snapshot not written yet); `unreadable` says what a tree that cannot be read
    /// does to the walk.
    pub(crate) fn walk_roots(
        &mut self,
        repo: &IndexedRepository,
        roots: &[(BlobId, Option<SnapshotId>)],
        unreadable: Unreadable,
        on_blob: &mut dyn FnMut(&BlobId),
    ) -> Result<()> {
        let mut to_read: Vec<(BlobId, usize)> = Vec::new();
        for (i, (tree, _)) in roots.iter().enumerate() {
            if self.trees_read.insert(*tree) {
                on_blob(tree);
                self.insert(tree);
                to_read.push((*tree, i));
            }
        }
        while !to_read.is_empty() {
            let batch: Vec<(BlobId, usize)> =
                to_read.split_off(to_read.len().saturating_sub(TREE_BATCH));
            let trees: Vec<(BlobId, usize, Result<Vec<Node>>)> = batch
                .into_par_iter()
                .map(|(id, i)| (id, i, repo.read_tree(&id).map(|t| t.nodes)))
                .collect();
            for (id, i, nodes) in trees {
                if nodes.is_err() && unreadable == Unreadable::Skip {
                    continue;
                }
                let nodes = nodes.map_err(|e| Error::PruneRefused {
                    reason: PruneBlocker::UnreadableTree {
                        snapshot: roots[i].1,
                        tree: id,
                        error: e.to_string(),
                    },
                })?;
                for node in nodes {
                    for blob in &node.content {
                        on_blob(blob);
                        self.insert(blob);
                    }
                    if !node.content.is_empty() {
                        // A file's thumbnail, if it has one, lives as long as its content
                        // (SPEC §16.6).
                        let thumbnail = repo.inner.key.thumbnail_id(&node.content);
                        self.thumbnails.push(prefix(&thumbnail));
                    }
                    if let Some(subtree) = node.subtree {
                        if self.trees_read.insert(subtree) {
                            on_blob(&subtree);
                            self.insert(&subtree);
                            to_read.push((subtree, i));
                        }
                    }
                }
            }
        }
        self.settle();
        Ok(())
    }

    fn insert(&mut self, id: &BlobId) {
        self.unsorted.push(prefix(id));
        if self.unsorted.len() >= (1 << 16).max(self.sorted.len()) {
            self.settle();
        }
    }

    /// Merges the unsorted tail into the sorted set.
    fn settle(&mut self) {
        self.thumbnails.sort_unstable();
        self.thumbnails.dedup();
        if self.unsorted.is_empty() {
            return;
        }
        self.sorted.append(&mut self.unsorted);
        self.sorted.sort_unstable();
        self.sorted.dedup();
        self.sorted.shrink_to_fit();
    }

    /// The position of `id` in the set, if it is (or seems, by its prefix) used. Valid after
    /// [`UsedBlobs::walk`].
    pub(crate) fn position(&self, id: &BlobId) -> Option<usize> {
        debug_assert!(self.unsorted.is_empty());
        self.sorted.binary_search(&prefix(id)).ok()
    }

    /// Whether a thumbnail is used: a walked file has the content it shows. Valid after
    /// [`UsedBlobs::walk`].
    pub(crate) fn keeps_thumbnail(&self, id: &BlobId) -> bool {
        self.thumbnails.binary_search(&prefix(id)).is_ok()
    }

    /// Whether the blob an index entry describes is used (or seems so, by its prefix).
    pub(crate) fn keeps(&self, entry: &crate::format::blob::BlobEntry) -> bool {
        match entry.kind {
            crate::format::blob::BlobKind::Thumbnail => self.keeps_thumbnail(&entry.id),
            _ => self.position(&entry.id).is_some(),
        }
    }

    /// How many distinct blobs are used (thumbnails apart).
    pub(crate) fn len(&self) -> usize {
        self.sorted.len()
    }
}

/// What a walk does at a tree it cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unreadable {
    /// Stops with [`PruneBlocker::UnreadableTree`]: what is below it is unknown.
    Refuse,
    /// Goes on without it (when looking for blobs to index again: the tree itself is one).
    Skip,
}

/// Why prune refuses to run: it cannot tell which data is still needed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PruneBlocker {
    /// A snapshot file cannot be read, so what it references is unknown.
    #[error("snapshot file {name} cannot be read ({error}); check the repository, and forget the snapshot if it is beyond repair")]
    UnreadableSnapshot {
        /// The snapshot file's name.
        name: String,
        /// Why it cannot be read.
        error: String,
    },
    /// A folder of a snapshot cannot be read, so what lies below it is unknown.
    #[error("tree {tree}{} cannot be read ({error}); check the repository and repair its snapshots", snapshot.map(|s| format!(" of snapshot {}", s.short())).unwrap_or_default())]
    UnreadableTree {
        /// The snapshot, if it is written already.
        snapshot: Option<SnapshotId>,
        /// The tree.
        tree: BlobId,
        /// Why it cannot be read.
        error: String,
    },
    /// Snapshots reference blobs that no index file lists.
    #[error("{count} blob(s) that snapshots reference are not in the index; repair the index (it may find them in packs no index lists), then check the repository")]
    MissingBlobs {
        /// How many.
        count: u64,
    },
    /// Index files list packs the storage does not have.
    #[error("{} pack(s) listed in the index are missing from the storage (first: {}); repair the index, then check the repository", packs.len(), packs.first().map(|p| p.short()).unwrap_or_default())]
    MissingPacks {
        /// The packs.
        packs: Vec<crate::id::PackId>,
    },
}
