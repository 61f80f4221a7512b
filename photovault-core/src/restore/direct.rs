//! Large restored files are written past the page cache, in aligned pieces.
//!
//! Copying a file's bytes into the page cache is most of what a buffered restore costs the
//! kernel, and on a virtual machine whose free memory the host takes back (free page
//! reporting) every fresh page of that cache costs a fault in the host too: writing 3.6 GB
//! of 6 MB files cost 13-17 s of system time buffered and 0.4 s with `O_DIRECT` on the
//! machine of `benches/RESULTS.md`. So a file of at least [`MIN_SIZE`] also gets a
//! descriptor opened with `O_DIRECT`, and its bytes are gathered into aligned pieces of
//! [`PIECE`] bytes, each written once full ([`DirectFile`]). The pieces in memory are
//! bounded ([`MAX_PIECES`]); what finds none goes the ordinary way, as does the file's
//! last partial piece. A file system that refuses `O_DIRECT`, or a write it refuses, sends
//! the bytes the ordinary way too: this is a speed-up, never a requirement.
//!
//! Durability is unchanged: restore does not fsync restored files either way (SPEC §15).

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::aligned::{AlignedBuf, ALIGN};

/// Files smaller than this are written the ordinary way.
pub(super) const MIN_SIZE: u64 = 1 << 20;

/// Bytes gathered before one aligned write.
const PIECE: usize = 1 << 20;

/// Pieces allocated at most, so that many files waiting for their next blob hold a bounded
/// amount of memory; a file that finds none left is written the ordinary way.
const MAX_PIECES: usize = 8;

/// A buffer of [`PIECE`] bytes at an [`ALIGN`]ed address.
type Piece = AlignedBuf;

/// The pieces of one batch of files.
pub(super) struct Pieces {
    state: Mutex<(Vec<Piece>, usize)>,
    limit: usize,
}

impl Default for Pieces {
    fn default() -> Self {
        Pieces::with_limit(MAX_PIECES)
    }
}

impl Pieces {
    fn with_limit(limit: usize) -> Self {
        Pieces {
            state: Mutex::new((Vec::new(), 0)),
            limit,
        }
    }

    fn take(&self) -> Option<Piece> {
        let mut state = self.state.lock().expect("direct pieces");
        if let Some(piece) = state.0.pop() {
            return Some(piece);
        }
        if state.1 >= self.limit {
            return None;
        }
        state.1 += 1;
        Some(AlignedBuf::new(PIECE))
    }

    fn give_back(&self, piece: Piece) {
        self.state.lock().expect("direct pieces").0.push(piece);
    }
}

/// A large file's aligned pieces, each written with `O_DIRECT` once all its bytes arrived.
///
/// Blobs arrive in any order (a file's blobs may sit in several packs, read on different
/// threads), so each piece of the file gathers its bytes wherever they come from and is
/// written when full. Bytes of the last, partial piece, and of a piece for which no buffer
/// was free when its first byte came, go through the ordinary descriptor; those two kinds
/// of byte ranges never share a page.
pub(super) struct DirectFile {
    /// Opened with `O_DIRECT` for each piece, so that files waiting for their next blob
    /// hold no extra descriptor.
    path: PathBuf,
    size: u64,
    /// Pieces being gathered: piece number, buffer, bytes gathered.
    gathering: HashMap<u64, (Piece, usize)>,
    /// Pieces written the ordinary way (no buffer was free when their first byte came).
    ordinary: HashSet<u64>,
    /// The file system refused a direct write: the rest goes the ordinary way.
    refused: bool,
}

impl DirectFile {
    /// Pieces for the file at `path` (already created, `size` bytes), or `None` when the
    /// file is small.
    pub(super) fn open(path: &Path, size: u64) -> Option<DirectFile> {
        if size < MIN_SIZE {
            return None;
        }
        Some(DirectFile {
            path: path.to_path_buf(),
            size,
            gathering: HashMap::new(),
            ordinary: HashSet::new(),
            refused: false,
        })
    }

    /// Writes `data`, which belongs at `offset`: into pieces where it can, the rest through
    /// `buffered`. Returns the bytes that went the ordinary way.
    pub(super) fn write(
        &mut self,
        mut offset: u64,
        mut data: &[u8],
        buffered: &File,
        pieces: &Pieces,
    ) -> io::Result<u64> {
        let whole_pieces = self.size / PIECE as u64;
        let mut ordinary = 0u64;
        while !data.is_empty() {
            let number = offset / PIECE as u64;
            let within = (offset % PIECE as u64) as usize;
            let n = (PIECE - within).min(data.len());
            let (part, rest) = data.split_at(n);
            // A piece that is gathering keeps gathering even once direct writes are refused:
            // its bytes so far are only in its buffer.
            let piece = match self.gathering.entry(number) {
                Entry::Occupied(gathering) => Some(gathering.into_mut()),
                Entry::Vacant(_)
                    if number >= whole_pieces
                        || self.refused
                        || self.ordinary.contains(&number) =>
                {
                    None
                }
                Entry::Vacant(slot) => match pieces.take() {
                    Some(piece) => Some(slot.insert((piece, 0))),
                    None => {
                        self.ordinary.insert(number);
                        None
                    }
                },
            };
            match piece {
                Some((piece, gathered)) => {
                    piece.bytes_mut()[within..within + n].copy_from_slice(part);
                    *gathered += n;
                    if *gathered == PIECE {
                        let (piece, _) = self.gathering.remove(&number).expect("gathering");
                        let result = self.write_piece(number, &piece, buffered);
                        pieces.give_back(piece);
                        ordinary += result?;
                    }
                }
                None => {
                    buffered.write_all_at(part, offset)?;
                    ordinary += n as u64;
                }
            }
            offset += n as u64;
            data = rest;
        }
        Ok(ordinary)
    }

