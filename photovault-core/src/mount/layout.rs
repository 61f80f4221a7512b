//! The folders a mount shows, as inodes, built as they are visited:
//!
//! ```text
//! snapshots/<time>/...      each snapshot's tree, laid out as restore lays it out
//! snapshots/latest          -> the newest
//! ids/<short id>            -> ../snapshots/<time>
//! hosts/<host>/<time>       -> ../../snapshots/<time>
//! tags/<tag>/<time>         -> ../../snapshots/<time>
//! timeline/YYYY/MM/...      the photos and videos of one snapshot
//! ```
//!
//! Only the snapshot list is read at mount time. A snapshot folder's tree is read when the
//! folder is first looked into; the timeline's trees when `timeline/` is. The names and
//! the content come from [`crate::browse`]; this is where they get inode numbers.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use fuser::FileType;

use super::inodes::{Body, Dir, DirSource, Entry, Inode, InodeTable, Listing, Meta, Owner, ROOT};
use crate::browse::{snapshot_folders, Browser, LinkCounts};
use crate::format::tree::{NodeKind, Timestamp};
use crate::id::BlobId;
use crate::repository::SnapshotEntry;

/// The mount's folders and the inodes shown so far.
pub(super) struct Layout {
    pub(super) browser: Browser,
    pub(super) inodes: InodeTable,
    owner: Owner,
    /// Per snapshot (by root tree): its hard-linked files and their number of names,
    /// counted when one of its folders is first listed.
    link_counts: Mutex<HashMap<BlobId, Arc<LinkCounts>>>,
    /// The inode number given to each hard-linked file (snapshot root, device, inode), so
    /// that all its names show the same inode, as on the source.
    link_inodes: Mutex<HashMap<(BlobId, u64, u64), u64>>,
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
        browser: Browser,
        snapshots: &[SnapshotEntry],
        timeline: Option<&SnapshotEntry>,
        owner: Owner,
    ) -> Layout {
        let layout = Layout {
            browser,
            inodes: InodeTable::default(),
            owner,
            link_counts: Mutex::new(HashMap::new()),
            link_inodes: Mutex::new(HashMap::new()),
        };
        let now = snapshots.last().map(time_of).unwrap_or_default();
        let root = layout.add_dir(ROOT, b"", now, DirSource::Fixed);
        debug_assert_eq!(root, ROOT);
        let names = snapshot_folders::folder_names(snapshots);

        let folder = layout.add_dir(root, b"snapshots", now, DirSource::Fixed);
        let mut entries: Vec<Entry> = snapshots
            .iter()
            .zip(&names)
            .map(|(s, name)| {
                let ino = layout.add_dir(
                    folder,
                    name.as_bytes(),
                    time_of(s),
                    DirSource::Tree {
                        tree: s.snapshot.tree,
                        root: s.snapshot.tree,
                    },
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
        let ids = snapshot_folders::id_names(snapshots);
        let entries = snapshots
            .iter()
            .zip(&names)
            .zip(&ids)
            .map(|((s, name), id)| {
                let target = format!("../snapshots/{name}");
                layout.add_link(folder, id.as_bytes(), target.as_bytes(), time_of(s))
            })
            .collect();
        layout.set_listing(folder, entries);
        root_entries.push(entry(b"ids", folder, FileType::Directory));

        let by_host = snapshot_folders::by_host(snapshots);
        root_entries.push(layout.add_groups(root, b"hosts", now, by_host, snapshots, &names));
        let by_tag = snapshot_folders::by_tag(snapshots);
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
            DirSource::Tree { tree, root } => self.load_tree(ino, &tree, &root),
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

    /// A snapshot folder's entries: one inode per entry of its tree, except that the names
    /// of a hard-linked file share one.
    fn load_tree(&self, ino: u64, tree: &BlobId, root: &BlobId) -> Result<Listing, String> {
        let folder = self
            .browser
            .list(tree)
            .map_err(|e| format!("folder cannot be read: {e}"))?;
        for (node, problem) in &folder.hidden {
            let shown = self
                .inodes
                .path(ino)
                .join(node.display_name().replace('/', "\u{2215}"));
            super::report(&shown, &format!("entry not shown: {problem}"));
        }
        let counts = self.link_counts(root);
        let mut link_inodes = self.link_inodes.lock().expect("link inodes");
        let mut inodes = Vec::with_capacity(folder.entries.len());
        // Entries whose inode exists already (another name of a linked file), and the
        // positions in `inodes` of the others with the link key they are to be known by.
        let mut existing = Vec::new();
        let mut added = Vec::new();
        for node in folder.entries {
            let mut meta = Meta::of_node(&node);
            let name = node.name.clone();
            let link = (node.kind == NodeKind::File && node.inode != 0)
                .then(|| counts.get(&(node.device, node.inode)))
                .flatten()
                .map(|&count| (count, (*root, node.device, node.inode)));
            if let Some((count, key)) = link {
                meta.nlink = count;
                if let Some(&shared) = link_inodes.get(&key) {
                    existing.push(entry(&name, shared, meta.kind));
                    continue;
                }
            }
            let body = match node.kind {
                NodeKind::Dir => Body::Dir(Dir::new(match node.subtree {
                    Some(tree) => DirSource::Tree { tree, root: *root },
                    None => DirSource::Fixed,
                })),
                NodeKind::Symlink => Body::Symlink(node.link_target.unwrap_or_default()),
                NodeKind::File => Body::File(Arc::new(node)),
            };
            added.push(link.map(|(_, key)| key));
            inodes.push(Inode {
                parent: ino,
                name,
                meta,
                body,
            });
        }
        let entries: Vec<(Vec<u8>, FileType)> = inodes
            .iter()
            .map(|i| (i.name.clone(), i.meta.kind))
            .collect();
        let first = self.inodes.add_all(inodes);
        for (i, key) in added.into_iter().enumerate() {
            if let Some(key) = key {
                link_inodes.insert(key, first + i as u64);
            }
        }
        existing.extend(
            entries
                .into_iter()
                .enumerate()
                .map(|(i, (name, kind))| entry(&name, first + i as u64, kind)),
        );
        Ok(Listing::new(existing))
    }

    /// The hard-link counts of the snapshot whose root tree is `root`, counted once.
    fn link_counts(&self, root: &BlobId) -> Arc<LinkCounts> {
        if let Some(counts) = self.link_counts.lock().expect("link counts").get(root) {
            return counts.clone();
        }
        let counts = Arc::new(self.browser.link_counts(root));
        self.link_counts
            .lock()
            .expect("link counts")
            .insert(*root, counts.clone());
        counts
    }

    /// `timeline/`: walks the whole snapshot, then makes every year and month folder.
    fn load_timeline(&self, ino: u64, meta: &Meta, tree: BlobId) -> Listing {
        let timeline = self.browser.timeline(&tree);
        for (path, e) in &timeline.unreadable {
            super::report(path, &format!("timeline: folder skipped: {e}"));
        }
        let mut years: BTreeMap<i32, Vec<Entry>> = BTreeMap::new();
        let mut year_inos: BTreeMap<i32, u64> = BTreeMap::new();
        for month in timeline.months {
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
