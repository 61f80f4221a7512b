//! The archiver: turns a directory on disk into tree blobs and data blobs.
//!
//! Each directory lists and sorts its entries, then archives them in parallel; a folder's
//! tree is stored once all its entries are done. Source problems (unreadable files,
//! vanished entries) are reported and leave the entry out; repository problems abort.

use std::cell::RefCell;
use std::fs::{self, File};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::hard_links::{HardLinks, ReadOnce};
use super::parent_index::ParentIndex;
use super::progress::{BackupProgress, FileStatus};
use super::verify_slice::VerifySlice;
use crate::compress::{ContentClass, PROBE_MIN_FILE_SIZE};
use crate::depth::MAX_DEPTH;
use crate::entry_report::{EntryProblem, EntryReport};
use crate::error::{Error, Result};
use crate::format::blob::BlobKind;
use crate::format::snapshot::SnapshotSummary;
use crate::format::tree::{Node, NodeKind, Tree};
use crate::id::{BlobId, SnapshotId};
use crate::media::{probe_exif, probe_movie, MediaKind};
use crate::pack::BlobSaver;
use crate::repository::IndexedRepository;
use crate::source::{node_from_metadata, unchanged_since, PathPatterns};
use crate::thumbnail::HeadVerdict;

thread_local! {
    /// Each worker reuses one read buffer for every file it chunks.
    static READ_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[derive(Default)]
struct Counters {
    files_new: AtomicU64,
    files_changed: AtomicU64,
    files_unmodified: AtomicU64,
    dirs: AtomicU64,
    total_files: AtomicU64,
    total_bytes: AtomicU64,
    bytes_read: AtomicU64,
    files_moved: AtomicU64,
    files_verified: AtomicU64,
    thumbnails_added: AtomicU64,
}

/// What the archiver compares the source with: the parent snapshot, and which unchanged
/// files it reads again.
pub(super) struct Baseline<'a> {
    /// The parent snapshot, if any.
    pub(super) parent: Option<SnapshotId>,
    /// Its files and folders by device and inode.
    pub(super) index: ParentIndex<'a>,
    /// Unchanged files read again to catch damage on the source.
    pub(super) verify: Option<VerifySlice>,
}

pub(super) struct Archiver<'a> {
    repo: IndexedRepository,
    saver: &'a BlobSaver,
    excludes: &'a PathPatterns,
    progress: &'a dyn BackupProgress,
    baseline: Baseline<'a>,
    /// Whether photos and videos whose content is new get a thumbnail.
    thumbnails: bool,
    hard_links: HardLinks,
    counters: Counters,
    errors: Mutex<Vec<EntryReport>>,
    warnings: Mutex<Vec<EntryReport>>,
    damaged: Mutex<Vec<EntryReport>>,
}

impl<'a> Archiver<'a> {
    pub(super) fn new(
        repo: IndexedRepository,
        saver: &'a BlobSaver,
        excludes: &'a PathPatterns,
        progress: &'a dyn BackupProgress,
        baseline: Baseline<'a>,
        thumbnails: bool,
    ) -> Self {
        Archiver {
            repo,
            saver,
            excludes,
            progress,
            baseline,
            thumbnails,
            hard_links: HardLinks::default(),
            counters: Counters::default(),
            errors: Mutex::new(Vec::new()),
            warnings: Mutex::new(Vec::new()),
            damaged: Mutex::new(Vec::new()),
        }
    }

    /// Files found unchanged at another path than the parent snapshot's, and unchanged
    /// files read again to verify them.
    pub(super) fn moved_and_verified(&self) -> (u64, u64) {
        let c = &self.counters;
        (
            c.files_moved.load(Ordering::Relaxed),
            c.files_verified.load(Ordering::Relaxed),
        )
    }

    pub(super) fn take_damaged(&self) -> Vec<EntryReport> {
        std::mem::take(&mut *self.damaged.lock().expect("damaged list"))
    }

