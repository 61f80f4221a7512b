//! Planning a restore: walk the trees, check every name, create folders and symlinks, and
//! hand files to the writer in batches (so memory stays bounded on huge snapshots).

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::ThreadPool;

use rayon::prelude::*;

use super::existing::{is_restore_debris, may_stay, same_content};
use super::hard_links::{self, LinkGroups, LinkJob};
use super::metadata;
use super::progress::RestoreProgress;
use super::writer::{self, FileJob};
use super::{RestoreOptions, RestoreOutcome};
use crate::depth::MAX_DEPTH;
use crate::entry_report::{EntryProblem, EntryReport};
use crate::error::{Error, Result};
use crate::format::tree::{Node, NodeKind};
use crate::id::BlobId;
use crate::repository::IndexedRepository;
use crate::source::PathPatterns;

/// A batch is written once it references this many blobs.
const BATCH_BLOB_REFS: usize = 1 << 20;

struct PendingDir {
    path: PathBuf,
    node: Option<Node>,
    created: bool,
    /// Creating it failed (reported once); nothing below it is restored.
    failed: bool,
}

pub(super) struct Planner<'a> {
    repo: &'a IndexedRepository,
    target: &'a Path,
    include: &'a PathPatterns,
    options: &'a RestoreOptions,
    progress: &'a dyn RestoreProgress,
    pool: &'a ThreadPool,
    stack: Vec<PendingDir>,
    batch: Vec<FileJob>,
    batch_refs: usize,
    dirs_done: Vec<(PathBuf, Node)>,
    /// Hard-link groups below the start, and the later names to link once written.
    links: LinkGroups,
    link_jobs: Vec<LinkJob>,
    /// Files whose writing failed (a later name of their group is written on its own).
    failed: std::collections::HashSet<PathBuf>,
    outcome: RestoreOutcome,
}

impl<'a> Planner<'a> {
    pub(super) fn new(
        repo: &'a IndexedRepository,
        target: &'a Path,
        include: &'a PathPatterns,
        options: &'a RestoreOptions,
        progress: &'a dyn RestoreProgress,
        pool: &'a ThreadPool,
    ) -> Self {
        Planner {
            repo,
            target,
            include,
            options,
            progress,
            pool,
            stack: vec![PendingDir {
                path: target.to_path_buf(),
                node: None,
                created: true,
                failed: false,
            }],
            batch: Vec::new(),
            batch_refs: 0,
            dirs_done: Vec::new(),
            links: LinkGroups::default(),
            link_jobs: Vec::new(),
            failed: Default::default(),
            outcome: RestoreOutcome::default(),
        }
    }

    fn report(&mut self, path: &Path, problem: EntryProblem) {
        let report = EntryReport::new(path, problem);
        self.progress.error(&report);
        self.outcome.errors.push(report);
    }

    /// Restores the node a restore starts at: a folder's content into the target, or a
    /// single file or symlink into it.
    pub(super) fn restore_start(&mut self, start: &Node, snapshot_path: &str) -> Result<()> {
        let progress = self.progress;
        self.links = LinkGroups::find(self.repo, start, &|| progress.cancelled())?;
        let included = self.include.is_empty() || self.include.matches(Path::new(snapshot_path));
        match (start.kind, start.subtree) {
            (NodeKind::Dir, Some(tree)) => {
                self.restore_tree(&tree, self.target.to_path_buf(), snapshot_path, included)
            }
            _ => {
                let path = self.target.join(OsStr::from_bytes(&start.name));
                match start.name_problem() {
                    Some(problem) => self.report(&path, EntryProblem::UnsafeName(problem)),
                    None => self.restore_node(start, path, included),
                }
                Ok(())
            }
        }
    }

    fn restore_tree(
        &mut self,
        tree_id: &BlobId,
        dir: PathBuf,
        snapshot_path: &str,
        included: bool,
    ) -> Result<()> {
        let tree = match self.repo.read_tree(tree_id) {
            Ok(tree) => tree,
            Err(e) => {
                self.report(&dir, EntryProblem::FolderUnreadable(Arc::new(e)));
                return Ok(());
            }
        };
        if included {
            self.tidy(&dir, &tree.nodes);
        }
        let mut previous: Option<&[u8]> = None;
        for node in &tree.nodes {
            if self.progress.cancelled() {
                return Err(Error::Interrupted);
            }
            let path = dir.join(OsStr::from_bytes(&node.name));
            if let Some(problem) = node.name_problem() {
                let shown = dir.join(node.display_name().replace('/', "\u{2215}"));
                self.report(&shown, EntryProblem::UnsafeName(problem));
                continue;
            }
            if previous.is_some_and(|p| p >= node.name.as_slice()) {
                self.report(&path, EntryProblem::OutOfOrder);
                continue;
            }
            previous = Some(&node.name);
            let child_path = format!("{snapshot_path}/{}", node.display_name());
            let child_included = included || self.include.matches(Path::new(&child_path));
            match (node.kind, node.subtree) {
                (NodeKind::Dir, Some(_)) if self.stack.len() > MAX_DEPTH => {
                    self.report(&path, EntryProblem::NestedTooDeep)
                }
                (NodeKind::Dir, Some(subtree)) => {
                    self.stack.push(PendingDir {
                        path: path.clone(),
                        node: Some(node.clone()),
                        created: false,
                        failed: false,
                    });
                    if child_included {
                        self.materialize();
                    }
                    self.restore_tree(&subtree, path, &child_path, child_included)?;
                    self.stack.pop();
                }
                (NodeKind::Dir, None) => self.report(&path, EntryProblem::FolderWithoutContent),
                _ => self.restore_node(node, path, child_included),
            }
            if self.batch_refs >= BATCH_BLOB_REFS {
                self.run_batch();
            }
        }
        Ok(())
    }

