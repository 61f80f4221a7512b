//! What changed between two snapshots, found by walking only the folders that differ.
//!
//! Trees are named by their content, so two folders with the same subtree id hold the same
//! entries all the way down: the walk skips them without reading them, and comparing two
//! backups of a large library reads only the trees along the paths that changed.

use std::path::PathBuf;

use serde::Serialize;

use crate::depth::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::format::snapshot::Snapshot;
use crate::format::tree::{Node, NodeKind};
use crate::id::BlobId;
use crate::ls::child_path;
use crate::repository::IndexedRepository;

/// How an entry differs between the two snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Only in the second snapshot.
    Added,
    /// Only in the first snapshot.
    Removed,
    /// In both, with other content: a file's blob list or a symlink's target differs.
    Modified,
    /// In both with the same content, but its mode, mtime or owner changed.
    Metadata,
}

/// One entry that differs. An entry whose type changed (a file became a folder) is reported
/// as removed and then added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Absolute path inside the snapshots, named as [`IndexedRepository::ls`] names it.
    pub path: PathBuf,
    /// What happened to it.
    pub kind: ChangeKind,
    /// The entry in the first snapshot (`None` when added).
    pub old: Option<Node>,
    /// The entry in the second snapshot (`None` when removed).
    pub new: Option<Node>,
    /// Which metadata differs: any of `mode`, `mtime`, `owner` (for every kind of change
    /// where the entry is in both snapshots).
    pub metadata: Vec<&'static str>,
}

/// Entries counted by type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EntryCounts {
    /// Regular files.
    pub files: u64,
    /// Folders.
    pub dirs: u64,
    /// Symbolic links.
    pub symlinks: u64,
}

impl EntryCounts {
    fn count(&mut self, kind: NodeKind) {
        match kind {
            NodeKind::File => self.files += 1,
            NodeKind::Dir => self.dirs += 1,
            NodeKind::Symlink => self.symlinks += 1,
        }
    }
}

/// The totals of a diff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DiffSummary {
    /// Entries only in the second snapshot.
    pub added: EntryCounts,
    /// Entries only in the first snapshot.
    pub removed: EntryCounts,
    /// Files and symlinks whose content changed.
    pub modified: u64,
    /// Entries whose metadata alone changed.
    pub metadata_changed: u64,
    /// Bytes of the files added, plus the new size of each modified file.
    pub bytes_added: u64,
    /// Bytes of the files removed, plus the old size of each modified file.
    pub bytes_removed: u64,
}

impl DiffSummary {
    fn record(&mut self, change: &Change) {
        let size = |n: &Option<Node>| n.as_ref().map_or(0, |n| n.size);
        match change.kind {
            ChangeKind::Added => {
                self.added.count(change.new.as_ref().expect("added").kind);
                self.bytes_added += size(&change.new);
            }
            ChangeKind::Removed => {
                self.removed
                    .count(change.old.as_ref().expect("removed").kind);
                self.bytes_removed += size(&change.old);
            }
            ChangeKind::Modified => {
                self.modified += 1;
                self.bytes_added += size(&change.new);
                self.bytes_removed += size(&change.old);
            }
            ChangeKind::Metadata => self.metadata_changed += 1,
        }
    }
}

/// Pairs of entries with the same name in two folders, in name order.
type Pairs = std::vec::IntoIter<(Option<Node>, Option<Node>)>;

impl IndexedRepository {
    /// Calls `each` for every entry below `path` (empty or `/`: everything) that differs
    /// from snapshot `from` to snapshot `to`, depth first in name order, and returns the
    /// totals. Folders whose subtree is the same in both are not read. `path` may be missing
    /// from one of the snapshots (then everything below it was added or removed), not from
    /// both ([`Error::PathNotInSnapshot`]). Entries with unsafe names are compared but
    /// folders of that kind are not entered, as in [`IndexedRepository::ls`].
    pub fn diff(
        &self,
        from: &Snapshot,
        to: &Snapshot,
        path: &str,
        each: &mut dyn FnMut(&Change),
    ) -> Result<DiffSummary> {
        let old = optional(self.find_path(from, path))?;
        let new = optional(self.find_path(to, path))?;
        if old.is_none() && new.is_none() {
            return Err(Error::PathNotInSnapshot {
                path: path.to_string(),
                snapshot: from.time.to_rfc3339(),
            });
        }
        let mut summary = DiffSummary::default();
        let mut report = |change: Change| {
            summary.record(&change);
            each(&change);
        };
        let base = PathBuf::from("/").join(path.trim_matches('/'));
        let mut stack: Vec<(Pairs, PathBuf)> = Vec::new();
        let mut pending = self.compare(old, new, base, true, &mut report)?;
        loop {
            if let Some(frame) = pending.take() {
                if stack.len() >= MAX_DEPTH {
                    return Err(Error::TooDeep {
                        path: frame.1.display().to_string(),
                    });
                }
                stack.push(frame);
            }
            let Some((pairs, dir)) = stack.last_mut() else {
                break;
            };
            let Some((old, new)) = pairs.next() else {
                stack.pop();
                continue;
            };
            let either = old.as_ref().or(new.as_ref()).expect("one side exists");
            let path = child_path(dir, either);
            pending = self.compare(old, new, path, false, &mut report)?;
        }
        Ok(summary)
    }

