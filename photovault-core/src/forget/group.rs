//! Groups of snapshots that a retention policy thins one at a time (restic's `--group-by`):
//! the backups of one folder on one machine form a history of their own, and keeping "the
//! last 7 days" means 7 days of each history, not 7 days of whichever ran last.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::format::snapshot::Snapshot;
use crate::repository::SnapshotEntry;

/// What makes two snapshots part of the same group. The default is restic's: host and paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupBy {
    /// Same host name.
    pub host: bool,
    /// Same set of backed-up paths.
    pub paths: bool,
    /// Same set of tags.
    pub tags: bool,
}

impl Default for GroupBy {
    fn default() -> Self {
        GroupBy {
            host: true,
            paths: true,
            tags: false,
        }
    }
}

impl FromStr for GroupBy {
    type Err = Error;

    /// A comma-separated combination of `host`, `paths` and `tags`; the empty string
    /// groups nothing apart (one group of all snapshots).
    fn from_str(text: &str) -> Result<GroupBy> {
        let mut by = GroupBy {
            host: false,
            paths: false,
            tags: false,
        };
        for word in text.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word {
                "host" => by.host = true,
                "paths" => by.paths = true,
                "tags" => by.tags = true,
                other => {
                    return Err(Error::InvalidArgument(format!(
                        "cannot group snapshots by '{other}': use host, paths, tags, a comma-separated combination, or '' for no grouping"
                    )))
                }
            }
        }
        Ok(by)
    }
}

/// The shared properties of one group's snapshots; a property not grouped by is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct GroupKey {
    /// The host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The backed-up paths, sorted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// The tags, sorted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
}

impl GroupBy {
    /// The key of the group `snapshot` belongs to.
    pub fn key(&self, snapshot: &Snapshot) -> GroupKey {
        let sorted = |list: &[String]| {
            let mut list = list.to_vec();
            list.sort();
            list.dedup();
            list
        };
        GroupKey {
            host: self.host.then(|| snapshot.hostname.clone()),
            paths: self.paths.then(|| sorted(&snapshot.paths)),
            tags: self.tags.then(|| sorted(&snapshot.tags)),
        }
    }

    /// `snapshots` split into groups, ordered by key.
    pub fn group(&self, snapshots: Vec<SnapshotEntry>) -> Vec<(GroupKey, Vec<SnapshotEntry>)> {
        let mut groups: BTreeMap<GroupKey, Vec<SnapshotEntry>> = BTreeMap::new();
        for entry in snapshots {
            groups
                .entry(self.key(&entry.snapshot))
                .or_default()
                .push(entry);
        }
        groups.into_iter().collect()
    }
}

impl fmt::Display for GroupKey {
    /// `host laptop, paths [/home/ann/Pictures], tags [daily]`, or `all snapshots`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(host) = &self.host {
            parts.push(format!("host {host}"));
        }
        if let Some(paths) = &self.paths {
            parts.push(format!("paths [{}]", paths.join(", ")));
        }
        if let Some(tags) = &self.tags {
            parts.push(format!("tags [{}]", tags.join(", ")));
        }
        if parts.is_empty() {
            f.write_str("all snapshots")
        } else {
            f.write_str(&parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_by_parses_any_combination_and_the_empty_string() {
        assert_eq!("host,paths".parse::<GroupBy>().unwrap(), GroupBy::default());
        let all: GroupBy = "tags, host,paths".parse().unwrap();
        assert!(all.host && all.paths && all.tags);
        let none: GroupBy = "".parse().unwrap();
        assert!(!none.host && !none.paths && !none.tags);
        let err = "hosts".parse::<GroupBy>().unwrap_err().to_string();
        assert!(err.contains("'hosts'"), "{err}");
    }
}
