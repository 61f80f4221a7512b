//! A file's content in a snapshot as a byte stream, read blob by blob.

use std::io::{self, Read};

use crate::id::BlobId;
use crate::repository::IndexedRepository;

/// Reads the blobs of one file in order, holding one blob at a time.
pub(super) struct ContentReader<'a> {
    repo: &'a IndexedRepository,
    ids: std::slice::Iter<'a, BlobId>,
    current: Vec<u8>,
    at: usize,
    /// The first repository error, kept typed for the caller (the reader itself can only
    /// return an `io::Error`).
    pub(super) error: Option<crate::Error>,
}

impl<'a> ContentReader<'a> {
    pub(super) fn new(repo: &'a IndexedRepository, ids: &'a [BlobId]) -> Self {
        ContentReader {
            repo,
            ids: ids.iter(),
            current: Vec::new(),
            at: 0,
            error: None,
        }
    }
}

impl Read for ContentReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            let Some(id) = self.ids.next() else {
                return Ok(0);
            };
            match self.repo.read_blob(id) {
                Ok(plain) => {
                    self.current = plain;
                    self.at = 0;
                }
                Err(e) => {
                    let shown = io::Error::other(e.to_string());
                    self.error = Some(e);
                    return Err(shown);
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A file's content in a snapshot read at chosen offsets (for the target's container
/// parse, SPEC §12.5): blob lengths come from the index, and the last blob read is kept, so
/// the few small reads of a parse cost a blob or two.
pub(super) struct ContentAt<'a> {
    repo: &'a IndexedRepository,
    ids: &'a [BlobId],
    /// Where each blob starts, and the total length last.
    starts: Vec<u64>,
    last: std::cell::RefCell<Option<(usize, Vec<u8>)>>,
}

impl<'a> ContentAt<'a> {
    pub(super) fn new(repo: &'a IndexedRepository, ids: &'a [BlobId]) -> crate::Result<Self> {
        let index = repo.index();
        let mut starts = Vec::with_capacity(ids.len() + 1);
        let mut at = 0u64;
        for id in ids {
            starts.push(at);
            let entry = index.entry(id)?.ok_or_else(|| crate::Error::Internal {
                what: format!(
                    "blob {} of a copied file is not in the source's index",
                    id.short()
                ),
            })?;
            at += entry.raw_length as u64;
        }
        starts.push(at);
        Ok(ContentAt {
            repo,
            ids,
            starts,
            last: std::cell::RefCell::new(None),
        })
    }
}

impl crate::chunk::ByteSource for ContentAt<'_> {
    fn size(&self) -> u64 {
        *self.starts.last().unwrap_or(&0)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let at = offset + done as u64;
            if at >= self.size() {
                break;
            }
            let blob = self.starts.partition_point(|&s| s <= at) - 1;
            let mut last = self.last.borrow_mut();
            if last.as_ref().is_none_or(|(i, _)| *i != blob) {
                let plain = self
                    .repo
                    .read_blob(&self.ids[blob])
                    .map_err(|e| io::Error::other(e.to_string()))?;
                *last = Some((blob, plain));
            }
            let (_, plain) = last.as_ref().expect("just read");
            let within = (at - self.starts[blob]) as usize;
            let n = (buf.len() - done).min(plain.len().saturating_sub(within));
            if n == 0 {
                break;
            }
            buf[done..done + n].copy_from_slice(&plain[within..within + n]);
            done += n;
        }
        Ok(done)
    }
}