    /// Reports how one entry differs and returns the folder pairs to compare below it.
    /// `top` is the entry the caller named (the root is a synthetic node named `/`).
    fn compare(
        &self,
        old: Option<Node>,
        new: Option<Node>,
        path: PathBuf,
        top: bool,
        report: &mut dyn FnMut(Change),
    ) -> Result<Option<(Pairs, PathBuf)>> {
        let old_tree = old.as_ref().and_then(|n| enterable(n, top));
        let new_tree = new.as_ref().and_then(|n| enterable(n, top));
        let change = |kind, old: Option<&Node>, new: Option<&Node>| Change {
            path: path.clone(),
            kind,
            old: old.cloned(),
            new: new.cloned(),
            metadata: match (old, new) {
                (Some(o), Some(n)) => metadata_changes(o, n),
                _ => Vec::new(),
            },
        };
        match (&old, &new) {
            (Some(o), Some(n)) if o.kind == n.kind => {
                let content_differs = match o.kind {
                    NodeKind::Dir => false,
                    NodeKind::File => o.content != n.content || o.size != n.size,
                    NodeKind::Symlink => o.link_target != n.link_target,
                };
                let c = change(ChangeKind::Modified, Some(o), Some(n));
                if content_differs {
                    report(c);
                } else if !c.metadata.is_empty() {
                    report(Change {
                        kind: ChangeKind::Metadata,
                        ..c
                    });
                }
                if old_tree == new_tree {
                    return Ok(None);
                }
            }
            (o, n) => {
                if let Some(o) = o {
                    report(change(ChangeKind::Removed, Some(o), None));
                }
                if let Some(n) = n {
                    report(change(ChangeKind::Added, None, Some(n)));
                }
                if old_tree.is_none() && new_tree.is_none() {
                    return Ok(None);
                }
            }
        }
        let pairs = pair_up(
            self.read_optional_tree(old_tree)?,
            self.read_optional_tree(new_tree)?,
        );
        Ok(Some((pairs.into_iter(), path)))
    }

    fn read_optional_tree(&self, id: Option<BlobId>) -> Result<Vec<Node>> {
        Ok(match id {
            Some(id) => self.read_tree(&id)?.nodes,
            None => Vec::new(),
        })
    }
}

/// The subtree below `node` if it is a folder the walk enters: not one with an unsafe
/// name, unless it is the entry the caller named.
fn enterable(node: &Node, top: bool) -> Option<BlobId> {
    match (node.kind, node.subtree) {
        (NodeKind::Dir, Some(id)) if top || node.name_problem().is_none() => Some(id),
        _ => None,
    }
}

/// A path missing from a snapshot is `None`; every other failure stays one.
fn optional(found: Result<Node>) -> Result<Option<Node>> {
    match found {
        Ok(node) => Ok(Some(node)),
        Err(Error::PathNotInSnapshot { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Merges two name-sorted entry lists into pairs of entries with the same name.
fn pair_up(old: Vec<Node>, new: Vec<Node>) -> Vec<(Option<Node>, Option<Node>)> {
    let mut out = Vec::with_capacity(old.len().max(new.len()));
    let mut old = old.into_iter().peekable();
    let mut new = new.into_iter().peekable();
    loop {
        let order = match (old.peek(), new.peek()) {
            (Some(o), Some(n)) => o.name.cmp(&n.name),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => return out,
        };
        out.push(match order {
            std::cmp::Ordering::Less => (old.next(), None),
            std::cmp::Ordering::Greater => (None, new.next()),
            std::cmp::Ordering::Equal => (old.next(), new.next()),
        });
    }
}

/// Which of mode, mtime and owner differ between two versions of an entry.
fn metadata_changes(old: &Node, new: &Node) -> Vec<&'static str> {
    let mut out = Vec::new();
    if old.mode != new.mode {
        out.push("mode");
    }
    if old.mtime != new.mtime {
        out.push("mtime");
    }
    if (old.uid, old.gid) != (new.uid, new.gid) {
        out.push("owner");
    }
    out
}