    /// Writes a full piece with `O_DIRECT`, or what the file system refuses of it through
    /// `buffered`. Returns the bytes that went the ordinary way.
    fn write_piece(&mut self, number: u64, piece: &Piece, buffered: &File) -> io::Result<u64> {
        let start = number * PIECE as u64;
        let bytes = piece.bytes();
        let mut done = 0usize;
        let direct = open_direct(&self.path);
        self.refused |= direct.is_none();
        while done < PIECE && !self.refused {
            let Some(file) = &direct else { break };
            match file.write_at(&bytes[done..], start + done as u64) {
                // A short write leaves an unaligned rest: that goes the ordinary way.
                Ok(n) if n > 0 && (done + n) % ALIGN == 0 => done += n,
                Ok(n) => {
                    done += n;
                    self.refused = true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => self.refused = true,
            }
        }
        buffered.write_all_at(&bytes[done..], start + done as u64)?;
        Ok((PIECE - done) as u64)
    }

    /// Gives back the buffers. Once every byte of the file was written, no piece is still
    /// gathering; one that is means bytes never arrived, which is an error (not a silent
    /// hole) unless the file failed already.
    pub(super) fn finish(self, pieces: &Pieces) -> io::Result<()> {
        let incomplete = !self.gathering.is_empty();
        for (piece, _) in self.gathering.into_values() {
            pieces.give_back(piece);
        }
        if incomplete {
            return Err(io::Error::other(
                "part of the file was never written (an internal error of restore)",
            ));
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_DIRECT | libc::O_NOFOLLOW)
        .open(path)
        .ok()
}

#[cfg(not(target_os = "linux"))]
fn open_direct(_: &Path) -> Option<File> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes a file of `size` bytes as blobs of 1 byte to 300 KiB in a scrambled order,
    /// with `limit` pieces, and returns (what the file holds, what it should hold).
    fn restore_scrambled(size: usize, limit: usize, seed: u64) -> (Vec<u8>, Vec<u8>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("photo.raw");
        let file = File::create(&path).unwrap();
        file.set_len(size as u64).unwrap();
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let expected: Vec<u8> = (0..size).map(|_| next() as u8).collect();
        let mut blobs = Vec::new();
        let mut at = 0;
        while at < size {
            let len = (1 + next() as usize % (300 << 10)).min(size - at);
            blobs.push(at..at + len);
            at += len;
        }
        for i in (1..blobs.len()).rev() {
            blobs.swap(i, next() as usize % (i + 1));
        }
        let pieces = Pieces::with_limit(limit);
        let mut direct = DirectFile::open(&path, size as u64).expect("large enough");
        for blob in blobs {
            direct
                .write(blob.start as u64, &expected[blob], &file, &pieces)
                .unwrap();
        }
        direct.finish(&pieces).unwrap();
        drop(file);
        (std::fs::read(&path).unwrap(), expected)
    }

    #[test]
    fn a_file_written_in_any_order_holds_every_byte_where_it_belongs() {
        for (size, seed) in [
            (MIN_SIZE as usize, 1),
            (4 * PIECE, 2),
            (3 * PIECE + 17, 3),
            (5 * PIECE + PIECE / 2, 4),
        ] {
            let (found, expected) = restore_scrambled(size, MAX_PIECES, seed);
            assert!(found == expected, "{size} bytes, seed {seed}");
        }
    }

    #[test]
    fn without_free_pieces_the_bytes_go_the_ordinary_way() {
        for limit in [0, 1, 2] {
            let (found, expected) = restore_scrambled(6 * PIECE + 4095, limit, 7 + limit as u64);
            assert!(found == expected, "{limit} pieces");
        }
    }

    #[test]
    fn pieces_gathering_when_direct_writes_are_refused_are_written_the_ordinary_way() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pano.tif");
        let size = 4 * PIECE;
        let file = File::create(&path).unwrap();
        file.set_len(size as u64).unwrap();
        let expected: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let pieces = Pieces::default();
        let mut direct = DirectFile::open(&path, size as u64).unwrap();
        let half = PIECE / 2;
        // Pieces 1 and 3 start gathering; then the file system refuses O_DIRECT.
        for at in [PIECE, 3 * PIECE] {
            direct
                .write(at as u64, &expected[at..at + half], &file, &pieces)
                .unwrap();
        }
        direct.refused = true;
        for range in [
            0..PIECE,
            PIECE + half..2 * PIECE,
            2 * PIECE..3 * PIECE,
            3 * PIECE + half..size,
        ] {
            direct
                .write(range.start as u64, &expected[range], &file, &pieces)
                .unwrap();
        }
        direct.finish(&pieces).unwrap();
        drop(file);
        assert!(std::fs::read(&path).unwrap() == expected);
    }

    #[test]
    fn bytes_that_never_arrived_are_an_error_not_a_hole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("video.mov");
        let file = File::create(&path).unwrap();
        file.set_len(2 * PIECE as u64).unwrap();
        let pieces = Pieces::default();
        let mut direct = DirectFile::open(&path, 2 * PIECE as u64).unwrap();
        direct.write(10, &[1; 100], &file, &pieces).unwrap();
        assert!(direct.finish(&pieces).is_err());
    }

    #[test]
    fn small_files_are_left_to_the_page_cache() {
        assert!(DirectFile::open(Path::new("/nonexistent"), MIN_SIZE - 1).is_none());
    }
}
