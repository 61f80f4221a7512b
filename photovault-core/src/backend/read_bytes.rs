//! Bytes read from a store, wherever the store put them.
//!
//! A read past the page cache ([`Backend::read_once`](super::Backend::read_once)) lands in
//! an aligned buffer that begins at an aligned file offset, so the bytes asked for start
//! somewhere inside it; [`ReadBytes`] hands out just those, without moving them to the
//! front.

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::aligned::{self, AlignedBuf};

/// The bytes of one read.
pub struct ReadBytes {
    storage: Storage,
    start: usize,
    len: usize,
}

enum Storage {
    Plain(Vec<u8>),
    /// Always `Some` until dropped, when it goes back to the pool.
    Aligned(Option<AlignedBuf>),
}

impl ReadBytes {
    /// `len` bytes at `start` of an aligned buffer.
    pub(crate) fn aligned(buf: AlignedBuf, start: usize, len: usize) -> Self {
        assert!(start + len <= buf.len(), "read bytes within their buffer");
        ReadBytes {
            storage: Storage::Aligned(Some(buf)),
            start,
            len,
        }
    }
}

impl From<Vec<u8>> for ReadBytes {
    fn from(bytes: Vec<u8>) -> Self {
        let len = bytes.len();
        ReadBytes {
            storage: Storage::Plain(bytes),
            start: 0,
            len,
        }
    }
}

impl Deref for ReadBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        let all = match &self.storage {
            Storage::Plain(bytes) => bytes.as_slice(),
            Storage::Aligned(buf) => buf.as_ref().expect("buffer until dropped").bytes(),
        };
        &all[self.start..self.start + self.len]
    }
}

impl DerefMut for ReadBytes {
    fn deref_mut(&mut self) -> &mut [u8] {
        let all = match &mut self.storage {
            Storage::Plain(bytes) => bytes.as_mut_slice(),
            Storage::Aligned(buf) => buf.as_mut().expect("buffer until dropped").bytes_mut(),
        };
        &mut all[self.start..self.start + self.len]
    }
}

impl Drop for ReadBytes {
    fn drop(&mut self) {
        if let Storage::Aligned(buf) = &mut self.storage {
            if let Some(buf) = buf.take() {
                aligned::give_back(buf);
            }
        }
    }
}

impl fmt::Debug for ReadBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReadBytes({} bytes)", self.len)
    }
}
