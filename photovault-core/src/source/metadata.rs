//! File system metadata to tree nodes, and the "is this file unchanged?" test.

use std::fs::Metadata;
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use crate::format::tree::{Node, NodeKind, Timestamp};

/// A node for `name` from its `lstat` metadata, without content. `Err` names the file
/// types that are not backed up (devices, FIFOs, sockets).
pub fn node_from_metadata(name: Vec<u8>, meta: &Metadata) -> Result<Node, &'static str> {
    let ft = meta.file_type();
    let kind = if ft.is_file() {
        NodeKind::File
    } else if ft.is_dir() {
        NodeKind::Dir
    } else if ft.is_symlink() {
        NodeKind::Symlink
    } else if ft.is_block_device() || ft.is_char_device() {
        return Err("device files are not backed up");
    } else if ft.is_fifo() {
        return Err("FIFOs are not backed up");
    } else {
        return Err("sockets and other special files are not backed up");
    };
    Ok(Node {
        name,
        kind,
        mode: meta.mode(),
        uid: meta.uid(),
        gid: meta.gid(),
        size: if kind == NodeKind::File {
            meta.size()
        } else {
            0
        },
        mtime: timestamp(meta.mtime(), meta.mtime_nsec()),
        ctime: timestamp(meta.ctime(), meta.ctime_nsec()),
        inode: meta.ino(),
        device: meta.dev(),
        content: Vec::new(),
        subtree: None,
        link_target: None,
        media: None,
    })
}

/// A [`Timestamp`] from `st_*time` and `st_*time_nsec`.
pub fn timestamp(secs: i64, nsec: i64) -> Timestamp {
    Timestamp {
        secs,
        nanos: nsec.clamp(0, 999_999_999) as u32,
    }
}

/// Whether a file whose current metadata is `now` is the same file, unmodified, as `before`
/// in the parent snapshot: same kind, size, mtime, ctime and inode.
pub fn unchanged_since(before: &Node, now: &Node) -> bool {
    before.kind == NodeKind::File
        && now.kind == NodeKind::File
        && before.size == now.size
        && before.mtime == now.mtime
        && before.ctime == now.ctime
        && before.inode == now.inode
}
