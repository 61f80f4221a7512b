//! Checking keys, index files and packs, and reading pack data.
//!
//! The packs are compared with the index files as the repository stores them, which this
//! module reads and verifies one by one ([`IndexView`]), not with the shared
//! [`Index`](crate::index::Index) that the tree walk looks blobs up in (`trees.rs`). That is
//! deliberate: the index's local cache mirrors index files by name, so after a file is
//! damaged in place it still answers with what the file said before, and check must judge
//! what the repository holds; and an index loads all or nothing, while check reports each
//! damaged index file and goes on with the others.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use super::{CheckProgress, PackFault, Problem, ReadData};
use crate::backend::FileKind;
use crate::error::Result;
use crate::format::blob::BlobEntry;
use crate::format::key_file::KeyFile;
use crate::id::{BlobId, KeyId, PackId};
use crate::index::read_index_file;
use crate::pack::{read_header, read_pack};
use crate::repository::Repository;

/// What the index files say, pack by pack.
pub(super) struct IndexView {
    pub(super) problems: Vec<Problem>,
    pub(super) packs: HashMap<PackId, Vec<BlobEntry>>,
}

/// What checking the packs found.
#[derive(Default)]
pub(super) struct PackOutcome {
    pub(super) problems: Vec<Problem>,
    pub(super) unused: Vec<PackId>,
    pub(super) bad_blobs: Vec<BlobId>,
    pub(super) packs: u64,
    pub(super) packs_read: u64,
    pub(super) blobs_read: u64,
    pub(super) bytes_read: u64,
}

pub(super) fn check_keys(repo: &Repository) -> Result<Vec<Problem>> {
    let backend = repo.backend();
    let mut problems = Vec::new();
    for file in backend.list(FileKind::Key)? {
        let parsed = backend
            .read_all(FileKind::Key, &file.name)
            .map_err(crate::Error::from)
            .and_then(|bytes| {
                // Key files are not authenticated; their name is their checksum (SPEC R1), so a
                // change to their metadata is found even when the key still unwraps.
                if KeyId::hash_of(&bytes).to_hex() != file.name {
                    return Err(crate::Error::damaged(
                        format!("key file {}", &file.name[..file.name.len().min(8)]),
                        crate::Damage::IdMismatch,
                    ));
                }
                KeyFile::decode(&bytes, &file.name)
            });
        if let Err(e) = parsed {
            problems.push(Problem::KeyFile {
                name: file.name,
                error: e.into(),
            });
        }
    }
    Ok(problems)
}

pub(super) fn check_index_files(
    repo: &Repository,
    progress: &dyn CheckProgress,
) -> Result<IndexView> {
    let names = repo.backend().list(FileKind::Index)?;
    progress.phase("index", names.len() as u64);
    let results: Vec<_> = names
        .par_iter()
        .map(|f| {
            let r = read_index_file(repo.backend().as_ref(), &repo.inner.key, &f.name);
            progress.advance(1);
            (f.name.clone(), r)
        })
        .collect();
    let mut view = IndexView {
        problems: Vec::new(),
        packs: HashMap::new(),
    };
    for (name, result) in results {
        match result {
            Ok((_, file)) => {
                for pack in file.packs {
                    view.packs.entry(pack.id).or_default().extend(pack.blobs);
                }
            }
            // Removed since it was listed: a prune replaced it (its packs then show as
            // unused, which is harmless), it is not damage.
            Err(crate::Error::Backend(e)) if e.is_not_found() => {}
            Err(e) => view.problems.push(Problem::IndexFile {
                name,
                error: e.into(),
            }),
        }
    }
    // A pack listed by several index files: each blob once.
    for entries in view.packs.values_mut() {
        entries.sort_by_key(|e| e.id);
        entries.dedup_by(|a, b| a.id == b.id);
    }
    Ok(view)
}

