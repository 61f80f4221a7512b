//! The folders a mount shows, built as they are visited:
//!
//! ```text
//! snapshots/<time>/...      each snapshot's tree, laid out as restore lays it out
//! snapshots/latest          -> the newest
//! ids/<short id>            -> ../snapshots/<time>
//! hosts/<host>/<time>       -> ../../snapshots/<time>
//! tags/<tag>/<time>         -> ../../snapshots/<time>
//! timeline/YYYY/MM/...      the photos and videos of one snapshot (see `timeline`)
//! ```
//!
//! Only the snapshot list is read at mount time. A snapshot folder's tree is read when the
//! folder is first looked into; the timeline's trees when `timeline/` is.

use std::collections::BTreeMap;
use std::sync::Arc;

use fuser::FileType;
use rayon::prelude::*;

use super::inodes::{Body, Dir, DirSource, Entry, Inode, InodeTable, Listing, Meta, Owner, ROOT};
use super::timeline::{self, Candidate};
use crate::format::tree::{NodeKind, Timestamp};
use crate::id::BlobId;
use crate::repository::{Repository, SnapshotEntry};

/// The mount's folders and the inodes shown so far.
pub(super) struct Layout {
    pub(super) repo: Repository,
    pub(super) inodes: InodeTable,
    owner: Owner,
}

/// Why a folder could not be listed (reported, and EIO to the caller).
pub(super) enum ListError {
    NotFound,
    NotDir,
    Unreadable,
}

impl Layout {
    /// The fixed folders for `snapshots` (oldest first); the timeline shows `timeline`.
    pub(super) fn new(
        repo: Repository,
        snapshots: &[SnapshotEntry],
        timeline: Option<&SnapshotEntry>,
        owner: Owner,
    ) -> Layout {
        let layout = Layout {
            repo,
            inodes: InodeTable::default(),
            owner,
        };
        let now = snapshots.last().map(time_of).unwrap_or_default();
        let root = layout.add_dir(ROOT, b"", now, DirSource::Fixed);
        debug_assert_eq!(root, ROOT);
        let names = snapshot_names(snapshots);

        let folder = layout.add_dir(root, b"snapshots", now, DirSource::Fixed);
        let mut entries: Vec<Entry> = snapshots
            .iter()
            .zip(&names)
            .map(|(s, name)| {
                let ino = layout.add_dir(
                    folder,
                    name.as_bytes(),
                    time_of(s),
                    DirSource::Tree(s.snapshot.tree),
                );
                entry(name.as_bytes(), ino, FileType::Directory)
            })
            .collect();
        if let Some(name) = names.last() {
            entries.push(layout.add_link(folder, b"latest", name.as_bytes(), now));
        }
        layout.set_listing(folder, entries);
        let mut root_entries = vec![entry(b"snapshots", folder, FileType::Directory)];

        let folder = layout.add_dir(root, b"ids", now, DirSource::Fixed);
        let shorts: Vec<String> = snapshots.iter().map(|s| s.id.short()).collect();
        let entries = snapshots
            .iter()
            .zip(&names)
            .enumerate()
            .map(|(i, (s, name))| {
                // Eight hex digits rarely clash; when they do, the full id does not.
                let clash = shorts.iter().filter(|x| **x == shorts[i]).count() > 1;
                let id = if clash {
                    s.id.to_hex()
                } else {
                    shorts[i].clone()
                };
                let target = format!("../snapshots/{name}");
                layout.add_link(folder, id.as_bytes(), target.as_bytes(), time_of(s))
            })
            .collect();
        layout.set_listing(folder, entries);
        root_entries.push(entry(b"ids", folder, FileType::Directory));

        let by_host = group(snapshots, |s| vec![s.snapshot.hostname.clone()]);
        root_entries.push(layout.add_groups(root, b"hosts", now, by_host, snapshots, &names));
        let by_tag = group(snapshots, |s| s.snapshot.tags.clone());
        root_entries.push(layout.add_groups(root, b"tags", now, by_tag, snapshots, &names));

        let source = match timeline {
            Some(s) => DirSource::Timeline(s.snapshot.tree),
            None => DirSource::Fixed,
        };
        let time = timeline.map(time_of).unwrap_or(now);
        let folder = layout.add_dir(root, b"timeline", time, source);
        root_entries.push(entry(b"timeline", folder, FileType::Directory));
        layout.set_listing(root, root_entries);
        layout
    }

