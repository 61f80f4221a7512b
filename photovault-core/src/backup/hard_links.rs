//! Hard links met during one backup: read once, stored once.
//!
//! Files that are hard links of one another are one file with several names. Their content
//! would deduplicate anyway, but each name would still be read in full. The first name to
//! arrive reads the file; a name that arrives meanwhile waits for it, and every later one
//! takes its content, as long as the file's size, mtime and ctime are still those the
//! reader saw. Only files whose link count is above one are kept here, so the map grows
//! with the hard links of the source, not its size. A snapshot records each name as a node
//! with the shared device and inode, which is how restore and the mount know them as one
//! file (SPEC §14.2).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::Result;
use crate::format::tree::{Node, NodeKind};

/// What [`HardLinks::read_once`] did for one name.
pub(super) enum ReadOnce {
    /// This name was read (`None`: it could not be, and was reported).
    Read(Option<Node>),
    /// Another name of the same, unchanged file was read: its node.
    Shared(Node),
}

/// The node one name of a multiply-linked file was read as, once it is (`None`: it could
/// not be read).
type FirstRead = Arc<OnceLock<Option<Node>>>;

/// The nodes of multiply-linked files read by this backup, by (device, inode).
#[derive(Default)]
pub(super) struct HardLinks {
    read: Mutex<HashMap<(u64, u64), FirstRead>>,
}

impl HardLinks {
    /// Reads the file `now` describes with `read`, unless another of its `links` names has
    /// been (or is being) read by this backup and the file has not changed since.
    pub(super) fn read_once(
        &self,
        now: &Node,
        links: u64,
        read: impl FnOnce() -> Result<Option<Node>>,
    ) -> Result<ReadOnce> {
        if links < 2 || now.kind != NodeKind::File || now.inode == 0 {
            return read().map(ReadOnce::Read);
        }
        let cell = Arc::clone(
            self.read
                .lock()
                .expect("hard links")
                .entry((now.device, now.inode))
                .or_default(),
        );
        let mut read = Some(read);
        let mut mine = None;
        // The first name reads; names arriving meanwhile wait for it.
        let first = cell.get_or_init(|| {
            let result = read.take().expect("read once")();
            let node = result.as_ref().ok().cloned().flatten();
            mine = Some(result);
            node
        });
        if let Some(result) = mine {
            return result.map(ReadOnce::Read);
        }
        match first {
            Some(old)
                if old.size == now.size && old.mtime == now.mtime && old.ctime == now.ctime =>
            {
                Ok(ReadOnce::Shared(old.clone()))
            }
            _ => read.take().expect("not read yet")().map(ReadOnce::Read),
        }
    }
}
