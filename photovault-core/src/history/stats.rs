//! What snapshots hold and what the repository stores for them.
//!
//! One walk gathers every count the modes report (restic's `restore-size`,
//! `files-by-contents`, `raw-data` and `blobs-per-file`): the mode only chooses the headline.
//! Each distinct tree is read once: a folder seen before (in this snapshot or an earlier
//! one) adds the file count and size remembered for it, and its blobs are already counted.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use serde::Serialize;

use crate::backend::FileKind;
use crate::depth::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::format::blob::BlobKind;
use crate::format::tree::{Node, NodeKind};
use crate::id::BlobId;
use crate::repository::{IndexedRepository, SnapshotEntry};

/// Which total [`SnapshotStats`] puts first (restic's `--mode`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatsMode {
    /// The bytes a restore of every chosen snapshot writes: each file counted once per
    /// snapshot it is in.
    #[default]
    RestoreSize,
    /// Files with distinct contents, each counted once.
    FilesByContents,
    /// Distinct blobs (data and trees): their plaintext and stored sizes.
    RawData,
    /// Distinct file contents, and the distinct data blobs they are made of.
    BlobsPerFile,
}

impl FromStr for StatsMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "restore-size" => StatsMode::RestoreSize,
            "files-by-contents" => StatsMode::FilesByContents,
            "raw-data" => StatsMode::RawData,
            "blobs-per-file" => StatsMode::BlobsPerFile,
            other => {
                return Err(Error::InvalidArgument(format!(
                "unknown stats mode '{other}': restore-size, files-by-contents, raw-data or blobs-per-file"
            )))
            }
        })
    }
}

/// Blobs counted once each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct BlobTotals {
    /// How many.
    pub count: u64,
    /// Their plaintext bytes.
    pub plaintext: u64,
    /// The bytes they occupy in packs (compressed and sealed).
    pub stored: u64,
}

impl BlobTotals {
    fn add(&mut self, plaintext: u32, stored: u32) {
        self.count += 1;
        self.plaintext += plaintext as u64;
        self.stored += stored as u64;
    }
}

/// What a set of snapshots holds ([`IndexedRepository::stats`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SnapshotStats {
    /// Which total comes first.
    pub mode: StatsMode,
    /// How many snapshots were counted.
    pub snapshots: u64,
    /// The mode's total size in bytes: the restore size, the size of distinct file
    /// contents, or the plaintext of distinct blobs (data and trees for `raw-data`, data for
    /// `blobs-per-file`).
    pub total_size: u64,
    /// The mode's file count: files per snapshot, or distinct file contents (`None` for
    /// `raw-data`).
    pub total_file_count: Option<u64>,
    /// The mode's blob count (`raw-data`, `blobs-per-file`).
    pub total_blob_count: Option<u64>,
    /// Bytes of every file, each counted once per snapshot it is in.
    pub restore_size: u64,
    /// Files, each counted once per snapshot it is in.
    pub files: u64,
    /// Files with distinct contents (the same blob list is the same content).
    pub distinct_contents: u64,
    /// Bytes of those distinct contents.
    pub distinct_contents_size: u64,
    /// Distinct data blobs the files are made of.
    pub data_blobs: BlobTotals,
    /// Distinct trees (one per distinct folder).
    pub tree_blobs: BlobTotals,
    /// Blobs the snapshots refer to that the index does not have (`check` says more).
    pub missing_blobs: u64,
    /// Restore size divided by the plaintext of the distinct data blobs: how many times
    /// over deduplication stores the data once (`0` when there is no data).
    pub dedup_ratio: f64,
}

/// What the repository stores, whatever the snapshots.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RepositoryStats {
    /// Pack files.
    pub packs: u64,
    /// Their total size in bytes: what the repository's data takes on disk.
    pub pack_bytes: u64,
    /// Distinct data blobs in the index.
    pub data_blobs: BlobTotals,
    /// Distinct tree blobs in the index.
    pub tree_blobs: BlobTotals,
    /// Distinct thumbnails in the index (SPEC §16.6).
    pub thumbnail_blobs: BlobTotals,
    /// Plaintext of all distinct blobs divided by the bytes they are stored in (`0` for an
    /// empty repository).
    pub compression_ratio: f64,
}

/// [`IndexedRepository::stats`]: the snapshots' totals and the repository's.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Stats {
    /// What the chosen snapshots hold.
    pub snapshots: SnapshotStats,
    /// What the repository stores.
    pub repository: RepositoryStats,
}

/// A folder being counted.
struct Frame {
    tree: BlobId,
    nodes: std::vec::IntoIter<Node>,
    files: u64,
    bytes: u64,
}

