//! How many names each hard-linked file of a snapshot has.
//!
//! A snapshot records every name of a hard-linked file as its own node with the device
//! and inode the file had (SPEC §14.2), so the names of one file are the file nodes that
//! share those two numbers. Counting them needs the whole snapshot: one walk over its
//! distinct folders (16 bytes per file while it runs), keeping only the files with two
//! names or more. The mount does it once per snapshot, the first time it lists one of its folders.

use std::collections::HashMap;

use super::Browser;
use crate::depth::MAX_DEPTH;
use crate::format::tree::NodeKind;
use crate::id::BlobId;

/// (device, inode) → number of names, for files with two or more.
pub type LinkCounts = HashMap<(u64, u64), u32>;

impl Browser {
    /// The hard-linked files of the snapshot whose root tree is `root`, with their number
    /// of names in it. Folders that cannot be read are left out (listing them reports it).
    pub fn link_counts(&self, root: &BlobId) -> LinkCounts {
        let mut keys: Vec<(u64, u64)> = Vec::new();
        // Each distinct folder once: a forged snapshot's trees may expand to billions of
        // paths, and a folder shown at two places holds no links of itself.
        let mut seen = std::collections::HashSet::from([*root]);
        let mut pending = vec![(*root, 0usize)];
        while let Some((tree, depth)) = pending.pop() {
            let Ok(folder) = self.list(&tree) else {
                continue;
            };
            for node in folder.entries {
                match (node.kind, node.subtree) {
                    (NodeKind::File, _) if node.inode != 0 => keys.push((node.device, node.inode)),
                    (NodeKind::Dir, Some(sub)) if depth < MAX_DEPTH && seen.insert(sub) => {
                        pending.push((sub, depth + 1))
                    }
                    _ => {}
                }
            }
        }
        keys.sort_unstable();
        let mut counts = LinkCounts::new();
        for run in keys.chunk_by(|a, b| a == b) {
            if run.len() > 1 {
                counts.insert(run[0], run.len() as u32);
            }
        }
        counts
    }
}
