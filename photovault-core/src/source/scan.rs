//! Counting what a backup will look at, before it starts: the progress bar's total and ETA.
//!
//! A plain walk of the source folders, on its own thread while the backup runs, with the
//! same excludes; it reads metadata only, and what it cannot read it leaves to the backup
//! to report.

use std::fs;
use std::path::PathBuf;

use super::PathPatterns;

/// The number of files and their bytes under `sources`, without what `excludes` matches.
pub fn count_files(sources: &[PathBuf], excludes: &PathPatterns) -> (u64, u64) {
    let (mut files, mut bytes) = (0u64, 0u64);
    let mut stack: Vec<PathBuf> = sources.to_vec();
    while let Some(path) = stack.pop() {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(listing) = fs::read_dir(&path) {
                for entry in listing.flatten() {
                    let child = entry.path();
                    if !excludes.matches(&child) {
                        stack.push(child);
                    }
                }
            }
        } else if meta.is_file() {
            files += 1;
            bytes += meta.len();
        }
    }
    (files, bytes)
}
