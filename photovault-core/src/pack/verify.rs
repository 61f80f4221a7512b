//! Verifying one pack completely: every byte read once, in pieces, so that memory stays at a
//! few MiB per thread whatever the pack size. `check --read-data` verifies packs this way,
//! and a backup verifies every leftover pack this way before it adopts it.
//!
//! The pack is read front to back in pieces of about [`PIECE`] bytes, each cut where no
//! indexed blob spans the cut. Every piece feeds the pack's hash, and every blob that starts
//! in it is opened and verified from it; the header is read on its own from the tail.

use crate::backend::{Backend, FileKind};
use crate::check::{BlobFault, PackFault, Problem};
use crate::crypto::MasterKey;
use crate::format::blob::{open_blob_in_place, BlobEntry, BlobLocation};
use crate::format::pack_header::MAX_PACK_LEN;
use crate::id::{BlobId, PackId};
use crate::pack::read_header;

/// The largest pack a writer makes (a target of at most 1 GiB, plus one last blob): a pack
/// whose header cannot be read is hashed whole only up to this size.
const HASHED_WITHOUT_HEADER: u64 = (1 << 30) + (64 << 20);

/// Target length of one read.
const PIECE: u64 = 4 << 20;

/// What reading one pack found.
#[derive(Default)]
pub(crate) struct PackReading {
    pub(crate) problems: Vec<Problem>,
    pub(crate) bad: Vec<BlobId>,
    pub(crate) blobs_read: u64,
    pub(crate) bytes_read: u64,
}

/// Reads pack `id` of `size` bytes whose index entries are `indexed`, verifying its hash,
/// its header against the index (with `compare`), and every blob. A pack larger than any
/// pack can be ([`MAX_PACK_LEN`]) is reported without reading it.
pub(crate) fn read_pack(
    backend: &dyn Backend,
    key: &MasterKey,
    id: &PackId,
    size: u64,
    indexed: &[BlobEntry],
    compare: impl Fn(&[BlobEntry]) -> Option<Problem>,
) -> PackReading {
    let mut found = PackReading::default();
    if size > MAX_PACK_LEN {
        found.problems.push(Problem::PackHeader {
            pack: *id,
            error: PackFault::TooLarge {
                size,
                limit: MAX_PACK_LEN,
            },
        });
        found.bad.extend(indexed.iter().map(|e| e.id));
        return found;
    }
    let header_read = match read_header(backend, key, id, size) {
        Ok(header) => {
            found.problems.extend(compare(&header));
            true
        }
        Err(e) => {
            found.problems.push(Problem::PackHeader {
                pack: *id,
                error: PackFault::Header(e.into()),
            });
            false
        }
    };
    let mut sorted: Vec<&BlobEntry> = indexed.iter().collect();
    sorted.sort_by_key(|e| e.offset);
    // The header, read from the tail, says where the blob area ends. Without it, a file
    // larger than any writer's pack (its target of at most 1 GiB, plus a last blob) is not
    // read whole: only the indexed blobs are, so a pack grown into a huge sparse file costs
    // its blobs, not its size, and the whole-file hash is not taken (the damaged header is
    // reported already). A pack of a writer's size is still hashed, to name the damage.
    let hashed = header_read || size <= HASHED_WITHOUT_HEADER;
    let size = if hashed {
        size
    } else {
        sorted.iter().map(|e| e.end()).max().unwrap_or(0).min(size)
    };
    let name = id.to_hex();
    let mut hasher = blake3::Hasher::new();
    let mut scratch = Vec::new(); // decompressed blobs
    let (mut pos, mut next) = (0u64, 0usize);
    while pos < size {
        let first = next;
        let mut end = (pos + PIECE).min(size);
        while next < sorted.len() && (sorted[next].offset as u64) < end {
            end = end.max(sorted[next].end()).min(size);
            next += 1;
        }
        let mut bytes = match backend.read_once(FileKind::Pack, &name, pos, end - pos) {
            Ok(bytes) => bytes,
            Err(e) => {
                found.problems.push(Problem::PackHeader {
                    pack: *id,
                    error: PackFault::Unreadable(crate::Error::from(e).into()),
                });
                found.bad.extend(indexed.iter().map(|e| e.id));
                return found;
            }
        };
        found.bytes_read += bytes.len() as u64;
        hasher.update(&bytes);
        for (k, entry) in sorted.iter().enumerate().take(next).skip(first) {
            let from = (entry.offset as u64 - pos) as usize;
            let overlaps_later = sorted
                .get(k + 1)
                .is_some_and(|later| u64::from(later.offset) < entry.end());
            let result = match bytes.get_mut(from..from + entry.length as usize) {
                Some(stored) => open_blob_in_place(
                    key,
                    &BlobLocation {
                        pack: *id,
                        entry: **entry,
                    },
                    stored,
                    overlaps_later,
                    &mut scratch,
                )
                .map(|_| ())
                .map_err(|e| BlobFault::Damaged(e.into())),
                None => Err(BlobFault::BeyondPackEnd),
            };
            found.blobs_read += 1;
            if let Err(error) = result {
                found.problems.push(Problem::BlobDamaged {
                    pack: *id,
                    blob: entry.id,
                    error,
                });
                found.bad.push(entry.id);
            }
        }
        pos = end;
    }
    for entry in &sorted[next..] {
        // Starts at or beyond the end of the pack.
        found.blobs_read += 1;
        found.problems.push(Problem::BlobDamaged {
            pack: *id,
            blob: entry.id,
            error: BlobFault::BeyondPackEnd,
        });
        found.bad.push(entry.id);
    }
    if hashed && PackId(*hasher.finalize().as_bytes()) != *id {
        found.problems.insert(0, Problem::PackHash { pack: *id });
    }
    found
}
