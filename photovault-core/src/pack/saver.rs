//! The blob saver: dedup, compress, seal, pack and upload, from any number of threads.
//!
//! Invariant: a blob id is in at most one of three places, in this order of its life:
//! the in-flight set (queued in an open pack or being uploaded), the index's pending set
//! (pack stored, index file not yet written), the index. `save` checks all three before
//! storing, so concurrent threads never store the same blob twice.

use std::cell::RefCell;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, ThreadId};

use crossbeam_channel::{bounded, Sender};

use crate::backend::FileKind;
use crate::compress::{compress_into, compression_for, ContentClass};
use crate::error::{Error, Result};
use crate::format::blob::{seal_blob, BlobKind, Compression};
use crate::format::index_file::IndexedPack;
use crate::id::BlobId;
use crate::pack::{FinishedPack, Packer};
use crate::repository::IndexedRepository;

/// Per-thread buffers for one blob's compressed and sealed forms, reused for every blob.
struct Scratch {
    compressed: Vec<u8>,
    sealed: Vec<u8>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = const {
        RefCell::new(Scratch { compressed: Vec::new(), sealed: Vec::new() })
    };
}

/// What a saver stored, for the snapshot summary.
#[derive(Debug, Default, Clone, Copy)]
pub struct SaveStats {
    /// Blobs stored.
    pub blobs: u64,
    /// Their plaintext bytes.
    pub raw_bytes: u64,
    /// Their stored (compressed, sealed) bytes.
    pub stored_bytes: u64,
    /// Of the plaintext bytes, those of thumbnails (a tier of their own, counted apart too).
    pub thumbnail_bytes: u64,
}

pub(crate) struct BlobSaver {
    repo: IndexedRepository,
    /// Open packs not in use by a thread: a thread takes one, adds a blob, puts it back,
    /// so threads never wait for each other while sealing and writing.
    data: OpenPacks,
    trees: OpenPacks,
    thumbnails: OpenPacks,
    pack_size: usize,
    in_flight: Arc<Mutex<HashSet<(BlobId, BlobKind)>>>,
    uploads: Option<Sender<FinishedPack>>,
    uploaders: Vec<JoinHandle<Result<()>>>,
    blobs: AtomicU64,
    raw_bytes: AtomicU64,
    stored_bytes: AtomicU64,
    thumbnail_bytes: AtomicU64,
}