    /// Removes from an existing folder the temporary files of an interrupted restore and,
    /// with `delete`, whatever the snapshot's folder does not hold. Never follows a symlink:
    /// a symlink in the way is removed as an entry, not entered.
    fn tidy(&mut self, dir: &Path, nodes: &[Node]) {
        let is_real_dir = fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir());
        let Ok(entries) = fs::read_dir(dir).map(|e| e.flatten().collect::<Vec<_>>()) else {
            return;
        };
        if !is_real_dir {
            return;
        }
        let kept: std::collections::HashSet<&[u8]> =
            nodes.iter().map(|n| n.name.as_slice()).collect();
        for entry in entries {
            let name = entry.file_name();
            let name = name.as_bytes();
            let debris = is_restore_debris(name);
            let foreign = self.options.delete && !kept.contains(name);
            if !debris && !foreign {
                continue;
            }
            let path = entry.path();
            if !self.options.dry_run {
                let is_dir = fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
                let removed = if is_dir {
                    fs::remove_dir_all(&path)
                } else {
                    fs::remove_file(&path)
                };
                if let Err(e) = removed {
                    self.report(&path, EntryProblem::CannotDelete(Arc::new(e)));
                    continue;
                }
            }
            if debris {
                self.outcome.debris_removed += 1;
            } else {
                self.outcome.deleted += 1;
            }
            if self.options.dry_run {
                self.progress.would(&path, super::DryRunAction::Delete);
            }
        }
    }

    /// Creates the folders on the stack that do not exist yet. False if one could not be.
    fn materialize(&mut self) -> bool {
        for i in 0..self.stack.len() {
            if self.stack[i].failed {
                return false;
            }
            if self.stack[i].created {
                continue;
            }
            if self.options.dry_run {
                self.stack[i].created = true;
                continue;
            }
            let path = self.stack[i].path.clone();
            if let Err(e) = create_dir_no_follow(&path) {
                self.stack[i].failed = true;
                self.report(&path, EntryProblem::CannotCreateFolder(Arc::new(e)));
                return false;
            }
            self.stack[i].created = true;
            if let Some(node) = self.stack[i].node.clone() {
                self.outcome.dirs += 1;
                self.dirs_done.push((path, node));
            }
        }
        true
    }

    fn restore_node(&mut self, node: &Node, path: PathBuf, included: bool) {
        if !included || !self.materialize() {
            return;
        }
        match node.kind {
            NodeKind::File => {
                self.progress.planned(1, node.size);
                if let Some(first) = self.links.link_to(&path, node) {
                    self.link_jobs.push(LinkJob {
                        path,
                        node: node.clone(),
                        first,
                    });
                    return;
                }
                self.batch_refs += node.content.len();
                self.batch.push(FileJob {
                    path,
                    node: node.clone(),
                });
            }
            NodeKind::Symlink => {
                let Some(target) = &node.link_target else {
                    self.report(&path, EntryProblem::SymlinkWithoutTarget);
                    return;
                };
                if self.options.dry_run
                    || (self.options.overwrite == super::Overwrite::Never
                        && fs::symlink_metadata(&path).is_ok())
                {
                    return;
                }
                match make_symlink(OsStr::from_bytes(target), &path)
                    .and_then(|_| metadata::apply(&path, node))
                {
                    Ok(()) => self.outcome.symlinks += 1,
                    Err(e) => self.report(&path, EntryProblem::CannotCreateSymlink(Arc::new(e))),
                }
            }
            NodeKind::Dir => {}
        }
    }

    fn run_batch(&mut self) {
        let jobs = std::mem::take(&mut self.batch);
        self.batch_refs = 0;
        let (repo, policy) = (self.repo, self.options.overwrite);
        let decided: Vec<(FileJob, bool)> = self.pool.install(|| {
            jobs.into_par_iter()
                .map(|job| {
                    let stays = may_stay(repo, &job.path, &job.node, policy);
                    (job, stays)
                })
                .collect()
        });
        let mut to_write = Vec::new();
        let mut to_verify = Vec::new();
        for (job, stays) in decided {
            if !stays {
                to_write.push(job);
                continue;
            }
            if self.options.verify {
                if policy == super::Overwrite::IfChanged {
                    // Compared with the snapshot just now, byte for byte.
                    self.outcome.verified += 1;
                } else {
                    to_verify.push((job.path.clone(), job.node.clone()));
                }
            }
            self.outcome.files_skipped += 1;
            self.outcome.bytes_skipped += job.node.size;
            self.progress.skipped(job.node.size);
            if self.options.dry_run {
                self.progress
                    .would(&job.path, super::DryRunAction::Keep(job.node.size));
            }
            if !self.options.dry_run {
                // Left alone, but owner, mode and times are the snapshot's.
                if let Err(e) = metadata::apply(&job.path, &job.node) {
                    self.report(&job.path, EntryProblem::CannotFinish(Arc::new(e)));
                }
            }
        }
        if self.options.dry_run {
            for job in &to_write {
                self.outcome.files += 1;
                self.outcome.bytes += job.node.size;
                self.progress
                    .would(&job.path, super::DryRunAction::Write(job.node.size));
            }
            return;
        }
        let skipped = to_verify.len();
        if self.options.verify {
            to_verify.extend(to_write.iter().map(|j| (j.path.clone(), j.node.clone())));
        }
        let results = writer::write_files(self.repo, to_write, self.pool, self.progress);
        let mut written: Vec<usize> = (0..skipped).collect();
        for (i, result) in results.into_iter().enumerate() {
            match result {
                Ok(size) => {
                    self.outcome.files += 1;
                    self.outcome.bytes += size;
                    written.push(skipped + i);
                }
                Err(report) => {
                    self.failed.insert(report.path.clone());
                    self.progress.error(&report);
                    self.outcome.errors.push(report);
                }
            }
        }
        if self.options.verify {
            self.verify(&to_verify, &written);
        }
    }

    /// Reads the files just written (and those left alone unread) back and compares them
    /// with the snapshot.
    fn verify(&mut self, nodes: &[(PathBuf, Node)], written: &[usize]) {
        let repo = self.repo;
        let checked: Vec<(usize, std::io::Result<bool>)> = self.pool.install(|| {
            written
                .par_iter()
                .map(|&i| (i, same_content(repo, &nodes[i].0, &nodes[i].1)))
                .collect()
        });
        for (i, result) in checked {
            let path = &nodes[i].0;
            match result {
                Ok(true) => self.outcome.verified += 1,
                Ok(false) => self.report(path, EntryProblem::VerifyMismatch),
                Err(e) => self.report(path, EntryProblem::CannotVerify(Arc::new(e))),
            }
        }
    }

    /// Makes the later names of hard-link groups, once every first name is written. A name
    /// whose first could not be written is written on its own.
    fn link_later_names(&mut self) {
        let policy = self.options.overwrite;
        for job in std::mem::take(&mut self.link_jobs) {
            let size = job.node.size;
            if self.options.dry_run {
                self.outcome.files += 1;
                self.progress
                    .would(&job.path, super::DryRunAction::Write(size));
                continue;
            }
            if self.failed.contains(&job.first) {
                self.batch_refs += job.node.content.len();
                self.batch.push(FileJob {
                    path: job.path,
                    node: job.node,
                });
                continue;
            }
            let stays = hard_links::already_linked(&job.first, &job.path)
                || (fs::symlink_metadata(&job.path).is_ok()
                    && may_stay(self.repo, &job.path, &job.node, policy));
            let done = if stays {
                self.outcome.files_skipped += 1;
                self.outcome.bytes_skipped += size;
                self.progress.skipped(size);
                Ok(())
            } else {
                hard_links::link(&job.first, &job.path, &job.node).map(|()| {
                    self.outcome.files += 1;
                    self.outcome.hard_links += 1;
                    self.progress.bytes_done(size);
                    self.progress.file_done(&job.path, size);
                })
            };
            match done.and_then(|()| metadata::apply(&job.path, &job.node)) {
                Ok(()) => {}
                Err(e) => self.report(&job.path, EntryProblem::CannotWrite(Arc::new(e))),
            }
        }
        self.run_batch();
    }

    /// Writes what is left, then sets folder metadata, deepest first.
    pub(super) fn finish(mut self) -> Result<RestoreOutcome> {
        self.run_batch();
        self.link_later_names();
        if self.progress.cancelled() {
            return Err(Error::Interrupted);
        }
        if self.options.dry_run {
            return Ok(self.outcome);
        }
        for (path, node) in std::mem::take(&mut self.dirs_done).iter().rev() {
            if let Err(e) = metadata::apply(path, node) {
                self.report(path, EntryProblem::CannotSetFolderMetadata(Arc::new(e)));
            }
        }
        Ok(self.outcome)
    }
}

/// Creates a folder, or accepts an existing real folder; never one reached through a symlink.
fn create_dir_no_follow(path: &Path) -> io::Result<()> {
    match fs::create_dir(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            if fs::symlink_metadata(path)?.file_type().is_dir() {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "exists and is not a folder",
                ))
            }
        }
        Err(e) => Err(e),
    }
}

/// Creates a symlink, replacing a file or symlink already at `path` (never a folder).
fn make_symlink(target: &OsStr, path: &Path) -> io::Result<()> {
    if let Ok(meta) = fs::symlink_metadata(path) {
        if meta.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a folder is in the way",
            ));
        }
        fs::remove_file(path)?;
    }
    std::os::unix::fs::symlink(target, path)
}
