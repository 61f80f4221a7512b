//! `prune`: the space of data no snapshot uses comes back, and nothing a snapshot uses is
//! ever lost: not when prune refuses, not when another process runs beside it.

mod beside_backups;
mod reclaiming;
mod refusals;

use std::fs;
use std::path::Path;

use photovault_core::SnapshotId;

use crate::support::*;

/// `count` incompressible files of 50 to 400 KB in two subfolders, so that a 1 MiB pack
/// holds pieces of several files.
pub fn photo_folder(dir: &Path, count: u64, seed: u64) {
    for i in 0..count {
        let sub = dir.join(if i % 2 == 0 { "2023" } else { "2024" });
        fs::create_dir_all(&sub).unwrap();
        let len = 50_000 + (i * 7_919 + seed * 31) % 350_000;
        write_random_file(&sub.join(format!("IMG_{i:04}.jpg")), len, seed * 1000 + i);
    }
}

pub fn pack_bytes(repo: &Path) -> u64 {
    pack_files(repo)
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .sum()
}

pub fn forget(repo: &Path, id: &str) {
    let (repository, _) = open_with_key(repo);
    repository
        .remove_snapshot(&id.parse::<SnapshotId>().unwrap())
        .unwrap();
}

pub fn snapshot_id(summary: &serde_json::Value) -> String {
    summary["snapshot_id"].as_str().unwrap().to_string()
}

pub fn prune_json(s: &Scratch, extra: &[&str]) -> serde_json::Value {
    let args: Vec<&str> = ["--json", "prune"].iter().chain(extra).copied().collect();
    s.pv.ok(args).last_json()
}

/// The history most specifications start from: a backup of `photos`, then `lose` removes
/// photos, a second backup, and the first snapshot forgotten. Returns the second's id.
pub fn history_that_lost_photos(s: &Scratch, photos: &Path, lose: impl FnOnce(&Path)) -> String {
    let first = snapshot_id(&s.pv.backup(&[photos], &[]));
    lose(photos);
    // Losing photos on purpose: the mass-deletion alarm has specifications of its own.
    let second = snapshot_id(
        &s.pv
            .backup(&[photos], &["--mass-deletion-threshold", "100"]),
    );
    forget(s.pv.repo(), &first);
    second
}

/// Removes every `nth` photo (the first, the `nth`+1st, ...).
pub fn every(nth: usize) -> impl FnOnce(&Path) {
    move |photos: &Path| {
        for (i, (path, _)) in list_files(photos).iter().enumerate() {
            if i % nth == 0 {
                fs::remove_file(photos.join(path)).unwrap();
            }
        }
    }
}
