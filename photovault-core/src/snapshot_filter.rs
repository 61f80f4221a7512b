//! Choosing snapshots: by id, by host, tag and path, as `forget`, `copy`, `find` and `stats`
//! take them on the command line.
//!
//! The rules are restic's, so that scripts carry over: every given host, tag group and path
//! narrows nothing on its own axis unless given at all; a snapshot matches when it has one
//! of the hosts, one of the tag groups (a group is a comma-separated list that must all be
//! present), and all of the paths.

use crate::error::Result;
use crate::format::snapshot::Snapshot;
use crate::repository::{Repository, SnapshotEntry};

/// Which snapshots an operation works on. The default matches every snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotFilter {
    /// Keep snapshots of any of these hosts (all hosts when empty).
    pub hosts: Vec<String>,
    /// Keep snapshots that carry every tag of at least one group (all when empty).
    pub tags: Vec<Vec<String>>,
    /// Keep snapshots whose backed-up paths include every one of these (all when empty).
    pub paths: Vec<String>,
}

impl SnapshotFilter {
    /// Only snapshots of `host` (may be called again to allow several).
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.hosts.push(host.into());
        self
    }

    /// Only snapshots with every tag of `group` (`"a,b"`: both a and b); called again,
    /// another group is allowed too.
    pub fn tag_group(mut self, group: &str) -> Self {
        let tags = tag_group(group);
        if !tags.is_empty() {
            self.tags.push(tags);
        }
        self
    }

    /// Only snapshots that backed up `path` (among others).
    pub fn path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        let trimmed = path.trim_end_matches('/');
        self.paths.push(if trimmed.is_empty() {
            "/".into()
        } else {
            trimmed.into()
        });
        self
    }

    /// Whether this filter keeps every snapshot.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && self.tags.is_empty() && self.paths.is_empty()
    }

    /// Whether `snapshot` passes the filter.
    pub fn matches(&self, snapshot: &Snapshot) -> bool {
        let host_ok = self.hosts.is_empty() || self.hosts.contains(&snapshot.hostname);
        let tags_ok = self.tags.is_empty()
            || self
                .tags
                .iter()
                .any(|group| group.iter().all(|t| snapshot.tags.contains(t)));
        let paths_ok = self.paths.iter().all(|p| snapshot.paths.contains(p));
        host_ok && tags_ok && paths_ok
    }
}

/// The tags of a group as the command line writes it: `"a, b"` → `["a", "b"]`.
pub(crate) fn tag_group(group: &str) -> Vec<String> {
    group
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

impl Repository {
    /// The snapshots named by `specs` (ids, unique prefixes, `latest`), or every snapshot
    /// when `specs` is empty, that pass `filter`; oldest first, each once. `latest` means
    /// the newest snapshot that passes the filter. An id that names no snapshot is an error
    /// ([`crate::Error::SnapshotNotFound`]), so that a typo never widens what a command does.
    pub fn select_snapshots(
        &self,
        specs: &[String],
        filter: &SnapshotFilter,
    ) -> Result<Vec<SnapshotEntry>> {
        self.select_from(self.snapshots()?, specs, filter)
    }

    /// Like [`Repository::select_snapshots`], among `all` (the repository's snapshots, read
    /// already, e.g. by [`Repository::snapshots_and_errors`]).
    pub fn select_from(
        &self,
        all: Vec<SnapshotEntry>,
        specs: &[String],
        filter: &SnapshotFilter,
    ) -> Result<Vec<SnapshotEntry>> {
        let matching: Vec<SnapshotEntry> = all
            .into_iter()
            .filter(|s| filter.matches(&s.snapshot))
            .collect();
        if specs.is_empty() {
            return Ok(matching);
        }
        let mut chosen: Vec<SnapshotEntry> = Vec::new();
        for spec in specs {
            let entry = if spec == "latest" {
                matching
                    .last()
                    .cloned()
                    .ok_or_else(|| crate::Error::SnapshotNotFound { spec: spec.clone() })?
            } else {
                self.find_snapshot(spec)?
            };
            if !chosen.iter().any(|c| c.id == entry.id) {
                chosen.push(entry);
            }
        }
        chosen.sort_by(|a, b| a.snapshot.time.cmp(&b.snapshot.time).then(a.id.cmp(&b.id)));
        Ok(chosen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(host: &str, tags: &[&str], paths: &[&str]) -> Snapshot {
        Snapshot::sample("2024-05-01T10:00:00+02:00", host, tags, paths)
    }

    #[test]
    fn an_empty_filter_keeps_everything() {
        assert!(SnapshotFilter::default().matches(&snapshot("a", &[], &["/x"])));
    }

    #[test]
    fn hosts_are_alternatives() {
        let filter = SnapshotFilter::default().host("laptop").host("nas");
        assert!(filter.matches(&snapshot("nas", &[], &["/x"])));
        assert!(!filter.matches(&snapshot("phone", &[], &["/x"])));
    }

    #[test]
    fn a_tag_group_needs_all_its_tags_and_groups_are_alternatives() {
        let filter = SnapshotFilter::default()
            .tag_group("photos,raw")
            .tag_group("daily");
        assert!(filter.matches(&snapshot("h", &["raw", "photos"], &["/x"])));
        assert!(filter.matches(&snapshot("h", &["daily"], &["/x"])));
        assert!(!filter.matches(&snapshot("h", &["photos"], &["/x"])));
    }

    #[test]
    fn every_path_must_have_been_backed_up() {
        let filter = SnapshotFilter::default().path("/home/ann/Photos/");
        assert!(filter.matches(&snapshot("h", &[], &["/home/ann/Photos", "/etc"])));
        assert!(!filter.matches(&snapshot("h", &[], &["/home/ann"])));
    }
}