impl IndexedRepository {
    /// Counts what `snapshots` hold, with `mode` choosing the headline total, and what the
    /// repository stores. Reads each distinct tree once, and the index.
    pub fn stats(&self, snapshots: &[SnapshotEntry], mode: StatsMode) -> Result<Stats> {
        let mut walk = Walk::default();
        for entry in snapshots {
            let (files, bytes) = walk.snapshot(self, entry.snapshot.tree)?;
            walk.out.files += files;
            walk.out.restore_size += bytes;
        }
        let index = self.index();
        let mut out = walk.out;
        for (ids, totals) in [
            (&walk.data, &mut out.data_blobs),
            (&walk.trees, &mut out.tree_blobs),
        ] {
            for id in ids {
                match index.entry(id)? {
                    Some(e) => totals.add(e.raw_length, e.length),
                    None => out.missing_blobs += 1,
                }
            }
        }
        out.mode = mode;
        out.snapshots = snapshots.len() as u64;
        out.dedup_ratio = ratio(out.restore_size, out.data_blobs.plaintext);
        (out.total_size, out.total_file_count, out.total_blob_count) = match mode {
            StatsMode::RestoreSize => (out.restore_size, Some(out.files), None),
            StatsMode::FilesByContents => (
                out.distinct_contents_size,
                Some(out.distinct_contents),
                None,
            ),
            StatsMode::RawData => (
                out.data_blobs.plaintext + out.tree_blobs.plaintext,
                None,
                Some(out.data_blobs.count + out.tree_blobs.count),
            ),
            StatsMode::BlobsPerFile => (
                out.data_blobs.plaintext,
                Some(out.distinct_contents),
                Some(out.data_blobs.count),
            ),
        };
        Ok(Stats {
            snapshots: out,
            repository: self.repository_stats()?,
        })
    }

    fn repository_stats(&self) -> Result<RepositoryStats> {
        let mut out = RepositoryStats::default();
        for pack in self.inner.backend.list(FileKind::Pack)? {
            out.packs += 1;
            out.pack_bytes += pack.size;
        }
        let mut seen: HashSet<(BlobId, BlobKind)> = HashSet::new();
        self.index().for_each_location(&mut |location| {
            let e = location.entry;
            if seen.insert((e.id, e.kind)) {
                match e.kind {
                    BlobKind::Data => out.data_blobs.add(e.raw_length, e.length),
                    BlobKind::Tree => out.tree_blobs.add(e.raw_length, e.length),
                    BlobKind::Thumbnail => out.thumbnail_blobs.add(e.raw_length, e.length),
                }
            }
        })?;
        out.compression_ratio = ratio(
            out.data_blobs.plaintext + out.tree_blobs.plaintext,
            out.data_blobs.stored + out.tree_blobs.stored,
        );
        Ok(out)
    }
}

#[derive(Default)]
struct Walk {
    out: SnapshotStats,
    /// Files and bytes below each tree counted so far.
    counted: HashMap<BlobId, (u64, u64)>,
    /// Distinct contents by the hash of their blob list.
    contents: HashSet<[u8; 32]>,
    data: HashSet<BlobId>,
    trees: HashSet<BlobId>,
}

impl Walk {
    /// The files and bytes below `root`, counting what was not seen before.
    fn snapshot(&mut self, repo: &IndexedRepository, root: BlobId) -> Result<(u64, u64)> {
        if let Some(&known) = self.counted.get(&root) {
            return Ok(known);
        }
        let mut stack = vec![self.enter(repo, root)?];
        loop {
            let top = stack.last_mut().expect("a folder is being counted");
            let Some(node) = top.nodes.next() else {
                let done = stack.pop().expect("a folder is being counted");
                self.counted.insert(done.tree, (done.files, done.bytes));
                match stack.last_mut() {
                    Some(parent) => {
                        parent.files += done.files;
                        parent.bytes += done.bytes;
                        continue;
                    }
                    None => return Ok((done.files, done.bytes)),
                }
            };
            match (node.kind, node.subtree) {
                (NodeKind::File, _) => {
                    top.files += 1;
                    top.bytes += node.size;
                    self.file(&node);
                }
                (NodeKind::Dir, Some(tree)) if node.name_problem().is_none() => {
                    if let Some(&(files, bytes)) = self.counted.get(&tree) {
                        top.files += files;
                        top.bytes += bytes;
                    } else if stack.len() >= MAX_DEPTH {
                        return Err(Error::TooDeep {
                            path: node.display_name(),
                        });
                    } else {
                        let frame = self.enter(repo, tree)?;
                        stack.push(frame);
                    }
                }
                _ => {}
            }
        }
    }

    fn enter(&mut self, repo: &IndexedRepository, tree: BlobId) -> Result<Frame> {
        self.trees.insert(tree);
        Ok(Frame {
            tree,
            nodes: repo.read_tree(&tree)?.nodes.into_iter(),
            files: 0,
            bytes: 0,
        })
    }

    fn file(&mut self, node: &Node) {
        let mut hasher = blake3::Hasher::new();
        for id in &node.content {
            hasher.update(id.as_bytes());
        }
        if self.contents.insert(*hasher.finalize().as_bytes()) {
            self.out.distinct_contents += 1;
            self.out.distinct_contents_size += node.size;
            self.data.extend(node.content.iter().copied());
        }
    }
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}
