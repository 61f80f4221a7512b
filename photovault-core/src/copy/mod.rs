//! Copy: snapshots from one repository into another, for the second and third copies of the
//! 3-2-1 rule.
//!
//! Blob ids are keyed per repository and chunk boundaries are seeded per repository, so
//! there are two ways to copy:
//!
//! - **Blob for blob**, when the target was created with
//!   [`InitOptions::chunker_params_from`](crate::InitOptions::chunker_params_from) the source
//!   (or the other way round): ids mean the same in both, so only the blobs the target lacks
//!   are read, sealed again under the target's key and stored; trees are stored as they are.
//! - **Cut again**, between unrelated repositories: every file of a copied
//!   snapshot is read from the source and cut, named and stored as a backup would, and the
//!   trees are written anew with the target's ids. The target stores only chunks it lacks,
//!   but the source's data is read in full.
//!
//! Either way a snapshot is copied once: a source snapshot whose copy the target already
//! has (same time, host and paths, and the same tree or a record that it is the original)
//! is skipped, so running the same copy twice stores nothing. Every blob a copied snapshot
//! needs is stored and indexed before the snapshot is written (SPEC W1).

mod blob_for_blob;
mod content_reader;
mod recut;

use serde::Serialize;

use crate::error::Result;
use crate::format::snapshot::Snapshot;
use crate::id::SnapshotId;
use crate::pack::BlobSaver;
use crate::repository::{IndexedRepository, LockKind, SnapshotEntry};

/// How a copy was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyMethod {
    /// The repositories share blob ids: blobs were copied as they are.
    BlobForBlob,
    /// Unrelated repositories: files were cut and named again.
    Recut,
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CopyReport {
    /// How the blobs moved.
    pub method: CopyMethod,
    /// Source snapshot → its new copy in the target.
    pub copied: Vec<(SnapshotId, SnapshotId)>,
    /// Source snapshots the target already had a copy of.
    pub skipped: Vec<SnapshotId>,
    /// Blobs stored in the target.
    pub blobs_stored: u64,
    /// Their plaintext bytes.
    pub bytes_stored: u64,
    /// What they occupy in the target (compressed and sealed).
    pub bytes_stored_packed: u64,
}

/// Progress of a copy. Every method has a no-op default; `()` implements it.
pub trait CopyProgress: Sync {
    /// Copying of a snapshot begins.
    fn snapshot(&self, _source: &SnapshotId, _snapshot: &Snapshot) {}
    /// Plaintext bytes read from the source.
    fn bytes_read(&self, _bytes: u64) {}
}

impl CopyProgress for () {}

impl IndexedRepository {
    /// Copies `snapshots` of `source` into this repository (see the module documentation).
    /// Takes a shared lock on both. Snapshots the target already has are skipped.
    pub fn copy_from(
        &self,
        source: &IndexedRepository,
        snapshots: &[SnapshotEntry],
        progress: &dyn CopyProgress,
    ) -> Result<CopyReport> {
        let _target_lock = self.lock(LockKind::Shared)?;
        let _source_lock = source.lock_for_reading()?;
        let method = if self.shares_ids_with(source) {
            CopyMethod::BlobForBlob
        } else {
            CopyMethod::Recut
        };
        let present = self.snapshots()?;
        let mut report = CopyReport {
            method,
            copied: Vec::new(),
            skipped: Vec::new(),
            blobs_stored: 0,
            bytes_stored: 0,
            bytes_stored_packed: 0,
        };
        let to_copy: Vec<&SnapshotEntry> = snapshots
            .iter()
            .filter(|s| {
                let there = present.iter().any(|t| is_copy_of(&t.snapshot, s));
                if there {
                    report.skipped.push(s.id);
                }
                !there
            })
            .collect();
        if to_copy.is_empty() {
            return Ok(report);
        }

        let saver = BlobSaver::new(self.clone())?;
        let mut roots = Vec::with_capacity(to_copy.len());
        {
            let mut recutter = recut::Recutter::new(self, source, &saver, progress);
            for s in &to_copy {
                progress.snapshot(&s.id, &s.snapshot);
                let root = match method {
                    CopyMethod::BlobForBlob => {
                        blob_for_blob::copy_trees(self, source, &saver, s.snapshot.tree, progress)?
                    }
                    CopyMethod::Recut => recutter.copy_tree(s.snapshot.tree)?,
                };
                roots.push(root);
            }
        }
        let stats = saver.finish()?;
        report.blobs_stored = stats.blobs;
        report.bytes_stored = stats.raw_bytes;
        report.bytes_stored_packed = stats.stored_bytes;
        for (s, root) in to_copy.into_iter().zip(roots) {
            let mut copy = s.snapshot.clone();
            copy.tree = root;
            copy.original = Some(s.snapshot.original.unwrap_or(s.id));
            let id = self.save_snapshot(&copy)?;
            report.copied.push((s.id, id));
        }
        Ok(report)
    }
}

/// Stores in `target` the thumbnail that `source` has of the content `from`, under the
/// target's name for it (of the content `to`, the same content cut and named by the target),
/// unless the target has one: a copy shows the same previews as the original.
fn copy_thumbnail(
    target: &IndexedRepository,
    source: &IndexedRepository,
    saver: &BlobSaver,
    from: &[crate::id::BlobId],
    to: &[crate::id::BlobId],
) -> Result<()> {
    if from.is_empty() {
        return Ok(());
    }
    let id = target.inner.key.thumbnail_id(to);
    if saver.has_thumbnail(&id)? {
        return Ok(());
    }
    if let Some(image) = source.read_thumbnail(from)? {
        saver.save_thumbnail(id, &image)?;
    }
    Ok(())
}

/// Whether `target` is a copy of `source` (or `source` itself, or both copies of one).
fn is_copy_of(target: &Snapshot, source: &SnapshotEntry) -> bool {
    let s = &source.snapshot;
    let same_origin = target.tree == s.tree
        || target.original == Some(source.id)
        || (s.original.is_some() && target.original == s.original);
    target.time == s.time && target.hostname == s.hostname && target.paths == s.paths && same_origin
}
