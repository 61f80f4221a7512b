//! Comparing the originals on disk with a snapshot, without downloading any content.
//!
//! A backup trusts size and modification time; a disk that rots a photo changes neither, so
//! the damage would only show when someone opens the photo. `verify-source` cuts each local
//! file into chunks exactly as backup would and names each chunk with the repository's
//! keyed id; comparing that list with the snapshot's node needs only the snapshot's trees,
//! never the stored data. Every file is read in full, so it costs a full read of the
//! source (and nothing of the repository's storage but its trees).

use std::cell::RefCell;
use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::depth::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::format::snapshot::Snapshot;
use crate::format::tree::{Node, NodeKind};
use crate::id::BlobId;
use crate::repository::IndexedRepository;
use crate::source::node_from_metadata;

thread_local! {
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// How a local file differs from the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceChange {
    /// Same size and modification time, other content: almost always damage on the source
    /// disk (bit rot), or an edit that restored the file's time.
    Damaged,
    /// Its size or modification time changed: an ordinary edit (content not compared).
    Modified,
    /// In the snapshot, not on disk.
    Missing,
    /// On disk, not in the snapshot.
    New,
    /// Could not be read.
    Unreadable,
}

/// One file that differs.
#[derive(Debug, Clone)]
pub struct SourceDifference {
    /// The local path.
    pub path: PathBuf,
    /// How it differs.
    pub change: SourceChange,
}

/// What a comparison found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct VerifySourceSummary {
    /// Files that are on disk and in the snapshot, unchanged by their metadata, and whose
    /// content was hashed and compared.
    pub files_compared: u64,
    /// Bytes read and hashed.
    pub bytes_hashed: u64,
    /// Files with [`SourceChange::Damaged`].
    pub damaged: u64,
    /// Files with [`SourceChange::Modified`].
    pub modified: u64,
    /// Files with [`SourceChange::Missing`].
    pub missing: u64,
    /// Files with [`SourceChange::New`].
    pub new: u64,
    /// Files with [`SourceChange::Unreadable`].
    pub unreadable: u64,
}

impl VerifySourceSummary {
    fn count(&mut self, change: SourceChange) {
        match change {
            SourceChange::Damaged => self.damaged += 1,
            SourceChange::Modified => self.modified += 1,
            SourceChange::Missing => self.missing += 1,
            SourceChange::New => self.new += 1,
            SourceChange::Unreadable => self.unreadable += 1,
        }
    }
}

impl IndexedRepository {
    /// Compares the local files at `paths` (absolute; empty: the snapshot's own paths) with
    /// `snapshot`, calling `each` for every file that differs, in path order per folder.
    /// Files whose size and modification time match are read and cut into chunks as backup
    /// would cut them; their chunk ids are compared with the snapshot's.
    pub fn verify_source(
        &self,
        snapshot: &Snapshot,
        paths: &[PathBuf],
        each: &mut dyn FnMut(&SourceDifference),
    ) -> Result<VerifySourceSummary> {
        let paths: Vec<PathBuf> = if paths.is_empty() {
            snapshot.paths.iter().map(PathBuf::from).collect()
        } else {
            paths.to_vec()
        };
        let mut summary = VerifySourceSummary::default();
        for path in &paths {
            if !path.is_absolute() {
                return Err(Error::InvalidArgument(format!(
                    "{}: give absolute paths, as the snapshot records them",
                    path.display()
                )));
            }
            let in_snapshot = match self.find_path(snapshot, &path.to_string_lossy()) {
                Ok(node) => Some(node),
                Err(Error::PathNotInSnapshot { .. }) => None,
                Err(e) => return Err(e),
            };
            let mut report = |d: SourceDifference| {
                summary.count(d.change);
                each(&d);
            };
            let on_disk = fs::symlink_metadata(path)
                .ok()
                .and_then(|meta| node_from_metadata(Vec::new(), &meta).ok());
            let (compared, bytes) =
                self.compare_entry(path, on_disk, in_snapshot, 0, &mut report)?;
            summary.files_compared += compared;
            summary.bytes_hashed += bytes;
        }
        Ok(summary)
    }