    pub(super) fn summary(&self) -> SnapshotSummary {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SnapshotSummary {
            files_new: get(&c.files_new),
            files_changed: get(&c.files_changed),
            files_unmodified: get(&c.files_unmodified),
            dirs: get(&c.dirs),
            total_files: get(&c.total_files),
            total_bytes: get(&c.total_bytes),
            bytes_read: get(&c.bytes_read),
            thumbnails_added: get(&c.thumbnails_added),
            ..Default::default()
        }
    }

    pub(super) fn take_errors(&self) -> Vec<EntryReport> {
        std::mem::take(&mut *self.errors.lock().expect("error list"))
    }

    pub(super) fn take_warnings(&self) -> Vec<EntryReport> {
        std::mem::take(&mut *self.warnings.lock().expect("warning list"))
    }

    fn source_error(&self, path: &Path, source: std::io::Error) {
        self.left_out(path, EntryProblem::Unreadable(Arc::new(source)));
    }

    /// Reports an entry that is not in the snapshot.
    fn left_out(&self, path: &Path, problem: EntryProblem) {
        let report = EntryReport::new(path, problem);
        self.progress.error(&report);
        self.errors.lock().expect("error list").push(report);
    }

    /// Stores the tree of the directory at `dir` and returns its id.
    pub(super) fn save_tree(&self, dir: &Path, tree: &Tree) -> Result<BlobId> {
        let bytes = tree
            .encode_verified()
            .map_err(|damage| Error::WouldNotReadBack {
                what: format!("the tree of {}", dir.display()),
                damage,
            })?;
        Ok(self
            .saver
            .save(BlobKind::Tree, &bytes, ContentClass::Try)?
            .0)
    }