impl BlobSaver {
    pub(crate) fn new(repo: IndexedRepository) -> Result<Self> {
        let pack_size = repo.inner.config.pack_size as usize;
        // Packs are in files by now; the queue only bounds how far hashing runs ahead of
        // the store. A network store takes several uploads at once, each from its own
        // thread; a local disk one.
        let uploaders = repo.inner.backend.parallel_writes().max(1);
        let (tx, rx) = bounded::<FinishedPack>(uploaders.max(2));
        let in_flight = Arc::new(Mutex::new(HashSet::new()));
        let uploader = (0..uploaders)
            .map(|n| {
                let repo = repo.clone();
                let in_flight = Arc::clone(&in_flight);
                let rx = rx.clone();
                std::thread::Builder::new()
                    .name(format!("pvault-upload-{n}"))
                    .spawn(move || -> Result<()> {
                        let mut first_error = None;
                        for pack in rx {
                            if first_error.is_some() {
                                continue; // drain so senders never block forever
                            }
                            if let Err(e) = store_pack(&repo, &in_flight, pack) {
                                first_error = Some(e);
                            }
                        }
                        first_error.map_or(Ok(()), Err)
                    })
                    .map_err(|e| Error::Internal {
                        what: format!("cannot start an upload thread: {e}"),
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(BlobSaver {
            repo,
            data: OpenPacks::new(true),
            trees: OpenPacks::new(false),
            thumbnails: OpenPacks::new(false),
            pack_size,
            in_flight,
            uploads: Some(tx),
            uploaders: uploader,
            blobs: AtomicU64::new(0),
            raw_bytes: AtomicU64::new(0),
            stored_bytes: AtomicU64::new(0),
            thumbnail_bytes: AtomicU64::new(0),
        })
    }

    /// Stores `plaintext` unless the repository already has it. Returns its id and whether
    /// it was new.
    pub(crate) fn save(
        &self,
        kind: BlobKind,
        plaintext: &[u8],
        class: ContentClass,
    ) -> Result<(BlobId, bool)> {
        let id = self.repo.inner.key.blob_id(plaintext);
        self.store(kind, id, plaintext, class, true)
    }

    /// Stores the thumbnail `image` under `id` (from
    /// [`MasterKey::thumbnail_id`](crate::crypto::MasterKey::thumbnail_id)) unless the
    /// repository has it. Returns whether it was new.
    pub(crate) fn save_thumbnail(&self, id: BlobId, image: &[u8]) -> Result<bool> {
        Ok(self
            .store(
                BlobKind::Thumbnail,
                id,
                image,
                ContentClass::Compressed,
                true,
            )?
            .1)
    }

    /// Whether the repository has, or this saver is storing, the thumbnail `id`: asked
    /// before making one, which costs far more than asking.
    pub(crate) fn has_thumbnail(&self, id: &BlobId) -> Result<bool> {
        Ok(self
            .in_flight
            .lock()
            .expect("in-flight set")
            .contains(&(*id, BlobKind::Thumbnail))
            || self.repo.index().contains_kind(id, BlobKind::Thumbnail)?)
    }

    /// Stores `plaintext` under `id` even if the index already lists it (repair: the
    /// indexed copy is damaged; prune: it is in a pack that goes), compressed as `was` says
    /// the stored copy was, so that RAW data keeps its byte-plane compression. `id` comes
    /// from the verified stored copy (a thumbnail's is not the hash of its bytes). Still
    /// stored only once per saver.
    pub(crate) fn save_again(
        &self,
        kind: BlobKind,
        id: BlobId,
        plaintext: &[u8],
        was: Compression,
    ) -> Result<BlobId> {
        Ok(self
            .store(kind, id, plaintext, ContentClass::of_stored(was), false)?
            .0)
    }

    fn store(
        &self,
        kind: BlobKind,
        id: BlobId,
        plaintext: &[u8],
        class: ContentClass,
        skip_indexed: bool,
    ) -> Result<(BlobId, bool)> {
        if skip_indexed && self.repo.index().contains_kind(&id, kind)? {
            return Ok((id, false));
        }
        if !self
            .in_flight
            .lock()
            .expect("in-flight set")
            .insert((id, kind))
        {
            return Ok((id, false));
        }
        let raw_length = u32::try_from(plaintext.len()).map_err(|_| Error::Internal {
            what: "a blob larger than 4 GiB was about to be stored".into(),
        })?;
        let sealed_len = SCRATCH.with(|scratch| {
            let Scratch { compressed, sealed } = &mut *scratch.borrow_mut();
            let wanted = compression_for(class);
            let level = self.repo.inner.config.compression_level;
            let (compression, payload) = if compress_into(plaintext, wanted, level, compressed) {
                (wanted, compressed.as_slice())
            } else {
                (Compression::None, plaintext)
            };
            sealed.clear();
            seal_blob(
                &self.repo.inner.key,
                kind,
                &id,
                compression,
                raw_length,
                payload,
                sealed,
            );
            self.add_to_pack(kind, id, compression, raw_length, sealed)
                .map(|()| sealed.len())
        })?;
        self.blobs.fetch_add(1, Ordering::Relaxed);
        self.raw_bytes
            .fetch_add(plaintext.len() as u64, Ordering::Relaxed);
        self.stored_bytes
            .fetch_add(sealed_len as u64, Ordering::Relaxed);
        if kind == BlobKind::Thumbnail {
            self.thumbnail_bytes
                .fetch_add(plaintext.len() as u64, Ordering::Relaxed);
        }
        Ok((id, true))
    }

    fn add_to_pack(
        &self,
        kind: BlobKind,
        id: BlobId,
        compression: Compression,
        raw_length: u32,
        sealed: &[u8],
    ) -> Result<()> {
        let pool = self.packers(kind);
        let mut packer = match pool.take() {
            Some(packer) => packer,
            None => Packer::writing_to(
                self.pack_size,
                self.repo.inner.backend.begin_write(FileKind::Pack)?,
            ),
        };
        if packer.add(id, kind, compression, raw_length, sealed)? {
            if let Some(pack) = packer.finish(&self.repo.inner.key)? {
                self.upload(pack)?;
            }
        } else {
            pool.put_back(packer);
        }
        Ok(())
    }

    fn packers(&self, kind: BlobKind) -> &OpenPacks {
        match kind {
            BlobKind::Data => &self.data,
            BlobKind::Tree => &self.trees,
            BlobKind::Thumbnail => &self.thumbnails,
        }
    }

    fn upload(&self, pack: FinishedPack) -> Result<()> {
        let sender = self.uploads.as_ref().expect("saver not finished");
        if sender.send(pack).is_err() {
            return Err(self.upload_error());
        }
        Ok(())
    }

    fn upload_error(&self) -> Error {
        Error::Internal {
            what: "the thread storing packs stopped".into(),
        }
    }

    /// Stores the open packs, waits for uploads, and writes the index for everything stored.
    /// Only after this returns may a snapshot refer to the saved blobs.
    pub(crate) fn finish(mut self) -> Result<SaveStats> {
        let result = self.finish_inner();
        // Always join the uploaders, also on error.
        self.uploads.take();
        let mut upload_result = Ok(());
        for handle in std::mem::take(&mut self.uploaders) {
            let joined = handle.join().unwrap_or_else(|_| Err(self.upload_error()));
            if upload_result.is_ok() {
                upload_result = joined;
            }
        }
        result?;
        upload_result?;
        self.repo.index().flush()?;
        Ok(SaveStats {
            blobs: self.blobs.load(Ordering::Relaxed),
            raw_bytes: self.raw_bytes.load(Ordering::Relaxed),
            stored_bytes: self.stored_bytes.load(Ordering::Relaxed),
            thumbnail_bytes: self.thumbnail_bytes.load(Ordering::Relaxed),
        })
    }

    fn finish_inner(&self) -> Result<()> {
        for kind in BlobKind::ALL {
            for packer in self.packers(kind).take_all() {
                if let Some(pack) = packer.finish(&self.repo.inner.key)? {
                    self.upload(pack)?;
                }
            }
        }
        Ok(())
    }
}

impl Drop for BlobSaver {
    fn drop(&mut self) {
        self.uploads.take();
        for handle in self.uploaders.drain(..) {
            let _ = handle.join();
        }
    }
}

/// Stores a pack under its name, then records it in the index's pending set, and only then
/// lets its ids leave the in-flight set (write order: pack first; a blob is always findable).
fn store_pack(
    repo: &IndexedRepository,
    in_flight: &Mutex<HashSet<(BlobId, BlobKind)>>,
    mut pack: FinishedPack,
) -> Result<()> {
    repo.inner.store_pack(&mut pack)?;
    let ids: Vec<(BlobId, BlobKind)> = pack.entries.iter().map(|e| (e.id, e.kind)).collect();
    let index = repo.index();
    let should_flush = index.add_pending(IndexedPack {
        id: pack.id,
        blobs: pack.entries,
    })?;
    {
        let mut set = in_flight.lock().expect("in-flight set");
        for id in ids {
            set.remove(&id);
        }
    }
    if should_flush {
        // Bounds memory and what an interrupted backup has to store again.
        index.flush()?;
    }
    Ok(())
}

/// The open packs of one kind, each remembered with the thread that last added to it.
///
/// Data packs are kept per thread: a thread adds to the pack it added to last, or starts
/// one. A file is chunked on one thread, so its blobs lie one after the other in one pack
/// (or two, where a pack fills) instead of alternating between the packs threads happened
/// to grab; a restore then reads them in fewer, longer requests and completes each file's
/// pieces sooner. Trees and thumbnails take any free pack, which keeps their packs few.
struct OpenPacks {
    open: Mutex<Vec<(ThreadId, Packer)>>,
    per_thread: bool,
}

/// Open data packs beyond which a thread without one of its own takes another's: a bound
/// for pools of many threads.
const MAX_OPEN_PER_THREAD_PACKS: usize = 16;

impl OpenPacks {
    fn new(per_thread: bool) -> Self {
        OpenPacks {
            open: Mutex::new(Vec::new()),
            per_thread,
        }
    }

    /// This thread's pack if it is free; else (for shared packs, or with many open) any
    /// free one; `None`: start a new pack.
    fn take(&self) -> Option<Packer> {
        let me = std::thread::current().id();
        let mut open = self.open.lock().expect("open packs");
        if let Some(at) = open.iter().rposition(|(user, _)| *user == me) {
            return Some(open.swap_remove(at).1);
        }
        if self.per_thread && open.len() < MAX_OPEN_PER_THREAD_PACKS {
            return None;
        }
        open.pop().map(|(_, packer)| packer)
    }

    fn put_back(&self, packer: Packer) {
        let me = std::thread::current().id();
        self.open.lock().expect("open packs").push((me, packer));
    }

    fn take_all(&self) -> Vec<Packer> {
        let open = std::mem::take(&mut *self.open.lock().expect("open packs"));
        open.into_iter().map(|(_, packer)| packer).collect()
    }
}
