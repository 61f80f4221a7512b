//! Changing the tags of snapshots.
//!
//! A snapshot file is named by the hash of its bytes, so a snapshot with other tags is a new
//! file: it is written first, naming the snapshot it replaces in `original` (the first one,
//! if that was itself a rewrite), and only then is the old file removed. Interrupted in
//! between, the repository holds both, never neither. Only snapshot files change, so a
//! shared lock is enough, as for backup.

use crate::error::{Error, Result};
use crate::id::SnapshotId;
use crate::repository::{LockKind, Repository, SnapshotEntry};

/// How to change tags: replace them all, or add and remove some (restic's `--set`, `--add`,
/// `--remove`). Each tag argument may list several, separated by commas.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TagChange {
    /// The tags every snapshot gets instead of its own (`Some(vec![])` removes all).
    pub set: Option<Vec<String>>,
    /// Tags to add.
    pub add: Vec<String>,
    /// Tags to remove.
    pub remove: Vec<String>,
}

impl TagChange {
    /// Replaces all tags with `tags` (call again to set more).
    pub fn set_tags(mut self, tags: &str) -> Self {
        self.set.get_or_insert_with(Vec::new).extend(split(tags));
        self
    }

    /// Adds `tags`.
    pub fn add_tags(mut self, tags: &str) -> Self {
        self.add.extend(split(tags));
        self
    }

    /// Removes `tags`.
    pub fn remove_tags(mut self, tags: &str) -> Self {
        self.remove.extend(split(tags));
        self
    }

    /// The tags a snapshot tagged `tags` gets: its own in their order less the removed ones,
    /// then the added ones it lacks; or the set ones. Each tag once.
    pub fn apply(&self, tags: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let kept = match &self.set {
            Some(set) => set.iter().collect::<Vec<_>>(),
            None => tags
                .iter()
                .filter(|t| !self.remove.contains(t))
                .chain(&self.add)
                .collect(),
        };
        for tag in kept {
            if !out.contains(tag) {
                out.push(tag.clone());
            }
        }
        out
    }

    fn check(&self) -> Result<()> {
        if self.set.is_some() && !(self.add.is_empty() && self.remove.is_empty()) {
            return Err(Error::InvalidArgument(
                "setting tags replaces them all; it cannot be combined with adding or removing tags"
                    .into(),
            ));
        }
        if self.set.is_none() && self.add.is_empty() && self.remove.is_empty() {
            return Err(Error::InvalidArgument(
                "no tag change given: set, add or remove tags".into(),
            ));
        }
        Ok(())
    }
}

fn split(tags: &str) -> impl Iterator<Item = String> + '_ {
    tags.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
}

/// One snapshot whose tags changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retagged {
    /// The snapshot file that was replaced (and removed).
    pub old: SnapshotId,
    /// The new snapshot file.
    pub new: SnapshotId,
    /// Its tags.
    pub tags: Vec<String>,
}

impl Repository {
    /// Changes the tags of `snapshots` under a shared lock; see the module documentation.
    /// Snapshots whose tags would not change are left alone. Returns the ones rewritten.
    /// Fails with [`Error::InvalidArgument`] when `change` sets tags and also adds or removes
    /// some, or changes nothing.
    pub fn tag(&self, snapshots: &[SnapshotEntry], change: &TagChange) -> Result<Vec<Retagged>> {
        change.check()?;
        let _lock = self.lock(LockKind::Shared)?;
        let mut out = Vec::new();
        for entry in snapshots {
            let tags = change.apply(&entry.snapshot.tags);
            if tags == entry.snapshot.tags {
                continue;
            }
            let mut snapshot = entry.snapshot.clone();
            snapshot.tags = tags.clone();
            snapshot.original = Some(snapshot.original.unwrap_or(entry.id));
            let new = self.save_snapshot(&snapshot)?;
            self.remove_snapshot(&entry.id)?;
            out.push(Retagged {
                old: entry.id,
                new,
                tags,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn adding_and_removing_keep_the_order_and_list_each_tag_once() {
        let change = TagChange::default().add_tags("b,new").remove_tags("a");
        assert_eq!(
            change.apply(&tags(&["a", "b", "c"])),
            tags(&["b", "c", "new"])
        );
    }

    #[test]
    fn setting_replaces_every_tag() {
        let change = TagChange::default().set_tags("x").set_tags("y,x");
        assert_eq!(change.apply(&tags(&["a"])), tags(&["x", "y"]));
        assert_eq!(
            TagChange::default().set_tags("").apply(&tags(&["a"])),
            tags(&[])
        );
    }

    #[test]
    fn setting_cannot_be_combined_with_adding_or_removing() {
        assert!(TagChange::default()
            .set_tags("x")
            .add_tags("y")
            .check()
            .is_err());
        assert!(TagChange::default()
            .set_tags("x")
            .remove_tags("y")
            .check()
            .is_err());
        assert!(TagChange::default().check().is_err());
        assert!(TagChange::default().set_tags("").check().is_ok());
    }
}