    /// A folder's entries, read on first use.
    pub(super) fn listing(&self, ino: u64) -> Result<Arc<Listing>, ListError> {
        let inode = self.inodes.get(ino).ok_or(ListError::NotFound)?;
        let Body::Dir(dir) = &inode.body else {
            return Err(ListError::NotDir);
        };
        let mut slot = dir.listing.lock().expect("folder listing");
        if let Some(listing) = slot.as_ref() {
            return Ok(listing.clone());
        }
        let loaded = match dir.source {
            DirSource::Fixed => Ok(Listing::default()),
            DirSource::Tree(tree) => self.load_tree(ino, &tree),
            DirSource::Timeline(tree) => Ok(self.load_timeline(ino, &inode.meta, tree)),
        };
        match loaded {
            Ok(listing) => {
                let listing = Arc::new(listing);
                *slot = Some(listing.clone());
                Ok(listing)
            }
            Err(message) => {
                super::report(&self.inodes.path(ino), &message);
                Err(ListError::Unreadable)
            }
        }
    }

    /// A snapshot folder's entries: one inode per entry of its tree.
    fn load_tree(&self, ino: u64, tree: &BlobId) -> Result<Listing, String> {
        let tree = self
            .repo
            .read_tree(tree)
            .map_err(|e| format!("folder cannot be read: {e}"))?;
        let mut inodes = Vec::with_capacity(tree.nodes.len());
        for node in tree.nodes {
            if let Some(problem) = node.name_problem() {
                let shown = self
                    .inodes
                    .path(ino)
                    .join(node.display_name().replace('/', "\u{2215}"));
                super::report(&shown, &format!("entry not shown: {problem}"));
                continue;
            }
            let meta = Meta::of_node(&node);
            let name = node.name.clone();
            let body = match node.kind {
                NodeKind::Dir => Body::Dir(Dir::new(match node.subtree {
                    Some(tree) => DirSource::Tree(tree),
                    None => DirSource::Fixed,
                })),
                NodeKind::Symlink => Body::Symlink(node.link_target.unwrap_or_default()),
                NodeKind::File => Body::File(Arc::new(node)),
            };
            inodes.push(Inode {
                parent: ino,
                name,
                meta,
                body,
            });
        }
        Ok(self.add_children(inodes))
    }

    /// `timeline/`: walks the whole snapshot, then makes every year and month folder.
    fn load_timeline(&self, ino: u64, meta: &Meta, tree: BlobId) -> Listing {
        let months = timeline::arrange(self.collect(tree, Vec::new()));
        let mut years: BTreeMap<i32, Vec<Entry>> = BTreeMap::new();
        let mut year_inos: BTreeMap<i32, u64> = BTreeMap::new();
        for month in months {
            let year = *year_inos.entry(month.year).or_insert_with(|| {
                let name = format!("{:04}", month.year);
                self.add_dir(ino, name.as_bytes(), meta.mtime, DirSource::Fixed)
            });
            let name = format!("{:02}", month.month);
            let folder = self.add_dir(year, name.as_bytes(), meta.mtime, DirSource::Fixed);
            let files = month
                .entries
                .into_iter()
                .map(|(name, node)| Inode {
                    parent: folder,
                    name,
                    meta: Meta::of_node(&node),
                    body: Body::File(node),
                })
                .collect();
            let listing = self.add_children(files);
            self.set_listing(folder, listing.entries);
            years.entry(month.year).or_default().push(entry(
                name.as_bytes(),
                folder,
                FileType::Directory,
            ));
        }
        let mut entries = Vec::new();
        for (year, months) in years {
            let folder = year_inos[&year];
            self.set_listing(folder, months);
            entries.push(entry(
                format!("{year:04}").as_bytes(),
                folder,
                FileType::Directory,
            ));
        }
        Listing::new(entries)
    }

