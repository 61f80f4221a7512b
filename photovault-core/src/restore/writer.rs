//! Writing a batch of files: read each pack once, verify each blob, write it wherever it
//! belongs, and rename each file into place when its last blob is written.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use rayon::ThreadPool;

use super::direct::{DirectFile, Pieces};
use super::metadata::{self, Metadata};
use super::progress::RestoreProgress;
use super::write_behind::WriteBehind;
use crate::backend::FileKind;
use crate::entry_report::{EntryProblem, EntryReport};
use crate::format::blob::{open_blob_in_place, BlobEntry, BlobLocation};
use crate::format::tree::Node;
use crate::id::{BlobId, PackId};
use crate::repository::IndexedRepository;

/// Blobs of one pack closer than this are read in one request.
const MERGE_GAP: u64 = 1 << 20;
/// No single read of a local pack is longer than this (unless one blob is): reads go past
/// the page cache into buffers held while their blobs are written, so their size is memory.
const MAX_READ: u64 = 2 << 20;
/// The same for a network store, where every request costs a round trip.
const MAX_REMOTE_READ: u64 = 4 << 20;

/// A file to restore.
pub(super) struct FileJob {
    pub(super) path: PathBuf,
    pub(super) node: Node,
}

type FileResult = Result<u64, EntryReport>;

struct FileState {
    path: PathBuf,
    meta: Metadata,
    size: u64,
    remaining: AtomicUsize,
    inner: Mutex<Open>,
}

#[derive(Default)]
struct Open {
    temp: Option<(PathBuf, File)>,
    /// A large file's pieces, written past the page cache (boxed: most files are small,
    /// and every file of a batch holds an `Open`).
    direct: Option<Box<DirectFile>>,
    /// Bytes written through the page cache.
    buffered: u64,
    error: Option<EntryProblem>,
    result: Option<FileResult>,
}

/// Where finished files and progress go.
struct Sink<'a> {
    progress: &'a dyn RestoreProgress,
    behind: WriteBehind,
    pieces: Pieces,
}

/// Where a blob must go: (file number, offset in that file).
type Targets = Vec<(usize, u64)>;

/// Restores `jobs`; one result per file.
pub(super) fn write_files(
    repo: &IndexedRepository,
    jobs: Vec<FileJob>,
    pool: &ThreadPool,
    progress: &dyn RestoreProgress,
) -> Vec<FileResult> {
    let sink = Sink {
        progress,
        behind: WriteBehind::default(),
        pieces: Pieces::default(),
    };
    let mut packs: HashMap<PackId, HashMap<BlobId, (BlobEntry, Targets)>> = HashMap::new();
    let mut states = Vec::with_capacity(jobs.len());
    for (number, job) in jobs.into_iter().enumerate() {
        let (size, located) = locate(repo, &job.node);
        let state = FileState {
            path: job.path,
            meta: Metadata::from(&job.node),
            size,
            remaining: AtomicUsize::new(0),
            inner: Mutex::new(Open::default()),
        };
        match located {
            Ok(blobs) => {
                state.remaining.store(blobs.len(), Ordering::Relaxed);
                let mut offset = 0u64;
                for loc in blobs {
                    let slot = packs
                        .entry(loc.pack)
                        .or_default()
                        .entry(loc.entry.id)
                        .or_insert((loc.entry, Vec::new()));
                    slot.1.push((number, offset));
                    offset += loc.entry.raw_length as u64;
                }
            }
            Err(message) => state.inner.lock().expect("file state").error = Some(message),
        }
        states.push(state);
    }
    // Files with no blobs to wait for (empty, or failed already) finish now.
    for state in &states {
        if state.remaining.load(Ordering::Relaxed) == 0 {
            state.finish(&sink);
        }
    }
    // Packs in the order files need them, taken one by one: a file's blobs, spread over
    // the few packs a backup was filling at once, then arrive close together.
    let mut packs: Vec<_> = packs.into_iter().collect();
    packs.sort_by_cached_key(|(_, blobs)| first_needed(blobs));
    pool.install(|| {
        packs
            .into_iter()
            .par_bridge()
            .for_each(|(pack, blobs)| restore_pack(repo, pack, blobs, &states, &sink));
    });
    states
        .into_iter()
        .map(|s| {
            let path = s.path.clone();
            s.inner
                .into_inner()
                .expect("file state")
                .result
                .unwrap_or_else(|| Err(EntryReport::new(path, EntryProblem::Interrupted)))
        })
        .collect()
}

