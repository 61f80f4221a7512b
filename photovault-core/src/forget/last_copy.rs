//! The last-copy guard: which files exist only in the snapshots about to be removed.
//!
//! A photo deleted from the library (or wiped by a sync service) lives on only in older
//! snapshots; thinning them with a retention policy would lose it for good, silently.
//! Before forgetting, photovault lists every such file. Files are the same when their
//! content is (the same chunk list), so a photo that was moved or renamed is not lost.
//!
//! Memory stays bounded on big repositories: the kept snapshots' files are remembered as
//! 128-bit keys of their chunk lists, not by path, and each tree is walked once however
//! many snapshots share it (a tree seen in a kept snapshot holds only kept content; a tree
//! seen in a newer removed snapshot has been reported already).

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::depth::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::format::tree::{Node, NodeKind};
use crate::id::{BlobId, SnapshotId};
use crate::repository::{IndexedRepository, SnapshotEntry};

use super::policy::sort_newest_first;

/// A file that only snapshots about to be removed hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastCopy {
    /// Its path in `snapshot`.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// The newest of the removed snapshots that holds it: the last copy.
    pub snapshot: SnapshotId,
}

/// A file's content, compactly: the first 128 bits of the BLAKE3 hash of its chunk ids.
type ContentKey = u128;

fn content_key(node: &Node) -> Option<ContentKey> {
    if node.kind != NodeKind::File || node.size == 0 || node.content.is_empty() {
        return None;
    }
    let mut hasher = blake3::Hasher::new();
    for id in &node.content {
        hasher.update(id.as_bytes());
    }
    let hash = hasher.finalize();
    let mut key = [0u8; 16];
    key.copy_from_slice(&hash.as_bytes()[..16]);
    Some(u128::from_le_bytes(key))
}

impl IndexedRepository {
    /// The files that `removed` hold and no snapshot of `kept` does, each once, named by
    /// its path in the newest removed snapshot that holds it. Empty files are left out.
    /// `kept` should be every snapshot that stays in the repository, of every group.
    pub fn last_copies(
        &self,
        removed: &[SnapshotEntry],
        kept: &[SnapshotEntry],
    ) -> Result<Vec<LastCopy>> {
        let mut walked: HashSet<BlobId> = HashSet::new();
        let mut kept_content: HashSet<ContentKey> = HashSet::new();
        for entry in kept {
            self.walk_files(&entry.snapshot.tree, &mut walked, &mut |_, node| {
                if let Some(key) = content_key(node) {
                    kept_content.insert(key);
                }
            })?;
        }
        let mut removed = removed.to_vec();
        sort_newest_first(&mut removed);
        let mut reported: HashSet<ContentKey> = HashSet::new();
        let mut lost = Vec::new();
        for entry in &removed {
            self.walk_files(&entry.snapshot.tree, &mut walked, &mut |dir, node| {
                let Some(key) = content_key(node) else { return };
                if !kept_content.contains(&key) && reported.insert(key) {
                    lost.push(LastCopy {
                        path: dir.join(shown_name(node)),
                        size: node.size,
                        snapshot: entry.id,
                    });
                }
            })?;
        }
        Ok(lost)
    }

    /// Calls `each(folder, node)` for every file below `root`, skipping trees already in
    /// `walked` (and adding the ones it walks). An explicit stack, bounded by
    /// [`MAX_DEPTH`]: a deeper folder is an error, since the guard cannot vouch for it.
    fn walk_files(
        &self,
        root: &BlobId,
        walked: &mut HashSet<BlobId>,
        each: &mut dyn FnMut(&Path, &Node),
    ) -> Result<()> {
        if !walked.insert(*root) {
            return Ok(());
        }
        let mut stack: Vec<(std::vec::IntoIter<Node>, PathBuf)> =
            vec![(self.read_tree(root)?.nodes.into_iter(), PathBuf::from("/"))];
        while let Some((nodes, dir)) = stack.last_mut() {
            let Some(node) = nodes.next() else {
                stack.pop();
                continue;
            };
            match (node.kind, node.subtree) {
                (NodeKind::Dir, Some(subtree)) => {
                    if !walked.insert(subtree) {
                        continue;
                    }
                    let path = dir.join(shown_name(&node));
                    if stack.len() >= MAX_DEPTH {
                        return Err(Error::TooDeep {
                            path: path.display().to_string(),
                        });
                    }
                    stack.push((self.read_tree(&subtree)?.nodes.into_iter(), path));
                }
                (NodeKind::File, _) => each(dir, &node),
                _ => {}
            }
        }
        Ok(())
    }
}

/// A node's name as one path component; an unsafe name is shown as `ls` shows it.
pub(crate) fn shown_name(node: &Node) -> PathBuf {
    if node.name_problem().is_some() {
        PathBuf::from(
            node.display_name()
                .replace('/', "\u{2215}")
                .replace('\0', "\u{2400}"),
        )
    } else {
        PathBuf::from(OsStr::from_bytes(&node.name))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::backend::MemoryBackend;
    use crate::{BackupOptions, InitOptions, KdfParams, OpenOptions, Repository};

    #[test]
    fn only_content_no_kept_snapshot_holds_is_a_last_copy_and_each_is_listed_once() {
        let dir = tempfile::tempdir().unwrap();
        let photos = dir.path().join("Photos");
        std::fs::create_dir_all(&photos).unwrap();
        std::fs::write(photos.join("kept.jpg"), b"kept photo").unwrap();
        std::fs::write(photos.join("renamed.jpg"), b"renamed photo").unwrap();
        std::fs::write(photos.join("deleted.jpg"), b"deleted photo").unwrap();
        std::fs::write(photos.join("empty.jpg"), b"").unwrap();
        let options = InitOptions::default()
            .kdf(KdfParams {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            })
            .open_options(OpenOptions::default().no_cache(true));
        let repo = Repository::init(Arc::new(MemoryBackend::new("t")), b"pw", &options)
            .unwrap()
            .to_indexed()
            .unwrap();
        let backup = |time: &str| {
            let time = chrono::DateTime::parse_from_rfc3339(time).unwrap();
            let options = BackupOptions::default().time(time);
            repo.backup(std::slice::from_ref(&photos), &options, &())
                .unwrap()
        };
        let first = backup("2024-05-01T10:00:00Z");
        let second = backup("2024-05-02T10:00:00Z"); // the same trees: walked once
        std::fs::rename(photos.join("renamed.jpg"), photos.join("moved.jpg")).unwrap();
        std::fs::remove_file(photos.join("deleted.jpg")).unwrap();
        let third = backup("2024-05-03T10:00:00Z");

        let entry = |o: &crate::BackupOutcome| crate::SnapshotEntry {
            id: o.snapshot_id,
            snapshot: o.snapshot.clone(),
        };
        let lost = repo
            .last_copies(&[entry(&first), entry(&second)], &[entry(&third)])
            .unwrap();
        assert_eq!(lost.len(), 1, "{lost:?}");
        assert_eq!(lost[0].path, photos.join("deleted.jpg"));
        assert_eq!(lost[0].size, 13);
        assert_eq!(lost[0].snapshot, second.snapshot_id);
        assert!(repo
            .last_copies(&[entry(&first)], &[entry(&second), entry(&third)])
            .unwrap()
            .is_empty());
    }
}
