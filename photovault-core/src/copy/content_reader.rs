//! A file's content in a snapshot as a byte stream, read blob by blob.

use std::io::{self, Read};

use crate::id::BlobId;
use crate::repository::Repository;

/// Reads the blobs of one file in order, holding one blob at a time.
pub(super) struct ContentReader<'a> {
    repo: &'a Repository,
    ids: std::slice::Iter<'a, BlobId>,
    current: Vec<u8>,
    at: usize,
    /// The first repository error, kept typed for the caller (the reader itself can only
    /// return an `io::Error`).
    pub(super) error: Option<crate::Error>,
}

impl<'a> ContentReader<'a> {
    pub(super) fn new(repo: &'a Repository, ids: &'a [BlobId]) -> Self {
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
