//! [`ByteSource`]: a file's bytes read at chosen offsets, for the container parsers.
//!
//! Backup streams a file through the chunker front to back, but finding where a container's
//! parts begin needs a few small reads elsewhere: the header of the box after a 20 MB
//! `mdat`, the IFD a TIFF names at its end. Positional reads (`pread` on a file, blob
//! lookups in `copy`) leave the stream alone, so the parse and the streaming read never
//! share a cursor. [`Bounded`] counts what the parse reads so garbage cannot make it read
//! much.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

/// Bytes that can be read at any offset: a file, a buffer, a file's content in a snapshot.
pub trait ByteSource {
    /// How many bytes there are.
    fn size(&self) -> u64;
    /// Reads into `buf` from `offset`; returns how many bytes were read (fewer than asked only
    /// at the end, none past it).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
}

impl ByteSource for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

impl ByteSource for File {
    /// The length when asked (a file that changes while it is backed up is reported as
    /// such; its cut points are then merely less useful).
    fn size(&self) -> u64 {
        self.metadata().map(|m| m.len()).unwrap_or(0)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match FileExt::read_at(self, &mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }
}

/// Any [`ByteSource`], sized, so that a `&[u8]` can be used as a `&dyn ByteSource`.
pub(crate) struct AsDyn<'a, S: ?Sized>(pub &'a S);

impl<S: ByteSource + ?Sized> ByteSource for AsDyn<'_, S> {
    fn size(&self) -> u64 {
        self.0.size()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_at(offset, buf)
    }
}

/// The most bytes one parse reads, all reads together: a bound on work for garbage input
/// (a real container needs a few KiB, a TIFF with thousands of strips a few hundred KiB).
pub const READ_BUDGET: u64 = 4 << 20;

/// A [`ByteSource`] of known size whose reads are exact and counted: a read that would pass
/// the end, fail, or exceed [`READ_BUDGET`] is `None`, which the parsers treat as a
/// malformed file.
pub(crate) struct Bounded<'a> {
    source: &'a dyn ByteSource,
    len: u64,
    spent: std::cell::Cell<u64>,
}

impl<'a> Bounded<'a> {
    pub(crate) fn new(source: &'a dyn ByteSource, len: u64) -> Self {
        Bounded {
            source,
            len,
            spent: std::cell::Cell::new(0),
        }
    }

    /// The file's length.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Exactly `n` bytes at `offset`, or `None`.
    pub(crate) fn bytes(&self, offset: u64, n: usize) -> Option<Vec<u8>> {
        let end = offset.checked_add(n as u64)?;
        let spent = self.spent.get() + n as u64;
        if end > self.len || spent > READ_BUDGET {
            return None;
        }
        self.spent.set(spent);
        let mut buf = vec![0u8; n];
        match self.source.read_at(offset, &mut buf) {
            Ok(got) if got == n => Some(buf),
            _ => None,
        }
    }

    /// Exactly `N` bytes at `offset`, or `None`.
    pub(crate) fn array<const N: usize>(&self, offset: u64) -> Option<[u8; N]> {
        self.bytes(offset, N)?.try_into().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_exact_and_within_the_budget() {
        let data = [1u8, 2, 3, 4, 5];
        let source = AsDyn(&data[..]);
        let r = Bounded::new(&source, 5);
        assert_eq!(r.array::<2>(3), Some([4, 5]));
        assert_eq!(r.array::<2>(4), None);
        assert_eq!(r.array::<1>(u64::MAX), None);
        let big = vec![0u8; (READ_BUDGET + 10) as usize];
        let source = AsDyn(&big[..]);
        let r = Bounded::new(&source, big.len() as u64);
        assert!(r.bytes(0, READ_BUDGET as usize).is_some());
        assert_eq!(r.array::<1>(0), None, "the budget is spent");
    }
}