    /// Compares one entry (and everything below it); returns files compared and bytes read.
    fn compare_entry(
        &self,
        path: &Path,
        local: Option<Node>,
        stored: Option<Node>,
        depth: usize,
        report: &mut dyn FnMut(SourceDifference),
    ) -> Result<(u64, u64)> {
        let mut diff = |change| {
            report(SourceDifference {
                path: path.to_path_buf(),
                change,
            })
        };
        match (local, stored) {
            (None, None) => Ok((0, 0)),
            (Some(l), None) if l.kind == NodeKind::File => {
                diff(SourceChange::New);
                Ok((0, 0))
            }
            (None, Some(s)) if s.kind == NodeKind::File => {
                diff(SourceChange::Missing);
                Ok((0, 0))
            }
            (Some(l), Some(s)) if l.kind == NodeKind::File && s.kind == NodeKind::File => {
                if l.size != s.size || l.mtime != s.mtime {
                    diff(SourceChange::Modified);
                    return Ok((0, 0));
                }
                match self.content_ids(path) {
                    Ok((ids, _)) if ids == s.content => Ok((1, l.size)),
                    Ok(_) => {
                        diff(SourceChange::Damaged);
                        Ok((1, l.size))
                    }
                    Err(_) => {
                        diff(SourceChange::Unreadable);
                        Ok((0, 0))
                    }
                }
            }
            (local, stored) => {
                // Folders (and a file that became a folder or the reverse): both sides'
                // files are compared by name; symlinks are not files and are not compared.
                let local_dir = local.filter(|l| l.kind == NodeKind::Dir);
                let stored_dir = stored.filter(|s| s.kind == NodeKind::Dir);
                if depth > MAX_DEPTH || (local_dir.is_none() && stored_dir.is_none()) {
                    return Ok((0, 0));
                }
                let mut local_entries: Vec<(Vec<u8>, Option<Node>)> = Vec::new();
                if local_dir.is_some() {
                    match fs::read_dir(path) {
                        Ok(listing) => {
                            for entry in listing.flatten() {
                                let name = entry.file_name().as_bytes().to_vec();
                                let node = entry
                                    .metadata()
                                    .ok()
                                    .and_then(|m| node_from_metadata(name.clone(), &m).ok());
                                local_entries.push((name, node));
                            }
                        }
                        Err(_) => diff(SourceChange::Unreadable),
                    }
                }
                local_entries.sort_by(|a, b| a.0.cmp(&b.0));
                let stored_entries = match stored_dir.and_then(|s| s.subtree) {
                    Some(id) => self.read_tree(&id)?.nodes,
                    None => Vec::new(),
                };
                let mut totals = (0, 0);
                let pairs = pair_by_name(local_entries, stored_entries);
                // Files of this folder are hashed in parallel; folders one after another.
                let files: Vec<(PathBuf, Option<Node>, Option<Node>)> = pairs
                    .iter()
                    .filter(|(_, l, s)| is_file_pair(l, s))
                    .map(|(name, l, s)| (path.join(os(name)), l.clone(), s.clone()))
                    .collect();
                let outcomes: Vec<(Vec<SourceDifference>, (u64, u64))> = files
                    .into_par_iter()
                    .map(|(child, l, s)| {
                        let mut found = Vec::new();
                        let counts =
                            self.compare_entry(&child, l, s, depth + 1, &mut |d| found.push(d));
                        counts.map(|c| (found, c))
                    })
                    .collect::<Result<_>>()?;
                for (found, (files, bytes)) in outcomes {
                    found.into_iter().for_each(&mut *report);
                    totals.0 += files;
                    totals.1 += bytes;
                }
                for (name, l, s) in pairs {
                    if is_file_pair(&l, &s) {
                        continue;
                    }
                    let (files, bytes) =
                        self.compare_entry(&path.join(os(&name)), l, s, depth + 1, report)?;
                    totals.0 += files;
                    totals.1 += bytes;
                }
                Ok(totals)
            }
        }
    }

    /// The chunk ids backup would record for the file at `path`, and its length: cut by the
    /// repository's scheme, container parts included.
    pub(crate) fn content_ids(&self, path: &Path) -> io::Result<(Vec<BlobId>, u64)> {
        let file = File::open(path)?;
        let mut ids = Vec::new();
        let cuts = self.inner.chunker.part_cuts(&file);
        let read = READ_BUFFER.with(|buffer| {
            self.inner.chunker.chunk_parts::<_, io::Error>(
                &file,
                &cuts,
                &mut buffer.borrow_mut(),
                |chunk, _head| {
                    ids.push(self.inner.key.blob_id(chunk));
                    Ok(())
                },
            )
        })?;
        Ok((ids, read))
    }
}

fn os(name: &[u8]) -> &std::ffi::OsStr {
    std::ffi::OsStr::from_bytes(name)
}

/// Both sides are files, or one side is a file and the other absent.
fn is_file_pair(local: &Option<Node>, stored: &Option<Node>) -> bool {
    let file = |n: &Option<Node>| n.as_ref().map(|n| n.kind == NodeKind::File);
    matches!(
        (file(local), file(stored)),
        (Some(true), Some(true)) | (Some(true), None) | (None, Some(true))
    )
}

type Pair = (Vec<u8>, Option<Node>, Option<Node>);

/// Local entries and stored nodes, both sorted by name, paired by name.
fn pair_by_name(local: Vec<(Vec<u8>, Option<Node>)>, stored: Vec<Node>) -> Vec<Pair> {
    let mut out = Vec::new();
    let mut local = local.into_iter().peekable();
    let mut stored = stored.into_iter().peekable();
    loop {
        let order = match (local.peek(), stored.peek()) {
            (Some(l), Some(s)) => l.0.cmp(&s.name),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => return out,
        };
        match order {
            std::cmp::Ordering::Less => {
                let (name, node) = local.next().expect("peeked");
                out.push((name, node, None));
            }
            std::cmp::Ordering::Greater => {
                let node = stored.next().expect("peeked");
                if node.name_problem().is_none() {
                    out.push((node.name.clone(), None, Some(node)));
                }
            }
            std::cmp::Ordering::Equal => {
                let (name, node) = local.next().expect("peeked");
                let s = stored.next().expect("peeked");
                out.push((name, node, Some(s)));
            }
        }
    }
}
