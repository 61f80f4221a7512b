//! Restoring a selection to a folder of the serving machine, through
//! [`IndexedRepository::restore`](crate::IndexedRepository::restore) and so with its safety rules (names
//! that could escape the target are refused, files are written under temporary names and
//! renamed when complete). From a web page, two more: the target must be an absolute
//! path, and a file already there is never replaced. The whole selection is planned first
//! (a dry run of every path) and nothing is written if any path fails.

use std::path::Path;

use serde::Serialize;

use super::error::ServeError;
use super::paths::SnapshotPath;
use crate::format::snapshot::Snapshot;
use crate::format::tree::NodeKind;
use crate::repository::IndexedRepository;
use crate::restore::{Overwrite, RestoreOptions};

/// What restoring a selection did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SelectionRestore {
    /// Files written.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Files left alone because something was there already.
    pub skipped: u64,
    /// Entries that could not be restored, and why.
    pub errors: Vec<String>,
}

/// Restores each of `paths` of `snapshot` into `target` (a folder's content into a folder
/// of its name, a file by its name), never replacing a file.
pub fn restore_selection(
    repo: &IndexedRepository,
    snapshot: &Snapshot,
    paths: &[SnapshotPath],
    target: &Path,
) -> Result<SelectionRestore, ServeError> {
    if !target.is_absolute() {
        return Err(ServeError::BadRequest(format!(
            "the restore target must be an absolute path, not '{}'",
            target.display()
        )));
    }
    if paths.is_empty() {
        return Err(ServeError::BadRequest("nothing is selected".into()));
    }
    let options = |dry_run| RestoreOptions {
        overwrite: Overwrite::Never,
        dry_run,
        ..RestoreOptions::default()
    };
    // Plan: every path must be found, and the target usable, before anything is written.
    let mut planned = Vec::new();
    for path in paths {
        let node = repo.find_path(snapshot, &path.as_lookup())?;
        let to = match node.kind {
            // A folder's content goes into the folder given, so give it one of its name.
            NodeKind::Dir if !path.components().is_empty() => target.join(path.file_name()),
            _ => target.to_path_buf(),
        };
        repo.restore(snapshot, &path.as_lookup(), &to, &options(true), &())?;
        planned.push((path, to));
    }
    let mut done = SelectionRestore::default();
    for (path, to) in planned {
        let outcome = repo.restore(snapshot, &path.as_lookup(), &to, &options(false), &())?;
        done.files += outcome.files;
        done.bytes += outcome.bytes;
        done.skipped += outcome.files_skipped;
        done.errors
            .extend(outcome.errors.iter().map(|e| e.to_string()));
    }
    Ok(done)
}
