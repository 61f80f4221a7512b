//! Adding thumbnails to snapshots made without them (`pvault thumbnails`), and reading a
//! file's thumbnail.
//!
//! A thumbnail is named after the content it shows, so adding one changes no tree and no
//! snapshot: the files of the given snapshots that have none get one, made from their
//! content as stored (the originals need not be at hand), and every other snapshot with the
//! same content has it too.

use std::collections::HashSet;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use super::external::TempFile;
use super::make::{self, HeadVerdict};
use crate::error::Result;
use crate::format::blob::BlobKind;
use crate::format::tree::{Node, NodeKind};
use crate::id::BlobId;
use crate::media::MediaKind;
use crate::pack::BlobSaver;
use crate::repository::{IndexedRepository, LockKind, SnapshotEntry};

/// What [`IndexedRepository::add_thumbnails`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ThumbnailReport {
    /// Distinct photo and video contents looked at.
    pub media_files: u64,
    /// Thumbnails stored now.
    pub added: u64,
    /// Contents that had a thumbnail already.
    pub present: u64,
    /// Images no larger than a thumbnail: their own thumbnail, nothing stored.
    pub small: u64,
    /// Contents no thumbnail could be made of (no embedded preview, no decoder or program
    /// for the format, or not decodable): viewers draw a placeholder.
    pub without_source: u64,
    /// Plaintext bytes read from the repository to make them.
    pub bytes_read: u64,
}

/// Progress of [`IndexedRepository::add_thumbnails`]. Every method has a no-op default.
pub trait ThumbnailProgress: Sync {
    /// The photo and video contents found, before thumbnails are made.
    fn found(&self, _files: u64) {}
    /// One content is done (`added`: a thumbnail was stored).
    fn done(&self, _path: &std::path::Path, _added: bool) {}
}

impl ThumbnailProgress for () {}

/// A file to look at: its path in the snapshot, kind by name, and node.
struct Candidate {
    path: PathBuf,
    node: Node,
    thumbnail: BlobId,
}

impl IndexedRepository {
    /// The stored thumbnail of a file whose content is `content`, if the repository has one.
    pub fn read_thumbnail(&self, content: &[BlobId]) -> Result<Option<Vec<u8>>> {
        if content.is_empty() {
            return Ok(None);
        }
        let id = self.inner.key.thumbnail_id(content);
        if !self.index().contains_kind(&id, BlobKind::Thumbnail)? {
            return Ok(None);
        }
        self.read_blob(&id).map(Some)
    }

    /// Makes and stores the missing thumbnails of the photos and videos in `snapshots`
    /// (see the module documentation). Takes a shared lock, like a backup.
    pub fn add_thumbnails(
        &self,
        snapshots: &[SnapshotEntry],
        progress: &dyn ThumbnailProgress,
    ) -> Result<ThumbnailReport> {
        let _lock = self.lock(LockKind::Shared)?;
        let mut report = ThumbnailReport::default();
        let candidates = self.thumbnail_candidates(snapshots, &mut report)?;
        progress.found(report.media_files);
        let saver = BlobSaver::new(self.clone())?;
        let added = AtomicU64::new(0);
        let small = AtomicU64::new(0);
        let without = AtomicU64::new(0);
        let read = AtomicU64::new(0);
        candidates.par_iter().try_for_each(|c| -> Result<()> {
            let (verdict, bytes) = self.thumbnail_of(c)?;
            read.fetch_add(bytes, Ordering::Relaxed);
            let stored = match verdict {
                Some(Made::Image(jpeg)) => saver.save_thumbnail(c.thumbnail, &jpeg)?,
                Some(Made::Small) => {
                    small.fetch_add(1, Ordering::Relaxed);
                    false
                }
                None => {
                    without.fetch_add(1, Ordering::Relaxed);
                    false
                }
            };
            if stored {
                added.fetch_add(1, Ordering::Relaxed);
            }
            progress.done(&c.path, stored);
            Ok(())
        })?;
        saver.finish()?;
        report.added = added.into_inner();
        report.small = small.into_inner();
        report.without_source = without.into_inner();
        report.bytes_read = read.into_inner();
        Ok(report)
    }