    /// The timeline candidates below `tree` (whose path in the snapshot is `path`); folders
    /// are read in parallel, and an unreadable one is reported and skipped.
    fn collect(&self, tree: BlobId, path: Vec<u8>) -> Vec<Candidate> {
        let tree = match self.repo.read_tree(&tree) {
            Ok(tree) => tree,
            Err(e) => {
                let shown = std::path::PathBuf::from(String::from_utf8_lossy(&path).into_owned());
                super::report(&shown, &format!("timeline: folder skipped: {e}"));
                return Vec::new();
            }
        };
        let mut files = Vec::new();
        let mut folders = Vec::new();
        for node in tree.nodes {
            if node.name_problem().is_some() {
                continue;
            }
            match (node.kind, node.subtree) {
                (NodeKind::File, _) => files.push(Arc::new(node)),
                (NodeKind::Dir, Some(subtree)) if !timeline::skip_folder(&node.name) => {
                    folders.push((subtree, [path.as_slice(), b"/", &node.name].concat()));
                }
                _ => {}
            }
        }
        let mut found = timeline::group_folder(&path, &files);
        found.par_extend(
            folders
                .into_par_iter()
                .flat_map_iter(|(tree, path)| self.collect(tree, path)),
        );
        found
    }

    /// `hosts/` or `tags/`: a folder per group, a symlink per snapshot in it.
    fn add_groups(
        &self,
        root: u64,
        name: &[u8],
        time: Timestamp,
        groups: BTreeMap<String, Vec<usize>>,
        snapshots: &[SnapshotEntry],
        names: &[String],
    ) -> Entry {
        let folder = self.add_dir(root, name, time, DirSource::Fixed);
        let mut entries = Vec::new();
        for (group, members) in groups {
            let newest = members.last().map_or(time, |&i| time_of(&snapshots[i]));
            let sub = self.add_dir(folder, group.as_bytes(), newest, DirSource::Fixed);
            let links = members
                .iter()
                .map(|&i| {
                    let target = format!("../../snapshots/{}", names[i]);
                    self.add_link(
                        sub,
                        names[i].as_bytes(),
                        target.as_bytes(),
                        time_of(&snapshots[i]),
                    )
                })
                .collect();
            self.set_listing(sub, links);
            entries.push(entry(group.as_bytes(), sub, FileType::Directory));
        }
        self.set_listing(folder, entries);
        entry(name, folder, FileType::Directory)
    }

    fn add_dir(&self, parent: u64, name: &[u8], time: Timestamp, source: DirSource) -> u64 {
        self.inodes.add(Inode {
            parent,
            name: name.to_vec(),
            meta: Meta::virtual_dir(time, self.owner),
            body: Body::Dir(Dir::new(source)),
        })
    }

    fn add_link(&self, parent: u64, name: &[u8], target: &[u8], time: Timestamp) -> Entry {
        let ino = self.inodes.add(Inode {
            parent,
            name: name.to_vec(),
            meta: Meta::virtual_link(target, time, self.owner),
            body: Body::Symlink(target.to_vec()),
        });
        entry(name, ino, FileType::Symlink)
    }

    /// Adds a folder's children (numbered consecutively) and returns their listing.
    fn add_children(&self, inodes: Vec<Inode>) -> Listing {
        let entries: Vec<(Vec<u8>, FileType)> = inodes
            .iter()
            .map(|i| (i.name.clone(), i.meta.kind))
            .collect();
        let first = self.inodes.add_all(inodes);
        Listing::new(
            entries
                .into_iter()
                .enumerate()
                .map(|(i, (name, kind))| Entry {
                    name,
                    ino: first + i as u64,
                    kind,
                })
                .collect(),
        )
    }

    fn set_listing(&self, ino: u64, entries: Vec<Entry>) {
        if let Some(inode) = self.inodes.get(ino) {
            if let Body::Dir(dir) = &inode.body {
                *dir.listing.lock().expect("folder listing") =
                    Some(Arc::new(Listing::new(entries)));
            }
        }
    }
}

