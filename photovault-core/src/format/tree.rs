//! Trees: one blob per directory, listing its entries.
//!
//! `TreeBlob = version u8 = 1 || bincode(Tree)` (see [`super::bincode_config`]). Nodes are
//! sorted by name bytes. Decoding checks structure only; whether a node's name is safe to
//! use on a file system is asked per node ([`Node::name_problem`]), so that restore, ls and
//! mount can skip and report one bad entry instead of refusing the whole directory.

use serde::{Deserialize, Serialize};

use crate::error::Damage;
use crate::id::BlobId;

/// The newest tree version this build reads and writes.
pub const TREE_VERSION: u8 = 1;

/// A directory's entries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tree {
    /// Entries, sorted by name bytes, names unique.
    pub nodes: Vec<Node>,
}

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    /// A regular file; `content` lists its chunks.
    File,
    /// A directory; `subtree` is its tree.
    Dir,
    /// A symbolic link; `link_target` is where it points.
    Symlink,
}

/// A point in time as seconds and nanoseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z (may be negative).
    pub secs: i64,
    /// Nanoseconds within that second, below 1e9.
    pub nanos: u32,
}

/// One directory entry with its metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// File name bytes (Unix names need not be UTF-8).
    pub name: Vec<u8>,
    /// File, directory or symlink.
    pub kind: NodeKind,
    /// Permission bits and file type bits as in `st_mode`.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes (files: content length; others: 0).
    pub size: u64,
    /// Last modification.
    pub mtime: Timestamp,
    /// Last status change: with `inode` and `size`, how backup knows a file is unchanged.
    pub ctime: Timestamp,
    /// Inode number at backup time.
    pub inode: u64,
    /// Device number at backup time.
    pub device: u64,
    /// Chunks of a file, in order.
    pub content: Vec<BlobId>,
    /// Tree of a directory.
    pub subtree: Option<BlobId>,
    /// Target of a symlink (raw bytes).
    pub link_target: Option<Vec<u8>>,
    /// Photo and video metadata read at backup time.
    pub media: Option<MediaInfo>,
}

/// What a photo or video says about itself (from EXIF or the container).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaInfo {
    /// Capture time as the camera recorded it, `YYYY-MM-DDTHH:MM:SS` (local to the camera),
    /// with `±HH:MM` appended when the file records its offset.
    pub taken: Option<String>,
    /// Camera maker.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
}

impl Tree {
    /// The stored plaintext: version byte then bincode.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![TREE_VERSION];
        bincode::serde::encode_into_std_write(self, &mut out, super::bincode_config())
            .expect("writing to a Vec cannot fail");
        out
    }

    /// Decodes a tree blob's plaintext.
    pub fn decode(bytes: &[u8]) -> Result<Self, Damage> {
        let (&version, body) = bytes.split_first().ok_or(Damage::Truncated("tree"))?;
        if version != TREE_VERSION {
            return Err(Damage::Malformed(format!(
                "tree version {version} (this photovault reads {TREE_VERSION})"
            )));
        }
        let (tree, used) =
            decode_body(body).map_err(|e| Damage::Malformed(format!("tree: {e}")))?;
        if used != body.len() {
            return Err(Damage::Malformed(format!(
                "{} trailing bytes after tree",
                body.len() - used
            )));
        }
        Ok(tree)
    }

    /// Finds an entry by name.
    pub fn get(&self, name: &[u8]) -> Option<&Node> {
        self.nodes
            .binary_search_by(|n| n.name.as_slice().cmp(name))
            .ok()
            .map(|i| &self.nodes[i])
    }
}

/// Decodes the bincode part of a tree with a byte limit fitted to its size.
///
/// bincode allocates a string's announced length (up to its limit) before reading it, so
/// with one fixed limit of 1 GiB a forged length in a tree of a few bytes makes it allocate
/// up to 1 GiB. Only strings count against the limit, and all of a tree's strings lie in its
/// bytes, so a limit of at least `body.len()` never refuses a valid tree; the smallest power
/// of 4 from 64 KiB that is not below it keeps a forged length to 4 times the input.
fn decode_body(body: &[u8]) -> Result<(Tree, usize), bincode::error::DecodeError> {
    fn limited<const LIMIT: usize>(
        body: &[u8],
    ) -> Result<(Tree, usize), bincode::error::DecodeError> {
        bincode::serde::decode_from_slice(body, bincode::config::standard().with_limit::<LIMIT>())
    }
    match body.len() {
        0..=0x1_0000 => limited::<0x1_0000>(body),
        0x1_0001..=0x4_0000 => limited::<0x4_0000>(body),
        0x4_0001..=0x10_0000 => limited::<0x10_0000>(body),
        0x10_0001..=0x40_0000 => limited::<0x40_0000>(body),
        0x40_0001..=0x100_0000 => limited::<0x100_0000>(body),
        0x100_0001..=0x400_0000 => limited::<0x400_0000>(body),
        0x400_0001..=0x1000_0000 => limited::<0x1000_0000>(body),
        _ => bincode::serde::decode_from_slice(body, super::bincode_config()),
    }
}

impl Node {
    /// Why this node's name must not be used as a path component, if it must not: empty,
    /// `.`, `..`, or containing `/` or NUL.
    pub fn name_problem(&self) -> Option<&'static str> {
        name_problem(&self.name)
    }

    /// The name for display (lossy UTF-8).
    pub fn display_name(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }
}

/// Why `name` is not a safe single path component, if it is not.
pub fn name_problem(name: &[u8]) -> Option<&'static str> {
    match name {
        [] => Some("empty name"),
        b"." | b".." => Some("name is . or .."),
        _ if name.contains(&b'/') => Some("name contains '/'"),
        _ if name.contains(&0) => Some("name contains NUL"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample_node(name: &str) -> Node {
        Node {
            name: name.as_bytes().to_vec(),
            kind: NodeKind::File,
            mode: 0o100644,
            uid: 1000,
            gid: 1000,
            size: 3,
            mtime: Timestamp {
                secs: 1_600_000_000,
                nanos: 5,
            },
            ctime: Timestamp {
                secs: 1_600_000_001,
                nanos: 0,
            },
            inode: 42,
            device: 7,
            content: vec![BlobId([3; 32])],
            subtree: None,
            link_target: None,
            media: Some(MediaInfo {
                taken: Some("2021-05-03T14:22:01".into()),
                make: None,
                model: None,
            }),
        }
    }

    #[test]
    fn tree_round_trip() {
        let tree = Tree {
            nodes: vec![sample_node("a.jpg"), sample_node("b.jpg")],
        };
        let bytes = tree.encode();
        assert_eq!(bytes[0], TREE_VERSION);
        assert_eq!(Tree::decode(&bytes).unwrap(), tree);
        assert!(tree.get(b"b.jpg").is_some());
        assert!(tree.get(b"c.jpg").is_none());
    }

    #[test]
    fn newer_versions_and_garbage_are_refused() {
        let mut bytes = Tree::default().encode();
        bytes[0] = 2;
        assert!(Tree::decode(&bytes).is_err());
        assert!(Tree::decode(&[1, 200, 200, 200]).is_err());
        assert!(Tree::decode(&[]).is_err());
    }

    #[test]
    fn unsafe_names_are_named() {
        for bad in ["", ".", "..", "a/b", "/etc/x", "a\0b"] {
            assert!(name_problem(bad.as_bytes()).is_some(), "{bad:?}");
        }
        assert!(name_problem("ok name ☀.jpg".as_bytes()).is_none());
        assert!(name_problem(b"\xff\xfe").is_none());
    }
}