    /// The files of `snapshots` that may be photos or videos and have no thumbnail yet,
    /// one per content.
    fn thumbnail_candidates(
        &self,
        snapshots: &[SnapshotEntry],
        report: &mut ThumbnailReport,
    ) -> Result<Vec<Candidate>> {
        let index = self.index();
        let mut trees_seen = HashSet::new();
        let mut contents_seen = HashSet::new();
        let mut out = Vec::new();
        let mut stack: Vec<(BlobId, PathBuf)> = snapshots
            .iter()
            .map(|s| (s.snapshot.tree, PathBuf::from("/")))
            .collect();
        while let Some((tree, path)) = stack.pop() {
            if !trees_seen.insert(tree) {
                continue;
            }
            for node in self.read_tree(&tree)?.nodes {
                let child = path.join(std::ffi::OsStr::from_bytes(&node.name));
                match node.kind {
                    NodeKind::Dir => {
                        if let Some(subtree) = node.subtree {
                            stack.push((subtree, child));
                        }
                    }
                    NodeKind::File if !node.content.is_empty() => {
                        let by_name = MediaKind::from_name(&node.name);
                        if by_name != MediaKind::Other && !make::wants_thumbnail(by_name) {
                            continue;
                        }
                        let thumbnail = self.inner.key.thumbnail_id(&node.content);
                        if !contents_seen.insert(thumbnail) {
                            continue;
                        }
                        if index.contains_kind(&thumbnail, BlobKind::Thumbnail)? {
                            report.present += 1;
                            report.media_files += 1;
                            continue;
                        }
                        out.push(Candidate {
                            path: child,
                            node,
                            thumbnail,
                        });
                    }
                    _ => {}
                }
            }
        }
        // Files named like something else are looked at by their first bytes in
        // `thumbnail_of`; only photos and videos count.
        report.media_files += out
            .iter()
            .filter(|c| make::wants_thumbnail(MediaKind::from_name(&c.node.name)))
            .count() as u64;
        Ok(out)
    }

    /// Makes the thumbnail of one candidate from its stored content: the made image or
    /// what stands for it, and the plaintext bytes read.
    fn thumbnail_of(&self, c: &Candidate) -> Result<(Option<Made>, u64)> {
        let head = self.read_blob(&c.node.content[0])?;
        let mut read = head.len() as u64;
        let kind = crate::media::identify(&head[..head.len().min(64)], &c.node.name);
        match make::from_head(kind, &head, c.node.size) {
            HeadVerdict::NotMedia => Ok((None, read)),
            HeadVerdict::Embedded(jpeg) => Ok((Some(Made::Image(jpeg)), read)),
            HeadVerdict::Small => Ok((Some(Made::Small), read)),
            HeadVerdict::NeedsFile => {
                if !make::decodable(kind) {
                    return Ok((None, read));
                }
                if !make::uses_program(kind) && c.node.size > make::MAX_DECODED_FILE {
                    return Ok((None, read));
                }
                // Programs and decoders alike read the content from a temporary file.
                let write_error = |e: std::io::Error| crate::error::Error::Internal {
                    what: format!("cannot write a temporary file for a thumbnail: {e}"),
                };
                let mut file = TempFile::create("media").map_err(write_error)?;
                file.file().write_all(&head).map_err(write_error)?;
                for id in &c.node.content[1..] {
                    let blob = self.read_blob(id)?;
                    read += blob.len() as u64;
                    file.file().write_all(&blob).map_err(write_error)?;
                }
                file.file().flush().map_err(write_error)?;
                let made = make::from_file(file.path(), kind, c.node.size);
                Ok((made.map(Made::Image), read))
            }
        }
    }
}

/// What making a thumbnail gave.
enum Made {
    /// A thumbnail to store.
    Image(Vec<u8>),
    /// An image that is its own thumbnail.
    Small,
}
