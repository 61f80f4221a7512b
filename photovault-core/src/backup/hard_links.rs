//! Hard links met during one backup: read once, stored once.
//!
//! Files that are hard links of one another are one file with several names. Their content
//! would deduplicate anyway, but each name would still be read in full. The first name read
//! records its node here (only files whose link count is above one, so the map grows with
//! the hard links of the source, not its size), and every other name whose metadata shows
//! the same unmodified inode takes that content. A snapshot records each name as a node
//! with the shared device and inode, which is how restore and the mount know them as one
//! file (SPEC §14.2).

use std::collections::HashMap;
use std::sync::Mutex;

use crate::format::tree::{Node, NodeKind};

/// Nodes of multiply-linked files read by this backup, by (device, inode).
#[derive(Default)]
pub(super) struct HardLinks {
    read: Mutex<HashMap<(u64, u64), Node>>,
}

impl HardLinks {
    /// The node of another name of the file `now` describes, read by this backup, if the
    /// file has not changed since (same size, mtime and ctime).
    pub(super) fn already_read(&self, now: &Node, links: u64) -> Option<Node> {
        if links < 2 || now.kind != NodeKind::File || now.inode == 0 {
            return None;
        }
        let read = self.read.lock().expect("hard links");
        read.get(&(now.device, now.inode))
            .filter(|old| {
                old.size == now.size && old.mtime == now.mtime && old.ctime == now.ctime
            })
            .cloned()
    }

    /// Records a multiply-linked file as read.
    pub(super) fn record(&self, node: &Node, links: u64) {
        if links < 2 || node.inode == 0 {
            return;
        }
        let mut kept = node.clone();
        kept.name = Vec::new();
        self.read
            .lock()
            .expect("hard links")
            .insert((node.device, node.inode), kept);
    }
}
