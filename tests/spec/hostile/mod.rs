//! A damaged or hostile repository costs a clear error, never a hang, a crash, a runaway
//! allocation or the loss of what is stored intact. Each specification plants one thing an
//! attacker with write access to the storage (or with the password: a malicious co-user),
//! or a buggy writer, could plant, with the kit in `support/forge.rs`, and states what
//! photovault does about it.
//!
//! The specifications are grouped by what is planted: leftover packs, what stands in an
//! object's place (and index entries and key files), crafted trees, and locks and
//! per-entry reports. This file holds what they share.

mod crafted_trees;
mod leftover_packs;
mod locks_and_reports;
mod stored_objects;

use std::ffi::CString;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use photovault_core::backend::{Backend, FileKind, LocalBackend};
use photovault_core::format::blob::{BlobEntry, BlobKind, Compression};
use photovault_core::format::index_file::IndexedPack;
use photovault_core::format::lock::Lock;
use photovault_core::format::sealed_file;
use photovault_core::{BlobId, NodeKind, PackId, Timestamp};

use crate::support::*;

/// Long enough for anything these repositories hold; a hang blows through it.
const NO_HANG: Duration = Duration::from_secs(120);

/// Exit code of a Rust panic: a hostile repository must never cause one.
const PANICKED: i32 = 101;

/// A folder of three photos, backed up once.
fn backed_up(s: &Scratch) -> PathBuf {
    let src = s.path("photos");
    fs::create_dir(&src).unwrap();
    fs::write(src.join("a.jpg"), random_bytes(40_000, 1)).unwrap();
    fs::write(src.join("b.jpg"), random_bytes(30_000, 2)).unwrap();
    fs::write(src.join("c.jpg"), random_bytes(20_000, 3)).unwrap();
    s.pv.backup(&[&src], &[]);
    src
}

/// The pack holding file data (the larger of a first backup's two packs).
fn data_pack(repo: &Path) -> PathBuf {
    pack_files(repo)
        .into_iter()
        .max_by_key(|p| fs::metadata(p).unwrap().len())
        .expect("a pack")
}

/// Zeroes four bytes in the blob area of a pack (its first blob).
fn damage(pack: &Path) {
    let mut bytes = fs::read(pack).unwrap();
    bytes[100..104].fill(0);
    fs::write(pack, bytes).unwrap();
}

fn mkfifo(path: &Path) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: `c` is a valid NUL-terminated path.
    assert_eq!(
        unsafe { libc::mkfifo(c.as_ptr(), 0o644) },
        0,
        "mkfifo {path:?}"
    );
}

fn snapshot_ids(pv: &Pvault) -> Vec<String> {
    let out = pv.ok(["snapshots", "--json"]);
    out.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// Files below `dir` that a restore left half-written.
fn debris(dir: &Path) -> Vec<PathBuf> {
    list_files(dir)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".pvault-")
        })
        .collect()
}

/// Caps the address space of the command's process, so that an allocation of gigabytes
/// fails (aborting the process) instead of passing unnoticed.
fn limit_address_space(cmd: &mut std::process::Command, bytes: u64) {
    // SAFETY: setrlimit is async-signal-safe and touches no state of the parent.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Lists `entries` for `pack` in a new index file.
fn index_pack(repo: &Path, pack: PackId, entries: Vec<BlobEntry>) {
    let (_, key) = open_with_key(repo);
    write_index(
        &LocalBackend::new(repo),
        &key,
        vec![IndexedPack {
            id: pack,
            blobs: entries,
        }],
    );
}

fn pack_id(path: &Path) -> PackId {
    path.file_name().unwrap().to_str().unwrap().parse().unwrap()
}