pub(super) fn check_packs(
    repo: &Repository,
    view: &IndexView,
    read_data: &ReadData,
    progress: &dyn CheckProgress,
) -> Result<PackOutcome> {
    let backend = repo.backend().as_ref();
    let listed: HashMap<PackId, u64> = repo
        .backend()
        .list(FileKind::Pack)?
        .into_iter()
        .filter_map(|f| f.name.parse::<PackId>().ok().map(|id| (id, f.size)))
        .collect();
    let mut outcome = PackOutcome::default();
    let mut present: Vec<(PackId, u64)> = Vec::new();
    for (pack, entries) in &view.packs {
        match listed.get(pack) {
            Some(&size) => present.push((*pack, size)),
            None => {
                outcome.problems.push(Problem::PackMissing {
                    pack: *pack,
                    blobs: entries.len(),
                });
                outcome.bad_blobs.extend(entries.iter().map(|e| e.id));
            }
        }
    }
    present.sort();
    outcome.unused = listed
        .keys()
        .filter(|id| !view.packs.contains_key(id))
        .copied()
        .collect();
    outcome.unused.sort();
    outcome.packs = present.len() as u64;

    let to_read: HashSet<PackId> = read_data
        .select(&present)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let found = Mutex::new(PackOutcome::default());
    let (blobs_read, bytes_read) = (AtomicU64::new(0), AtomicU64::new(0));

    progress.phase("packs", present.len() as u64);
    present
        .par_iter()
        .filter(|(id, _)| !to_read.contains(id))
        .for_each(|(id, size)| {
            let problem = match read_header(repo.backend().as_ref(), &repo.inner.key, id, *size) {
                Ok(header) => compare(id, &header, &view.packs[id]),
                Err(e) => Some(Problem::PackHeader {
                    pack: *id,
                    error: PackFault::Header(e.into()),
                }),
            };
            if let Some(p) = problem {
                found.lock().expect("findings").problems.push(p);
            }
            progress.advance(1);
        });

    let data_bytes: u64 = present
        .iter()
        .filter(|(id, _)| to_read.contains(id))
        .map(|(_, s)| s)
        .sum();
    progress.phase("data", data_bytes);
    present
        .par_iter()
        .filter(|(id, _)| to_read.contains(id))
        .for_each(|(id, size)| {
            let indexed = &view.packs[id];
            let reading = read_pack(backend, &repo.inner.key, id, *size, indexed, |header| {
                compare(id, header, indexed)
            });
            blobs_read.fetch_add(reading.blobs_read, Ordering::Relaxed);
            bytes_read.fetch_add(reading.bytes_read, Ordering::Relaxed);
            let (problems, bad) = (reading.problems, reading.bad);
            let mut f = found.lock().expect("findings");
            f.problems.extend(problems);
            f.bad_blobs.extend(bad);
            f.packs_read += 1;
            drop(f);
            progress.advance(*size);
        });

    let f = found.into_inner().expect("findings");
    outcome.problems.extend(f.problems);
    outcome.bad_blobs.extend(f.bad_blobs);
    outcome.bad_blobs = lost_everywhere(view, outcome.bad_blobs);
    outcome.packs_read = f.packs_read;
    outcome.blobs_read = blobs_read.into_inner();
    outcome.bytes_read = bytes_read.into_inner();
    Ok(outcome)
}

/// Of the blobs found bad in some pack, those that no pack holds intact: a blob stored in
/// several packs is lost only when every copy is missing or damaged (`bad` lists a blob once
/// per bad copy).
fn lost_everywhere(view: &IndexView, bad: Vec<BlobId>) -> Vec<BlobId> {
    let mut bad_copies: HashMap<BlobId, usize> = HashMap::new();
    for id in bad {
        *bad_copies.entry(id).or_default() += 1;
    }
    let mut copies: HashMap<BlobId, usize> = HashMap::new();
    for entries in view.packs.values() {
        for entry in entries {
            if bad_copies.contains_key(&entry.id) {
                *copies.entry(entry.id).or_default() += 1;
            }
        }
    }
    let mut lost: Vec<BlobId> = bad_copies
        .into_iter()
        .filter(|(id, bad)| *bad >= copies.get(id).copied().unwrap_or(0))
        .map(|(id, _)| id)
        .collect();
    lost.sort();
    lost
}

/// Whether a pack's header lists exactly what the index says it holds.
fn compare(pack: &PackId, header: &[BlobEntry], indexed: &[BlobEntry]) -> Option<Problem> {
    let header_set: HashMap<BlobId, &BlobEntry> = header.iter().map(|e| (e.id, e)).collect();
    for e in indexed {
        match header_set.get(&e.id) {
            None => {
                return Some(Problem::PackHeader {
                    pack: *pack,
                    error: PackFault::BlobNotInHeader { blob: e.id },
                })
            }
            Some(h) if *h != e => {
                return Some(Problem::PackHeader {
                    pack: *pack,
                    error: PackFault::LocationDisagrees { blob: e.id },
                })
            }
            _ => {}
        }
    }
    None
}
