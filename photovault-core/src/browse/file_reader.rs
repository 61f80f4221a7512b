//! Reading an open file: where each byte range lives, and fetching just those blobs.
//!
//! Opening a file looks up each of its blobs in the index once and keeps the running total
//! of their lengths, so a read at any offset finds its first blob by binary search and
//! fetches only the blobs it covers. Reads that continue where the previous one ended
//! (give or take the kernel's own read-ahead arriving out of order) ask the read-ahead for
//! the next few blobs.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use super::blob_cache::BlobCache;
use super::read_ahead::ReadAhead;
use crate::error::{Error, Result};
use crate::format::blob::BlobLocation;
use crate::format::tree::Node;
use crate::repository::IndexedRepository;

/// How far ahead of a sequential reader blobs are fetched, at most: the window starts at
/// [`READ_AHEAD_START`] and doubles with what was read in sequence, so a program that only
/// reads a file's head (a thumbnailer, `file`) costs little more than that head.
const READ_AHEAD_BYTES: u64 = 16 << 20;
const READ_AHEAD_START: u64 = 1 << 20;
/// At most this many blobs ahead.
const READ_AHEAD_BLOBS: usize = 32;
/// A read starting this close to where the last one ended still counts as sequential.
const SEQUENTIAL_SLACK: u64 = 2 << 20;

/// A file of a snapshot, open for reading byte ranges ([`Browser::open`]). Reads go
/// through the browser's blob cache, shared by every file it opens; a file read from
/// start to end has its next blobs fetched ahead by background threads. Safe to share
/// between threads.
///
/// [`Browser::open`]: super::Browser::open
pub struct OpenFile {
    repo: IndexedRepository,
    cache: Arc<BlobCache>,
    read_ahead: Arc<ReadAhead>,
    blobs: Vec<BlobLocation>,
    /// `ends[i]`: the file offset just past blob `i`.
    ends: Vec<u64>,
    last_end: AtomicU64,
    /// Bytes read in sequence so far.
    streak: AtomicU64,
    /// Blobs before this one have been handed to the read-ahead (or read).
    queued: AtomicUsize,
}

impl OpenFile {
    /// Locates every blob of `node`. Fails if one is missing from the index or the lengths
    /// do not add up to the recorded size.
    pub(super) fn open(
        repo: IndexedRepository,
        cache: Arc<BlobCache>,
        read_ahead: Arc<ReadAhead>,
        node: &Node,
    ) -> Result<OpenFile> {
        let index = repo.index();
        let mut blobs = Vec::with_capacity(node.content.len());
        let mut ends = Vec::with_capacity(node.content.len());
        let mut size = 0u64;
        for id in &node.content {
            let location = index.lookup(id)?.ok_or_else(|| Error::ContentUnreadable {
                reason: format!("data blob {} is missing from the repository", id.short()),
            })?;
            size += location.entry.raw_length as u64;
            blobs.push(location);
            ends.push(size);
        }
        if size != node.size {
            return Err(Error::ContentUnreadable {
                reason: format!(
                    "content adds up to {size} bytes but the snapshot records {}",
                    node.size
                ),
            });
        }
        Ok(OpenFile {
            repo,
            cache,
            read_ahead,
            blobs,
            ends,
            last_end: AtomicU64::new(0),
            streak: AtomicU64::new(0),
            queued: AtomicUsize::new(0),
        })
    }

    /// The file's size.
    pub fn size(&self) -> u64 {
        self.ends.last().copied().unwrap_or(0)
    }

    /// Up to `len` bytes at `offset` (fewer at the end of the file, none past it). Fails
    /// with [`Error::ContentUnreadable`] when a blob the range covers cannot be read; the
    /// rest of the file may still read.
    pub fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>> {
        let end = offset.saturating_add(len as u64).min(self.size());
        if offset >= end {
            return Ok(Vec::new());
        }
        let first = self.ends.partition_point(|&e| e <= offset);
        let mut out = Vec::with_capacity((end - offset) as usize);
        let mut i = first;
        while (out.len() as u64) < end - offset {
            let start = if i == 0 { 0 } else { self.ends[i - 1] };
            let data = self
                .cache
                .get_or_fetch(&self.blobs[i].entry.id, || {
                    fetch(&self.repo, &self.blobs[i])
                })
                .map_err(|reason| Error::ContentUnreadable { reason })?;
            let from = (offset + out.len() as u64 - start) as usize;
            let to = (end.min(self.ends[i]) - start) as usize;
            out.extend_from_slice(&data[from..to]);
            i += 1;
        }
        let previous = self.last_end.swap(end, Ordering::Relaxed);
        if offset == 0 || offset.abs_diff(previous) <= SEQUENTIAL_SLACK {
            let streak = self.streak.fetch_add(end - offset, Ordering::Relaxed) + end - offset;
            self.read_ahead(i, streak);
        } else {
            // A seek: forget what was queued for the old position.
            self.streak.store(0, Ordering::Relaxed);
            self.queued.store(i, Ordering::Relaxed);
        }
        Ok(out)
    }

    /// Queues the blobs from `next` on that lie within the read-ahead window, which grows
    /// with `streak`, the bytes read in sequence.
    fn read_ahead(&self, next: usize, streak: u64) {
        let window = streak
            .saturating_mul(2)
            .clamp(READ_AHEAD_START, READ_AHEAD_BYTES)
            .min(self.cache.capacity() / 4);
        let base = if next == 0 { 0 } else { self.ends[next - 1] };
        let mut j = self.queued.load(Ordering::Relaxed).max(next);
        while j < self.blobs.len() && j < next + READ_AHEAD_BLOBS && self.ends[j] - base <= window {
            let location = &self.blobs[j];
            if !self.cache.contains(&location.entry.id) && !self.read_ahead.request(*location) {
                break; // queue full: try again on the next read
            }
            j += 1;
        }
        self.queued.fetch_max(j, Ordering::Relaxed);
    }
}

/// Reads, decrypts and verifies one blob at a known location.
pub(super) fn fetch(repo: &IndexedRepository, location: &BlobLocation) -> Result<Vec<u8>, String> {
    repo.inner
        .read_blob_at(location)
        .or_else(|first| {
            // Another pack may hold the blob intact.
            repo.read_blob_avoiding(&location.entry.id, Some(location))
                .map_err(|_| first)
        })
        .map_err(|e| e.to_string())
}