    /// Archives whatever is at `path` as a node called `name`. `Ok(None)`: left out (reported).
    /// `moved`: `parent` is the node of the same name in a folder that was elsewhere in the
    /// parent snapshot (found by its inode).
    pub(super) fn archive_path(
        &self,
        path: &Path,
        name: Vec<u8>,
        parent: Option<&Node>,
        moved: bool,
    ) -> Result<Option<Node>> {
        let meta = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) => {
                self.source_error(path, e);
                return Ok(None);
            }
        };
        let mut node = match node_from_metadata(name, &meta) {
            Ok(node) => node,
            Err(reason) => {
                self.progress.skipped(path, reason);
                return Ok(None);
            }
        };
        match node.kind {
            NodeKind::File => {
                use std::os::unix::fs::MetadataExt;
                self.archive_file(path, node, parent, meta.nlink(), moved)
            }
            NodeKind::Dir if path.components().count() - 1 > MAX_DEPTH => {
                self.left_out(path, EntryProblem::TooDeep);
                Ok(None)
            }
            NodeKind::Dir => self.archive_dir(path, node, parent, moved),
            NodeKind::Symlink => match fs::read_link(path) {
                Ok(target) => {
                    node.link_target = Some(target.as_os_str().as_bytes().to_vec());
                    Ok(Some(node))
                }
                Err(e) => {
                    self.source_error(path, e);
                    Ok(None)
                }
            },
        }
    }

    /// The tree id of the directory at `path`, its entries archived in parallel.
    pub(super) fn archive_dir_tree(
        &self,
        path: &Path,
        parent_tree: Option<&Tree>,
        moved: bool,
    ) -> Result<Option<BlobId>> {
        let listing = match fs::read_dir(path) {
            Ok(listing) => listing,
            Err(e) => {
                self.source_error(path, e);
                return Ok(None);
            }
        };
        let mut entries: Vec<(Vec<u8>, PathBuf)> = Vec::new();
        for entry in listing {
            match entry {
                Ok(entry) => {
                    let child = entry.path();
                    if !self.excludes.matches(&child) {
                        entries.push((entry.file_name().as_bytes().to_vec(), child));
                    }
                }
                Err(e) => self.source_error(path, e),
            }
        }
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let nodes: Vec<Option<Node>> = entries
            .into_par_iter()
            .map(|(name, child)| {
                let parent_node = parent_tree.and_then(|t| t.get(&name));
                self.archive_path(&child, name, parent_node, moved)
            })
            .collect::<Result<_>>()?;
        let mut nodes: Vec<Node> = nodes.into_iter().flatten().collect();
        super::sidecar_dates::add_sidecar_dates(path, &mut nodes);
        let tree = Tree { nodes };
        self.counters.dirs.fetch_add(1, Ordering::Relaxed);
        Ok(Some(self.save_tree(path, &tree)?))
    }

    /// A parent snapshot's tree; unreadable parents only cost re-reading, so errors are `None`.
    pub(super) fn read_parent_tree(&self, id: &BlobId) -> Option<Tree> {
        self.repo.read_tree(id).ok()
    }

    fn archive_dir(
        &self,
        path: &Path,
        mut node: Node,
        parent: Option<&Node>,
        moved: bool,
    ) -> Result<Option<Node>> {
        let (parent_subtree, moved) = match parent {
            Some(Node {
                kind: NodeKind::Dir,
                subtree: Some(id),
                ..
            }) => (Some(*id), moved),
            // Not where the parent had it: a moved or renamed folder finds its old tree.
            _ => match self.baseline.index.moved_dir(&node) {
                Some(id) => (Some(id), true),
                None => (None, moved),
            },
        };
        let parent_tree = parent_subtree.and_then(|id| self.read_parent_tree(&id));
        match self.archive_dir_tree(path, parent_tree.as_ref(), moved)? {
            Some(tree) => {
                node.subtree = Some(tree);
                Ok(Some(node))
            }
            None => Ok(None),
        }
    }

    fn archive_file(
        &self,
        path: &Path,
        mut node: Node,
        parent: Option<&Node>,
        links: u64,
        moved: bool,
    ) -> Result<Option<Node>> {
        let c = &self.counters;
        let unchanged = self.unchanged_in_parent(&node, parent, moved)?;
        let verify = unchanged.is_some()
            && self
                .baseline
                .verify
                .is_some_and(|slice| slice.selects(path));
        if let (Some((before, moved)), false) = (&unchanged, verify) {
            node.content = before.content.clone();
            node.media = before.media.clone();
            c.files_unmodified.fetch_add(1, Ordering::Relaxed);
            if *moved {
                c.files_moved.fetch_add(1, Ordering::Relaxed);
            }
            self.count_file(path, node.size, FileStatus::Unmodified);
            return Ok(Some(node));
        }
        let status = match (&unchanged, parent) {
            (Some(_), _) => FileStatus::Unmodified,
            (None, Some(p)) if p.kind == NodeKind::File => FileStatus::Changed,
            _ => FileStatus::New,
        };
        let read = if unchanged.is_some() {
            // Read again to verify it: never taken from another name.
            self.read_content(path, node.clone())?
        } else {
            match self
                .hard_links
                .read_once(&node, links, || self.read_content(path, node.clone()))?
            {
                ReadOnce::Read(read) => read,
                ReadOnce::Shared(other_name) => {
                    // Another name of a file this backup has read: the same content.
                    node.content = other_name.content;
                    node.media = other_name.media;
                    match status {
                        FileStatus::Changed => c.files_changed.fetch_add(1, Ordering::Relaxed),
                        _ => c.files_new.fetch_add(1, Ordering::Relaxed),
                    };
                    self.count_file(path, node.size, status);
                    return Ok(Some(node));
                }
            }
        };
        let Some(mut node) = read else {
            return Ok(None);
        };
        if unchanged.is_some() {
            c.files_verified.fetch_add(1, Ordering::Relaxed);
        }
        // What the file was, by its metadata: unchanged (read again to verify), or the same
        // file (inode) at the same path with only its ctime changed.
        let compared = unchanged
            .as_ref()
            .map(|(before, _)| before)
            .or(parent.filter(|p| {
                p.kind == NodeKind::File && p.inode == node.inode && p.device == node.device
            }));
        let status = match compared {
            Some(before)
                if before.size == node.size
                    && before.mtime == node.mtime
                    && before.content != node.content =>
            {
                // Same size and mtime, other content: damage, not an edit (SPEC §14.5).
                self.source_damaged(path);
                FileStatus::Changed
            }
            Some(before) if unchanged.is_some() => {
                node.media = before.media.clone().or(node.media);
                if unchanged.as_ref().is_some_and(|(_, moved)| *moved) {
                    c.files_moved.fetch_add(1, Ordering::Relaxed);
                }
                FileStatus::Unmodified
            }
            _ => status,
        };
        match status {
            FileStatus::Changed => c.files_changed.fetch_add(1, Ordering::Relaxed),
            FileStatus::Unmodified => c.files_unmodified.fetch_add(1, Ordering::Relaxed),
            FileStatus::New => c.files_new.fetch_add(1, Ordering::Relaxed),
        };
        self.count_file_read(path, node.size, status, true);
        Ok(Some(node))
    }

    /// Reads and chunks the file at `path`, storing its chunks: `node` with its size,
    /// content and media. `Ok(None)`: it could not be read (reported).
    fn read_content(&self, path: &Path, mut node: Node) -> Result<Option<Node>> {
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.source_error(path, e);
                return Ok(None);
            }
        };
        let mut content = Vec::with_capacity(
            (node.size / self.repo.inner.chunker.params().avg_size as u64 + 1) as usize,
        );
        let mut class = ContentClass::Try;
        let mut media = None;
        let mut thumbnail = (MediaKind::Other, HeadVerdict::NotMedia);
        // The repository's scheme may split the file where its container parts begin.
        let cuts = self.repo.inner.chunker.part_cuts(&file);
        let read = READ_BUFFER.with(|buffer| {
            let mut buffer = buffer.borrow_mut();
            self.repo.inner.chunker.chunk_parts::<_, ChunkError>(
                &file,
                &cuts,
                &mut buffer,
                |chunk, head| {
                    if let Some(head) = head {
                        let kind = MediaKind::from_content(head);
                        if self.thumbnails {
                            let kind = crate::media::identify(head, &node.name);
                            thumbnail = (kind, crate::thumbnail::from_head(kind, head, node.size));
                        }
                        class = ContentClass::of(kind);
                        if node.size >= PROBE_MIN_FILE_SIZE {
                            class = class.probe(head, self.repo.inner.config.compression_level);
                        }
                        media = probe_exif(head);
                    }
                    let (id, _) = self
                        .saver
                        .save(BlobKind::Data, chunk, class)
                        .map_err(ChunkError::Repo)?;
                    content.push(id);
                    self.progress.bytes_done(chunk.len() as u64);
                    Ok(())
                },
            )
        });
        let size = match read {
            Ok(size) => size,
            Err(ChunkError::Io(e)) => {
                self.source_error(path, e);
                return Ok(None);
            }
            Err(ChunkError::Repo(e)) => return Err(e),
        };
        self.warn_if_changed_while_read(path, &file, &node, size);
        node.size = size;
        node.content = content;
        // Movies keep their date in `moov`, often at the end: a few seeks, after chunking.
        node.media = probe_movie(path, &node.name, media);
        self.counters.bytes_read.fetch_add(size, Ordering::Relaxed);
        self.store_thumbnail(path, &node, thumbnail.0, thumbnail.1)?;
        Ok(Some(node))
    }

    /// Stores the thumbnail of a photo or video just read, unless the repository has one
    /// for this content: the embedded preview found in its first chunk, or one made from
    /// the whole file (read again: it was just read, so from the page cache).
    fn store_thumbnail(
        &self,
        path: &Path,
        node: &Node,
        kind: MediaKind,
        verdict: HeadVerdict,
    ) -> Result<()> {
        if matches!(verdict, HeadVerdict::NotMedia | HeadVerdict::Small) || node.content.is_empty()
        {
            return Ok(());
        }
        let id = self.repo.inner.key.thumbnail_id(&node.content);
        if self.saver.has_thumbnail(&id)? {
            return Ok(());
        }
        let image = match verdict {
            HeadVerdict::Embedded(jpeg) => Some(jpeg),
            _ => crate::thumbnail::from_file(path, kind, node.size),
        };
        if let Some(image) = image {
            if self.saver.save_thumbnail(id, &image)? {
                self.counters
                    .thumbnails_added
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    /// The parent snapshot's node of this same, unmodified file, and whether it was found
    /// at another path (SPEC §14.3): first the node of the same name (M1), else, when that
    /// is absent or another file, any node with the same device and inode (M2, M3). Only
    /// nodes whose every blob is still indexed count.
    fn unchanged_in_parent(
        &self,
        now: &Node,
        parent: Option<&Node>,
        moved: bool,
    ) -> Result<Option<(Node, bool)>> {
        if let Some(before) = parent {
            if unchanged_since(before, now) {
                return Ok(self
                    .all_stored(&before.content)?
                    .then(|| (before.clone(), moved)));
            }
            if before.kind == NodeKind::File
                && before.inode == now.inode
                && before.device == now.device
            {
                // The same file, where it was, and changed: read it.
                return Ok(None);
            }
        }
        match self.baseline.index.moved_file(now) {
            Some(before) if self.all_stored(&before.content)? => Ok(Some((before, true))),
            _ => Ok(None),
        }
    }

    /// Reports a file whose content changed although its metadata says it did not.
    fn source_damaged(&self, path: &Path) {
        let Some(good_copy) = self.baseline.parent else {
            return;
        };
        let report = EntryReport::new(path, EntryProblem::SourceDamaged { good_copy });
        self.progress.source_damaged(&report);
        self.damaged.lock().expect("damaged list").push(report);
    }

    /// Says so when a file grew, shrank or was modified while it was read: the snapshot
    /// then holds the bytes read, which may mix the old and the new content.
    fn warn_if_changed_while_read(&self, path: &Path, file: &File, before: &Node, read: u64) {
        use std::os::unix::fs::MetadataExt;
        let after = file.metadata().ok();
        let modified = after.as_ref().is_some_and(|m| {
            m.mtime() != before.mtime.secs || m.mtime_nsec() as u32 != before.mtime.nanos
        });
        if read != before.size || modified {
            let report = EntryReport::new(
                path,
                EntryProblem::ChangedWhileRead {
                    recorded: before.size,
                    read,
                    modified,
                },
            );
            self.progress.warning(&report);
            self.warnings.lock().expect("warning list").push(report);
        }
    }

    fn count_file(&self, path: &Path, size: u64, status: FileStatus) {
        self.count_file_read(path, size, status, false);
    }

    /// `read`: the file's bytes were read (and reported as done) already.
    fn count_file_read(&self, path: &Path, size: u64, status: FileStatus, read: bool) {
        self.counters.total_files.fetch_add(1, Ordering::Relaxed);
        self.counters.total_bytes.fetch_add(size, Ordering::Relaxed);
        if status == FileStatus::Unmodified && !read {
            self.progress.bytes_done(size);
        }
        self.progress.file_done(path, size, status);
    }

    fn all_stored(&self, content: &[BlobId]) -> Result<bool> {
        let index = self.repo.index();
        for id in content {
            if !index.contains(id)? {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// A chunking failure: the source (report and skip the file) or the repository (abort).
enum ChunkError {
    Io(std::io::Error),
    Repo(Error),
}

impl From<std::io::Error> for ChunkError {
    fn from(e: std::io::Error) -> Self {
        ChunkError::Io(e)
    }
}
