//! Read-ahead: background threads that fetch the blobs a sequential reader will want next
//! into the blob cache, so decryption runs in parallel with the reader instead of in its way.
//!
//! Requests go through a bounded queue; when it is full a request is dropped (the reader
//! asks again on its next read), so a burst of readers never piles up work or memory. A
//! failed fetch is dropped silently: the reader fetches again and reports it.

use std::sync::Arc;
use std::thread::JoinHandle;

use crossbeam_channel::{bounded, Sender, TrySendError};

use super::blob_cache::BlobCache;
use super::file_reader::fetch;
use crate::format::blob::BlobLocation;
use crate::repository::IndexedRepository;

/// Requests waiting, at most.
const QUEUE: usize = 64;

/// The read-ahead threads.
pub(super) struct ReadAhead {
    sender: Option<Sender<BlobLocation>>,
    threads: Vec<JoinHandle<()>>,
}

impl ReadAhead {
    /// Starts `threads` fetchers (0: none, and requests are refused).
    pub(super) fn new(repo: IndexedRepository, cache: Arc<BlobCache>, threads: usize) -> Self {
        let (sender, receiver) = bounded::<BlobLocation>(QUEUE);
        let threads = (0..threads)
            .filter_map(|i| {
                let (repo, cache, receiver) = (repo.clone(), cache.clone(), receiver.clone());
                std::thread::Builder::new()
                    .name(format!("pvault-readahead-{i}"))
                    .spawn(move || {
                        for location in receiver {
                            let _ =
                                cache.get_or_fetch(&location.entry.id, || fetch(&repo, &location));
                        }
                    })
                    .ok()
            })
            .collect::<Vec<_>>();
        ReadAhead {
            sender: (!threads.is_empty()).then_some(sender),
            threads,
        }
    }

    /// Asks for a blob to be fetched. False if the queue is full (or there are no threads).
    pub(super) fn request(&self, location: BlobLocation) -> bool {
        match &self.sender {
            Some(sender) => match sender.try_send(location) {
                Ok(()) => true,
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
            },
            None => false,
        }
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.sender = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}
