//! Noticing a library that disappears: files of the parent snapshot that are gone.
//!
//! A sync service that deletes a library, a disk that unmounts and leaves an empty folder,
//! a tool that truncates files to zero bytes: the next backup faithfully records the loss,
//! and a retention policy then thins the snapshots that still hold the photos. The backup
//! is the first to see it, so it compares its snapshot with the parent (through
//! [`IndexedRepository::diff`], which skips every folder whose tree did not change, so an ordinary
//! backup pays for what changed only) and counts the parent's files that are gone: no file
//! at their path any more, and not moved (no file new at another path has their content or
//! their device and inode), or still there but truncated to zero bytes. Above a threshold
//! the outcome says so; the snapshot is written all the same (SPEC §14.6). Together with
//! forget's last-copy guard (§20) it stops "the sync service deleted my photos and the
//! retention policy finished the job".

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::Result;
use crate::format::snapshot::Snapshot;
use crate::format::tree::{Node, NodeKind};
use crate::history::ChangeKind;
use crate::repository::IndexedRepository;

/// The default threshold: a backup that finds more than this percentage of the parent's
/// files gone says so.
pub const DEFAULT_MASS_DELETION_PERCENT: f64 = 10.0;

/// Fewer files than this gone or truncated never raise the alarm: deleting two of the
/// five files of a small folder is housekeeping, not a library disappearing.
pub const MASS_DELETION_MIN_FILES: u64 = 10;

/// How many folders a report names, most affected first.
const FOLDERS_NAMED: usize = 10;

/// Files of the parent snapshot that the new snapshot no longer has.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Disappearance {
    /// Regular files in the parent snapshot.
    pub parent_files: u64,
    /// Of those, files of at least one byte that are gone (not at their path, not moved).
    pub gone: u64,
    /// Of those, files still at their path but truncated to zero bytes.
    pub truncated: u64,
    /// `gone + truncated` as a percentage of `parent_files`.
    pub percent: f64,
    /// The threshold it was compared with.
    pub threshold_percent: f64,
    /// Whether `percent` is above the threshold and at least [`MASS_DELETION_MIN_FILES`]
    /// files are gone or truncated: the backup should be looked at.
    pub alarm: bool,
    /// The folders (snapshot paths) with the most gone or truncated files, and how many,
    /// most first.
    pub folders: Vec<(PathBuf, u64)>,
}

/// A file of the parent that left its path.
struct Left {
    folder: u32,
    content: [u8; 16],
    device: u64,
    inode: u64,
}

fn content_key(node: &Node) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    for id in &node.content {
        hasher.update(&id.0);
    }
    hasher.finalize().as_bytes()[..16]
        .try_into()
        .expect("16 bytes")
}

impl IndexedRepository {
    /// Compares snapshot `new` (`new_files` regular files) with its parent and counts what
    /// disappeared; `threshold_percent` decides [`Disappearance::alarm`].
    pub(crate) fn disappearance(
        &self,
        parent: &Snapshot,
        new: &Snapshot,
        new_files: u64,
        threshold_percent: f64,
    ) -> Result<Disappearance> {
        let mut folders: Vec<PathBuf> = Vec::new();
        let mut folder_ids: HashMap<PathBuf, u32> = HashMap::new();
        let mut folder_of = |path: &Path| -> u32 {
            let folder = path.parent().unwrap_or(Path::new("/")).to_path_buf();
            *folder_ids.entry(folder.clone()).or_insert_with(|| {
                folders.push(folder);
                (folders.len() - 1) as u32
            })
        };
        let mut left: Vec<Left> = Vec::new();
        let mut truncated: Vec<u32> = Vec::new();
        let mut arrived_content: HashSet<[u8; 16]> = HashSet::new();
        let mut arrived_inode: HashSet<(u64, u64)> = HashSet::new();
        let file = |n: &Option<Node>| n.as_ref().filter(|n| n.kind == NodeKind::File).cloned();
        let summary = self.diff(parent, new, "/", &mut |change| match change.kind {
            ChangeKind::Removed => {
                if let Some(old) = file(&change.old).filter(|o| o.size > 0) {
                    left.push(Left {
                        folder: folder_of(&change.path),
                        content: content_key(&old),
                        device: old.device,
                        inode: old.inode,
                    });
                }
            }
            ChangeKind::Added => {
                if let Some(new) = file(&change.new) {
                    arrived_content.insert(content_key(&new));
                    arrived_inode.insert((new.device, new.inode));
                }
            }
            ChangeKind::Modified => {
                let (old, new) = (file(&change.old), file(&change.new));
                if let (Some(old), Some(new)) = (old, new) {
                    if old.size > 0 && new.size == 0 {
                        truncated.push(folder_of(&change.path));
                    }
                }
            }
            ChangeKind::Metadata => {}
        })?;
        let parent_files = (new_files + summary.removed.files).saturating_sub(summary.added.files);
        let mut per_folder: HashMap<u32, u64> = HashMap::new();
        let mut gone = 0;
        for l in &left {
            let moved = arrived_content.contains(&l.content)
                || (l.inode != 0 && arrived_inode.contains(&(l.device, l.inode)));
            if !moved {
                gone += 1;
                *per_folder.entry(l.folder).or_default() += 1;
            }
        }
        for &folder in &truncated {
            *per_folder.entry(folder).or_default() += 1;
        }
        let mut most: Vec<(PathBuf, u64)> = per_folder
            .into_iter()
            .map(|(f, n)| (folders[f as usize].clone(), n))
            .collect();
        most.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        most.truncate(FOLDERS_NAMED);
        let lost = gone + truncated.len() as u64;
        let percent = if parent_files == 0 {
            0.0
        } else {
            lost as f64 * 100.0 / parent_files as f64
        };
        Ok(Disappearance {
            parent_files,
            gone,
            truncated: truncated.len() as u64,
            percent,
            threshold_percent,
            alarm: lost >= MASS_DELETION_MIN_FILES && percent > threshold_percent,
            folders: most,
        })
    }
}
