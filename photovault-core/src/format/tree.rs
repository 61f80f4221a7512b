//! Trees: one blob per directory, listing its entries.
//!
//! `TreeBlob = version u8 = 1 || bincode(Tree)` (bincode 2 `standard()`, SPEC §10.2). Nodes are
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

    /// Encodes and proves that the encoding reads back as this tree: what backup and repair
    /// store, so that no tree is ever written that a reader would refuse.
    pub fn encode_verified(&self) -> Result<Vec<u8>, Damage> {
        let bytes = self.encode();
        match Tree::decode(&bytes) {
            Ok(read_back) if read_back == *self => Ok(bytes),
            Ok(_) => Err(Damage::Malformed(crate::Malformed::TreeRoundTrip)),
            Err(damage) => Err(damage),
        }
    }

    /// Decodes a tree blob's plaintext.
    pub fn decode(bytes: &[u8]) -> Result<Self, Damage> {
        let (&version, body) = bytes.split_first().ok_or(Damage::Truncated("tree"))?;
        if version != TREE_VERSION {
            return Err(Damage::Malformed(crate::Malformed::TreeVersion(version)));
        }
        let (tree, used) = decode_body(body)
            .map_err(|e| Damage::Malformed(crate::Malformed::TreeBody(e.to_string())))?;
        if used != body.len() {
            return Err(Damage::Malformed(crate::Malformed::TreeTrailing(
                body.len() - used,
            )));
        }
        for node in &tree.nodes {
            for (what, t) in [("mtime", node.mtime), ("ctime", node.ctime)] {
                if t.nanos >= 1_000_000_000 {
                    return Err(Damage::Malformed(crate::Malformed::Nanoseconds {
                        name: node.display_name().to_string(),
                        field: what,
                        nanos: t.nanos,
                    }));
                }
            }
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

/// How many bytes of decode budget bincode 2 may charge for one byte of input.
///
/// bincode 2 charges every decoded primitive at its in-memory width, whatever its encoded
/// width: a variable-length `u64` of one byte costs 8, a unit variant's one-byte tag costs 4,
/// a string costs its length plus 8 for the length prefix. Nothing a tree holds costs more
/// than 8 per byte it occupies (there are no `u128`s), so a budget of 8 times the input can
/// never refuse a tree the encoder wrote.
const BUDGET_PER_INPUT_BYTE: usize = 8;

/// Decodes the bincode part of a tree with a decode budget fitted to its size.
///
/// bincode allocates a string's announced length (up to its budget) before reading it, so
/// with one fixed budget of 1 GiB a forged length in a tree of a few bytes makes it allocate
/// up to 1 GiB. The budget is the smallest power of two from 64 KiB that is at least
/// [`BUDGET_PER_INPUT_BYTE`] times the input: every tree the encoder writes fits (see that
/// constant), and a forged length allocates at most 16 times the input.
fn decode_body(body: &[u8]) -> Result<(Tree, usize), bincode::error::DecodeError> {
    fn limited<const LIMIT: usize>(
        body: &[u8],
    ) -> Result<(Tree, usize), bincode::error::DecodeError> {
        bincode::serde::decode_from_slice(body, bincode::config::standard().with_limit::<LIMIT>())
    }
    let budget = body
        .len()
        .saturating_mul(BUDGET_PER_INPUT_BYTE)
        .max(1 << 16)
        .checked_next_power_of_two()
        .unwrap_or(usize::MAX);
    macro_rules! by_budget {
        ($($bits:literal)*) => {
            match budget.trailing_zeros() {
                $($bits => limited::<{ 1usize << $bits }>(body),)*
                _ => bincode::serde::decode_from_slice(body, bincode::config::standard()),
            }
        };
    }
    by_budget!(16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35)
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

    /// The smallest node there is: every number encodes in one byte, so bincode charges the
    /// most decode budget per input byte.
    fn tiny_node(i: usize) -> Node {
        Node {
            name: format!("{i:x}").into_bytes(),
            kind: NodeKind::File,
            mode: 0,
            uid: 0,
            gid: 0,
            size: 0,
            mtime: Timestamp::default(),
            ctime: Timestamp::default(),
            inode: 0,
            device: 0,
            content: Vec::new(),
            subtree: None,
            link_target: None,
            media: None,
        }
    }

    /// A large node: a long name, many chunks, a long link target and media strings.
    fn large_node(i: usize) -> Node {
        Node {
            name: format!("{i:08} {}", "long name ".repeat(24)).into_bytes(),
            kind: NodeKind::Symlink,
            mode: u32::MAX,
            uid: u32::MAX,
            gid: u32::MAX,
            size: u64::MAX,
            mtime: Timestamp {
                secs: i64::MIN,
                nanos: 999_999_999,
            },
            ctime: Timestamp {
                secs: i64::MAX,
                nanos: 999_999_999,
            },
            inode: u64::MAX,
            device: u64::MAX,
            content: vec![BlobId([0xAB; 32]); 16],
            subtree: Some(BlobId([0xCD; 32])),
            link_target: Some(vec![b'x'; 4096]),
            media: Some(MediaInfo {
                taken: Some("2021-05-03T14:22:01+02:00".into()),
                make: Some("make ".repeat(40)),
                model: Some("model ".repeat(40)),
            }),
        }
    }

    fn assert_round_trip(tree: &Tree) {
        let bytes = tree.encode();
        match Tree::decode(&bytes) {
            Ok(read) => assert!(
                read == *tree,
                "{} nodes read back differently",
                tree.nodes.len()
            ),
            Err(e) => panic!(
                "{} nodes ({} bytes) do not read back: {e}",
                tree.nodes.len(),
                bytes.len()
            ),
        }
        assert_eq!(tree.encode_verified().unwrap(), bytes);
    }

    #[test]
    fn trees_of_every_size_up_to_5000_entries_read_back() {
        // Folders of 560-800 and 2,500-3,000 photos were refused before the decode budget
        // counted bincode's in-memory charges: every size up to 1,100 is tried, then every
        // seventh, which crosses each power-of-two budget boundary several times.
        let mut tiny = Tree::default();
        let mut typical = Tree::default();
        for n in 0..=5000 {
            if n <= 1100 || n % 7 == 0 {
                assert_round_trip(&tiny);
                assert_round_trip(&typical);
            }
            tiny.nodes.push(tiny_node(n));
            typical.nodes.push(sample_node(&format!("IMG_{n:05}.JPG")));
        }
    }

    #[test]
    fn trees_of_200000_entries_read_back() {
        assert_round_trip(&Tree {
            nodes: (0..200_000).map(tiny_node).collect(),
        });
        assert_round_trip(&Tree {
            nodes: (0..200_000)
                .map(|i| sample_node(&format!("IMG_{i:06}.JPG")))
                .collect(),
        });
        assert_round_trip(&Tree {
            nodes: (0..2_000).map(large_node).collect(),
        });
    }

    #[test]
    fn a_forged_length_cannot_allocate_more_than_16_times_the_input() {
        // One node whose name announces 1 GiB: refused by the budget, not allocated.
        let mut bytes = Tree {
            nodes: vec![tiny_node(1)],
        }
        .encode();
        let name_len_at = 2; // version, node count, then the name's length
        assert_eq!(bytes[name_len_at], 1);
        bytes.splice(name_len_at..=name_len_at, [0xFC, 0, 0, 0, 0x40]);
        assert!(Tree::decode(&bytes).is_err());
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
