//! Looking into history: what changed between two backups (`diff`), where a file or a blob
//! is (`find`), what snapshots hold and the repository stores (`stats`), retagging
//! snapshots (`tag`) and reading one file or folder out of a snapshot (`dump`).
//!
//! Most specifications share one story: a small album backed up, then a day of changes
//! (a rename, an edit, a chmod, a deletion and a symlink that became a folder), backed up
//! again. Every entry's mtime is set, so each change is exactly the one made.

mod diff;
mod dump;
mod find;
mod stats;
mod tag;

use std::fs;
use std::path::{Path, PathBuf};

use filetime::FileTime;
use photovault_core::{IndexedRepository, Node};

use crate::support::*;

/// 2020-01-01T00:00:00Z and a few days later: the mtimes the story sets.
pub const JAN_2020: i64 = 1_577_836_800;
pub const JUN_2021: i64 = 1_623_715_200;

/// The album before and after the day of changes, backed up once each.
pub struct Story {
    pub s: Scratch,
    pub src: PathBuf,
    pub before: String,
    pub after: String,
}

impl Story {
    /// `src` as the path inside the snapshots.
    pub fn at(&self, rel: &str) -> String {
        let base = self.src.display().to_string();
        if rel.is_empty() {
            base
        } else {
            format!("{base}/{rel}")
        }
    }

    /// The library's view of the repository.
    pub fn repo(&self) -> IndexedRepository {
        open_with_key(self.s.pv.repo()).0
    }

    /// The node at `rel` below `src` in snapshot `id`.
    pub fn node(&self, id: &str, rel: &str) -> Node {
        let repo = self.repo();
        let snapshot = repo.find_snapshot(id).unwrap().snapshot;
        repo.find_path(&snapshot, &self.at(rel)).unwrap()
    }
}

fn set_mtime(path: &Path, secs: i64, nanos: u32) {
    filetime::set_symlink_file_times(
        path,
        FileTime::from_unix_time(secs, nanos),
        FileTime::from_unix_time(secs, nanos),
    )
    .expect("set mtime");
}

/// The album as it was:
///
/// ```text
/// src/album/a.jpg    3,000 bytes  2020-01-01
/// src/album/b.jpg    5,000 bytes  2021-06-15
/// src/cover.jpg   -> album/a.jpg
/// src/notes.txt          5 bytes  2020-01-01
/// src/old.txt            9 bytes  1969 (before the epoch, with nanoseconds)
/// ```
fn build_before(src: &Path) {
    fs::create_dir_all(src.join("album")).unwrap();
    fs::write(src.join("album/a.jpg"), random_bytes(3000, 1)).unwrap();
    fs::write(src.join("album/b.jpg"), random_bytes(5000, 2)).unwrap();
    fs::write(src.join("notes.txt"), b"notes").unwrap();
    fs::write(src.join("old.txt"), b"old stuff").unwrap();
    chmod(&src.join("album/a.jpg"), 0o644);
    std::os::unix::fs::symlink("album/a.jpg", src.join("cover.jpg")).unwrap();
    set_mtime(&src.join("album/a.jpg"), JAN_2020, 0);
    set_mtime(&src.join("album/b.jpg"), JUN_2021, 250_000_000);
    set_mtime(&src.join("notes.txt"), JAN_2020, 0);
    set_mtime(&src.join("old.txt"), -1_000_000, 500_000_000);
    set_mtime(&src.join("cover.jpg"), JAN_2020, 0);
    set_folder_mtimes(src);
}

fn set_folder_mtimes(src: &Path) {
    set_mtime(&src.join("album"), JAN_2020, 7);
    set_mtime(src, JAN_2020, 8);
}

/// The day of changes: b.jpg renamed to c.jpg, notes.txt edited (5 → 13 bytes), a.jpg
/// made private (mode only), old.txt deleted, and cover.jpg a folder instead of a symlink.
/// Folder mtimes are put back, so that folders show no change of their own.
fn change_day(src: &Path) {
    fs::rename(src.join("album/b.jpg"), src.join("album/c.jpg")).unwrap();
    fs::write(src.join("notes.txt"), b"notes, edited").unwrap();
    set_mtime(&src.join("notes.txt"), JAN_2020, 0);
    chmod(&src.join("album/a.jpg"), 0o600);
    fs::remove_file(src.join("old.txt")).unwrap();
    fs::remove_file(src.join("cover.jpg")).unwrap();
    fs::create_dir(src.join("cover.jpg")).unwrap();
    fs::write(src.join("cover.jpg/inside.txt"), b"inside").unwrap();
    chmod(&src.join("cover.jpg"), 0o755);
    chmod(&src.join("cover.jpg/inside.txt"), 0o644);
    set_mtime(&src.join("cover.jpg/inside.txt"), JUN_2021, 0);
    set_mtime(&src.join("cover.jpg"), JUN_2021, 0);
    set_folder_mtimes(src);
}

/// The story: the album backed up before and after the day of changes.
pub fn story() -> Story {
    let s = Scratch::with_repo();
    let src = s.path("src");
    build_before(&src);
    let before = s.pv.backup(&[&src], &["--tag", "before"])["snapshot_id"]
        .as_str()
        .unwrap()
        .to_string();
    change_day(&src);
    let after = s.pv.backup(&[&src], &["--tag", "after"])["snapshot_id"]
        .as_str()
        .unwrap()
        .to_string();
    Story {
        s,
        src,
        before,
        after,
    }
}