/// The first file (in restore order) that needs a blob of the pack.
fn first_needed(blobs: &HashMap<BlobId, (BlobEntry, Targets)>) -> usize {
    blobs
        .values()
        .flat_map(|(_, targets)| targets.iter().map(|&(file, _)| file))
        .min()
        .unwrap_or(usize::MAX)
}

/// The file's blob locations and total size, or why it cannot be restored.
fn locate(repo: &IndexedRepository, node: &Node) -> (u64, Result<Vec<BlobLocation>, EntryProblem>) {
    let index = repo.index();
    let mut blobs = Vec::with_capacity(node.content.len());
    let mut size = 0u64;
    for id in &node.content {
        match index.lookup(id) {
            Ok(Some(loc)) => {
                size += loc.entry.raw_length as u64;
                blobs.push(loc);
            }
            Ok(None) => return (0, Err(EntryProblem::BlobMissing(*id))),
            Err(e) => return (0, Err(e.into())),
        }
    }
    if size != node.size {
        return (
            0,
            Err(EntryProblem::SizeMismatch {
                found: size,
                recorded: node.size,
            }),
        );
    }
    (size, Ok(blobs))
}

fn restore_pack(
    repo: &IndexedRepository,
    pack: PackId,
    blobs: HashMap<BlobId, (BlobEntry, Targets)>,
    states: &[FileState],
    sink: &Sink<'_>,
) {
    let mut blobs: Vec<(BlobEntry, Targets)> = blobs.into_values().collect();
    blobs.sort_by_key(|(e, _)| e.offset);
    let mut scratch = Vec::new(); // decompressed blobs
    let max_read = if repo.inner.backend.is_remote() {
        MAX_REMOTE_READ
    } else {
        MAX_READ
    };
    let mut i = 0;
    while i < blobs.len() {
        let start = blobs[i].0.offset as u64;
        let mut j = i + 1;
        while j < blobs.len()
            && (blobs[j].0.offset as u64) <= blobs[j - 1].0.end() + MERGE_GAP
            && blobs[j].0.end() - start <= max_read
        {
            j += 1;
        }
        // Sorted by offset, but one blob may end after a later one (only a damaged index
        // says so): the read reaches the furthest end.
        let end = blobs[i..j]
            .iter()
            .map(|(e, _)| e.end())
            .max()
            .expect("i < j");
        let mut read = if sink.progress.cancelled() {
            Err(EntryProblem::Interrupted)
        } else {
            repo.inner
                .backend
                .read_once(FileKind::Pack, &pack.to_hex(), start, end - start)
                .map_err(|e| EntryProblem::from(crate::Error::from(e)))
        };
        for (k, (entry, targets)) in blobs.iter().enumerate().take(j).skip(i) {
            let overlaps_later = blobs
                .get(k + 1)
                .is_some_and(|(next, _)| u64::from(next.offset) < entry.end());
            let plain = match &mut read {
                Ok(bytes) => {
                    let from = (entry.offset as u64 - start) as usize;
                    open_blob_in_place(
                        &repo.inner.key,
                        &BlobLocation {
                            pack,
                            entry: *entry,
                        },
                        &mut bytes[from..from + entry.length as usize],
                        overlaps_later,
                        &mut scratch,
                    )
                    .map_err(EntryProblem::from)
                }
                Err(problem) => Err(problem.clone()),
            };
            // A blob this pack does not hold intact may be stored intact in another pack.
            let elsewhere = match &plain {
                Err(_) if !sink.progress.cancelled() => repo
                    .read_blob_avoiding(
                        &entry.id,
                        Some(&BlobLocation {
                            pack,
                            entry: *entry,
                        }),
                    )
                    .ok(),
                _ => None,
            };
            let plain = match (plain, &elsewhere) {
                (_, Some(copy)) => Ok(copy.as_slice()),
                (plain, None) => plain,
            };
            for &(file, offset) in targets {
                match &plain {
                    Ok(data) => states[file].write(offset, data, sink),
                    Err(message) => states[file].fail(message.clone(), sink),
                }
            }
        }
        i = j;
    }
}

