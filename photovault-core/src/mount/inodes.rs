//! The inode table: every file and folder the kernel has been shown, by inode number.
//!
//! Inodes are only ever added: a folder's children get their numbers, all at once, when the
//! folder is first looked into, and keep them for the life of the mount. The table grows
//! with what was visited, never with the size of the repository.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use fuser::{FileAttr, FileType, INodeNo};

use crate::format::tree::{Node, NodeKind, Timestamp};
use crate::id::BlobId;

/// The root folder's inode number.
pub(super) const ROOT: u64 = 1;

/// What `stat` shows.
#[derive(Debug, Clone, Copy)]
pub(super) struct Meta {
    pub(super) kind: FileType,
    pub(super) perm: u16,
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) size: u64,
    pub(super) mtime: Timestamp,
    pub(super) ctime: Timestamp,
    /// Names of this file in its snapshot (hard links); 1 for everything else.
    pub(super) nlink: u32,
}

/// Who owns the folders the mount makes up: the user running it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Owner {
    pub(super) uid: u32,
    pub(super) gid: u32,
}

impl Meta {
    /// A snapshot entry's metadata, as restore would set it.
    pub(super) fn of_node(node: &Node) -> Meta {
        let (kind, size) = match node.kind {
            NodeKind::File => (FileType::RegularFile, node.size),
            NodeKind::Dir => (FileType::Directory, 0),
            NodeKind::Symlink => (
                FileType::Symlink,
                node.link_target.as_ref().map_or(0, |t| t.len() as u64),
            ),
        };
        Meta {
            kind,
            perm: (node.mode & 0o7777) as u16,
            uid: node.uid,
            gid: node.gid,
            size,
            mtime: node.mtime,
            ctime: node.ctime,
            nlink: 1,
        }
    }

    /// A folder the mount makes up: read-only, dated `time`.
    pub(super) fn virtual_dir(time: Timestamp, owner: Owner) -> Meta {
        Meta {
            kind: FileType::Directory,
            perm: 0o555,
            uid: owner.uid,
            gid: owner.gid,
            size: 0,
            mtime: time,
            ctime: time,
            nlink: 1,
        }
    }

    /// A symlink the mount makes up.
    pub(super) fn virtual_link(target: &[u8], time: Timestamp, owner: Owner) -> Meta {
        Meta {
            kind: FileType::Symlink,
            perm: 0o777,
            size: target.len() as u64,
            ..Meta::virtual_dir(time, owner)
        }
    }

    /// The attributes of inode `ino` with this metadata.
    pub(super) fn attr(&self, ino: u64) -> FileAttr {
        let mtime = system_time(self.mtime);
        FileAttr {
            ino: INodeNo(ino),
            size: self.size,
            blocks: self.size.div_ceil(512),
            atime: mtime,
            mtime,
            ctime: system_time(self.ctime),
            crtime: mtime,
            kind: self.kind,
            perm: self.perm,
            // 1 for folders too: "subfolder count unknown", so `find` never trusts it.
            nlink: self.nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            blksize: 1 << 20,
            flags: 0,
        }
    }
}

/// The time as the kernel takes it; a time the system cannot represent (a hostile
/// snapshot's year 292 billion) shows as the epoch rather than crashing the mount.
fn system_time(t: Timestamp) -> SystemTime {
    let nanos = Duration::from_nanos(t.nanos.min(999_999_999) as u64);
    let whole = if t.secs >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(t.secs as u64))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(t.secs.unsigned_abs()))
    };
    whole
        .and_then(|w| w.checked_add(nanos))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// One file, folder or symlink.
pub(super) struct Inode {
    /// The folder it is in (the root is its own parent).
    pub(super) parent: u64,
    /// Its name there.
    pub(super) name: Vec<u8>,
    pub(super) meta: Meta,
    pub(super) body: Body,
}

/// What an inode holds beyond its metadata.
pub(super) enum Body {
    Dir(Dir),
    /// A file of a snapshot; its node lists its blobs.
    File(Arc<Node>),
    Symlink(Vec<u8>),
}

/// A folder: where its entries come from, and the entries once known.
pub(super) struct Dir {
    pub(super) source: DirSource,
    /// Set on first use (or at creation, for made-up folders); loading holds the lock, so
    /// a folder is read once however many ask at the same time.
    pub(super) listing: Mutex<Option<Arc<Listing>>>,
}

/// Where a folder's entries come from.
#[derive(Debug, Clone, Copy)]
pub(super) enum DirSource {
    /// Set when the folder is made (`snapshots/`, `timeline/2021/`, ...).
    Fixed,
    /// A snapshot's tree, and the snapshot's root tree (whose hard links it counts).
    Tree {
        /// This folder's tree.
        tree: BlobId,
        /// The root tree of its snapshot.
        root: BlobId,
    },
    /// The timeline of the snapshot whose root tree this is.
    Timeline(BlobId),
}

