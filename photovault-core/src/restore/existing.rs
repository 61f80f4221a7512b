//! What is already in the target: a file a restore may leave alone, the temporary files a
//! killed restore left, and entries the snapshot does not have (`--delete`).
//!
//! A file counts as already restored when its content hashes, blob by blob, to the
//! snapshot's blob ids (the default, [`Overwrite::IfChanged`]): a restore that was stopped
//! then resumes where it stopped, and a file that differs in any byte is written again,
//! whole, under a temporary name that replaces it only when complete.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use crate::format::tree::Node;
use crate::repository::IndexedRepository;

/// When a restore replaces a file that is already in the target (restic's names).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Overwrite {
    /// Always write the snapshot's file.
    Always,
    /// Write it unless the file there has exactly its content (read and compared blob by
    /// blob); the default.
    #[default]
    IfChanged,
    /// Write it only when the snapshot's file is newer (by modification time) than the one
    /// there.
    IfNewer,
    /// Never replace a file that is there.
    Never,
}

impl std::str::FromStr for Overwrite {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "always" => Ok(Overwrite::Always),
            "if-changed" => Ok(Overwrite::IfChanged),
            "if-newer" => Ok(Overwrite::IfNewer),
            "never" => Ok(Overwrite::Never),
            _ => Err(format!(
                "'{s}' is not an overwrite policy: use always, if-changed, if-newer or never"
            )),
        }
    }
}

/// Whether the file at `path` may stay as it is instead of being written from `node`.
pub(super) fn may_stay(
    repo: &IndexedRepository,
    path: &Path,
    node: &Node,
    policy: Overwrite,
) -> bool {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    match policy {
        Overwrite::Always => false,
        Overwrite::Never => true,
        Overwrite::IfNewer => {
            let there = (meta.mtime(), meta.mtime_nsec());
            let snapshot = (node.mtime.secs, node.mtime.nanos as i64);
            there >= snapshot
        }
        Overwrite::IfChanged => {
            meta.len() == node.size && matches!(same_content(repo, path, node), Ok(true))
        }
    }
}

/// Whether the file at `path` holds exactly the content of `node`: every piece hashes to
/// its blob id, and nothing follows the last.
pub(super) fn same_content(repo: &IndexedRepository, path: &Path, node: &Node) -> io::Result<bool> {
    let mut file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let index = repo.index();
    let mut buffer = Vec::new();
    for id in &node.content {
        let Some(entry) = index.entry(id).map_err(io::Error::other)? else {
            return Ok(false);
        };
        buffer.resize(entry.raw_length as usize, 0);
        if file.read_exact(&mut buffer).is_err() || repo.inner.key.blob_id(&buffer) != *id {
            return Ok(false);
        }
    }
    Ok(file.read(&mut [0u8; 1])? == 0)
}

/// Whether `name` is a temporary file of a restore (`.pvault-<hex>.part`).
pub(super) fn is_restore_debris(name: &[u8]) -> bool {
    name.starts_with(b".pvault-") && name.ends_with(b".part")
}