impl FileState {
    fn write(&self, offset: u64, data: &[u8], sink: &Sink<'_>) {
        {
            let mut open = self.inner.lock().expect("file state");
            if open.error.is_none() {
                if let Err(e) = open.write_at(&self.path, self.size, offset, data, &sink.pieces) {
                    open.error = Some(EntryProblem::CannotWrite(Arc::new(e)));
                } else {
                    sink.progress.bytes_done(data.len() as u64);
                }
            }
        }
        self.blob_done(sink);
    }

    fn fail(&self, problem: EntryProblem, sink: &Sink<'_>) {
        self.inner
            .lock()
            .expect("file state")
            .error
            .get_or_insert(problem);
        self.blob_done(sink);
    }

    fn blob_done(&self, sink: &Sink<'_>) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.finish(sink);
        }
    }

    /// Renames the complete file into place with its metadata, or removes the partial one.
    fn finish(&self, sink: &Sink<'_>) {
        let mut open = self.inner.lock().expect("file state");
        if open.error.is_none() && open.temp.is_none() {
            // An empty file: nothing was written yet.
            if let Err(e) = open.create(&self.path, 0) {
                open.error = Some(EntryProblem::CannotWrite(Arc::new(e)));
            }
        }
        let temp = open.temp.take();
        let direct = open.direct.take();
        if let Some(direct) = direct {
            if let Err(e) = (*direct).finish(&sink.pieces) {
                open.error
                    .get_or_insert(EntryProblem::CannotWrite(Arc::new(e)));
            }
        }
        let buffered = open.buffered;
        let result = match (temp, open.error.take()) {
            (Some((temp, file)), None) => {
                match metadata::apply_metadata(&temp, &self.meta)
                    .and_then(|_| fs::rename(&temp, &self.path))
                {
                    Ok(()) => {
                        sink.behind.finished(file, buffered);
                        sink.progress.file_done(&self.path, self.size);
                        Ok(self.size)
                    }
                    Err(e) => {
                        let _ = fs::remove_file(&temp);
                        Err(EntryReport::new(
                            &self.path,
                            EntryProblem::CannotFinish(Arc::new(e)),
                        ))
                    }
                }
            }
            (temp, error) => {
                if let Some((temp, file)) = temp {
                    drop(file);
                    let _ = fs::remove_file(&temp);
                }
                Err(EntryReport::new(
                    &self.path,
                    error.unwrap_or(EntryProblem::Interrupted),
                ))
            }
        };
        open.result = Some(result);
    }
}

impl Open {
    fn create(&mut self, path: &Path, size: u64) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut suffix = [0u8; 6];
        crate::crypto::random_bytes(&mut suffix);
        let temp = dir.join(format!(".pvault-{}.part", hex::encode(suffix)));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)?;
        file.set_len(size)?;
        self.temp = Some((temp, file));
        Ok(())
    }

    fn write_at(
        &mut self,
        path: &Path,
        size: u64,
        offset: u64,
        data: &[u8],
        pieces: &Pieces,
    ) -> std::io::Result<()> {
        if self.temp.is_none() {
            self.create(path, size)?;
            let (temp, _) = self.temp.as_ref().expect("just created");
            self.direct = DirectFile::open(temp, size).map(Box::new);
        }
        let (_, file) = self.temp.as_ref().expect("just created");
        self.buffered += match self.direct.as_mut() {
            Some(direct) => direct.write(offset, data, file, pieces)?,
            None => {
                file.write_all_at(data, offset)?;
                data.len() as u64
            }
        };
        Ok(())
    }
}