fn entry(name: &[u8], ino: u64, kind: FileType) -> Entry {
    Entry {
        name: name.to_vec(),
        ino,
        kind,
    }
}

/// A snapshot's time as a timestamp.
fn time_of(s: &SnapshotEntry) -> Timestamp {
    Timestamp {
        secs: s.snapshot.time.timestamp(),
        nanos: s.snapshot.time.timestamp_subsec_nanos(),
    }
}

/// Folder names for snapshots: their time, `YYYY-MM-DDTHH:MM:SS` as recorded (the backing-up
/// machine's local time), with `-<short id>` added where two share a second.
pub(super) fn snapshot_names(snapshots: &[SnapshotEntry]) -> Vec<String> {
    let times: Vec<String> = snapshots
        .iter()
        .map(|s| s.snapshot.time.format("%Y-%m-%dT%H:%M:%S").to_string())
        .collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &times {
        *count.entry(t).or_default() += 1;
    }
    times
        .iter()
        .zip(snapshots)
        .map(|(t, s)| {
            if count[t.as_str()] > 1 {
                format!("{t}-{}", s.id.short())
            } else {
                t.clone()
            }
        })
        .collect()
}

/// Snapshots (by index, oldest first) grouped under safe folder names.
fn group(
    snapshots: &[SnapshotEntry],
    keys: impl Fn(&SnapshotEntry) -> Vec<String>,
) -> BTreeMap<String, Vec<usize>> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in snapshots.iter().enumerate() {
        let mut names: Vec<String> = keys(s).iter().map(|k| folder_name(k)).collect();
        names.sort();
        names.dedup();
        for name in names {
            groups.entry(name).or_default().push(i);
        }
    }
    groups
}

/// A host or tag as a single path component.
fn folder_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c == '/' || c == '\0' { '_' } else { c })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => format!("_{cleaned}"),
        _ => cleaned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::snapshot::Snapshot;
    use crate::id::SnapshotId;

    fn snapshot(id: u8, time: &str, host: &str, tags: &[&str]) -> SnapshotEntry {
        SnapshotEntry {
            id: SnapshotId([id; 32]),
            snapshot: Snapshot {
                version: 1,
                time: chrono::DateTime::parse_from_rfc3339(time).unwrap(),
                hostname: host.into(),
                username: String::new(),
                paths: vec![],
                tags: tags.iter().map(|t| t.to_string()).collect(),
                tree: BlobId([0; 32]),
                parent: None,
                summary: None,
                program_version: String::new(),
                original: None,
                lost: vec![],
            },
        }
    }

    #[test]
    fn snapshots_sharing_a_second_get_their_short_id() {
        let list = [
            snapshot(1, "2024-05-01T10:00:00.1+02:00", "a", &[]),
            snapshot(2, "2024-05-01T10:00:00.9+02:00", "a", &[]),
            snapshot(3, "2024-05-02T08:00:00+02:00", "a", &[]),
        ];
        assert_eq!(
            snapshot_names(&list),
            [
                "2024-05-01T10:00:00-01010101",
                "2024-05-01T10:00:00-02020202",
                "2024-05-02T08:00:00"
            ]
        );
    }

    #[test]
    fn hosts_and_tags_become_safe_folder_names() {
        let list = [
            snapshot(1, "2024-05-01T10:00:00Z", "laptop", &["daily", "a/b"]),
            snapshot(2, "2024-05-02T10:00:00Z", "..", &["daily", "daily"]),
        ];
        let tags = group(&list, |s| s.snapshot.tags.clone());
        assert_eq!(tags.keys().collect::<Vec<_>>(), ["a_b", "daily"]);
        assert_eq!(tags["daily"], [0, 1]);
        let hosts = group(&list, |s| vec![s.snapshot.hostname.clone()]);
        assert_eq!(hosts.keys().collect::<Vec<_>>(), ["_..", "laptop"]);
    }
}