impl Dir {
    pub(super) fn new(source: DirSource) -> Self {
        Dir {
            source,
            listing: Mutex::new(None),
        }
    }
}

/// A folder's entries, sorted by name (so lookups are binary searches).
#[derive(Debug, Default)]
pub(super) struct Listing {
    pub(super) entries: Vec<Entry>,
}

/// One entry of a folder.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) name: Vec<u8>,
    pub(super) ino: u64,
    pub(super) kind: FileType,
}

impl Listing {
    /// A listing of `entries`, sorted; of entries with the same name only the first is kept.
    pub(super) fn new(mut entries: Vec<Entry>) -> Self {
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries.dedup_by(|later, earlier| later.name == earlier.name);
        Listing { entries }
    }

    /// The entry called `name`.
    pub(super) fn lookup(&self, name: &[u8]) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.name.as_slice().cmp(name))
            .ok()
            .map(|i| &self.entries[i])
    }
}

/// All inodes, numbered from [`ROOT`].
#[derive(Default)]
pub(super) struct InodeTable {
    inodes: RwLock<Vec<Arc<Inode>>>,
}

impl InodeTable {
    /// The inode numbered `ino`.
    pub(super) fn get(&self, ino: u64) -> Option<Arc<Inode>> {
        let index = usize::try_from(ino.checked_sub(ROOT)?).ok()?;
        self.inodes.read().expect("inodes").get(index).cloned()
    }

    /// Several inodes at once: `f` is called with each one's index in `inos`.
    pub(super) fn with_each<T>(
        &self,
        inos: &[u64],
        mut f: impl FnMut(usize, &Inode) -> T,
    ) -> Vec<T> {
        let inodes = self.inodes.read().expect("inodes");
        inos.iter()
            .enumerate()
            .filter_map(|(i, &ino)| {
                let inode = inodes.get(usize::try_from(ino.checked_sub(ROOT)?).ok()?)?;
                Some(f(i, inode))
            })
            .collect()
    }

    /// Adds one inode; returns its number.
    pub(super) fn add(&self, inode: Inode) -> u64 {
        self.add_all(vec![inode])
    }

    /// Adds inodes with consecutive numbers; returns the first.
    pub(super) fn add_all(&self, new: Vec<Inode>) -> u64 {
        let mut inodes = self.inodes.write().expect("inodes");
        let first = inodes.len() as u64 + ROOT;
        inodes.extend(new.into_iter().map(Arc::new));
        first
    }

    /// How many inodes there are.
    pub(super) fn len(&self) -> u64 {
        self.inodes.read().expect("inodes").len() as u64
    }

    /// Where an inode is, relative to the mount point (for messages).
    pub(super) fn path(&self, mut ino: u64) -> PathBuf {
        use std::os::unix::ffi::OsStrExt;
        let mut names = Vec::new();
        while let Some(inode) = self.get(ino).filter(|_| ino != ROOT) {
            names.push(inode.name.clone());
            ino = inode.parent;
        }
        names
            .iter()
            .rev()
            .map(|n| std::ffi::OsStr::from_bytes(n))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(parent: u64, name: &str) -> Inode {
        Inode {
            parent,
            name: name.as_bytes().to_vec(),
            meta: Meta::virtual_dir(Timestamp::default(), Owner { uid: 0, gid: 0 }),
            body: Body::Dir(Dir::new(DirSource::Fixed)),
        }
    }

    #[test]
    fn inodes_are_numbered_from_root_and_know_their_path() {
        let table = InodeTable::default();
        assert_eq!(table.add(dir(ROOT, "")), ROOT);
        let a = table.add(dir(ROOT, "a"));
        let first = table.add_all(vec![dir(a, "b"), dir(a, "c")]);
        assert_eq!((a, first), (2, 3));
        assert_eq!(table.path(first + 1), PathBuf::from("a/c"));
        assert!(table.get(0).is_none() && table.get(5).is_none());
        assert_eq!(table.len(), 4);
    }

    #[test]
    fn listings_are_sorted_and_unique() {
        let entry = |name: &str, ino| Entry {
            name: name.as_bytes().to_vec(),
            ino,
            kind: FileType::RegularFile,
        };
        let listing = Listing::new(vec![entry("b", 2), entry("a", 3), entry("b", 4)]);
        let names: Vec<_> = listing.entries.iter().map(|e| e.ino).collect();
        assert_eq!(names, [3, 2]);
        assert_eq!(listing.lookup(b"b").map(|e| e.ino), Some(2));
        assert!(listing.lookup(b"c").is_none());
    }

    #[test]
    fn times_before_1970_convert() {
        let t = system_time(Timestamp {
            secs: -1,
            nanos: 500_000_000,
        });
        assert_eq!(
            SystemTime::UNIX_EPOCH.duration_since(t).unwrap(),
            Duration::from_millis(500)
        );
    }
}
