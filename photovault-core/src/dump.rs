//! Writing one file of a snapshot, or a folder as a tar archive, to any writer (`pvault
//! dump`), without restoring it to disk first.
//!
//! Content is written blob by blob as it is read, so memory holds a few blobs at a time
//! whatever the file's size: a 10 GB video streams like a 10 KB photo. Archive entries keep
//! their snapshot paths (less the leading `/`), modes, owners and mtimes, nanoseconds and
//! dates before 1970 included (in a PAX record), and symlinks; entries with unsafe names are
//! left out and named, as restore does.

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Damage, Error, Result};
use crate::format::blob::BlobLocation;
use crate::format::snapshot::Snapshot;
use crate::format::tree::{Node, NodeKind, Timestamp};
use crate::repository::IndexedRepository;

/// How many blobs of a dumped file are read ahead of the one being written.
const READ_AHEAD_BLOBS: usize = 4;

/// The archive format for a folder.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArchiveFormat {
    /// POSIX tar with GNU long names and PAX times.
    #[default]
    Tar,
}

/// What [`IndexedRepository::dump`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DumpOutcome {
    /// Whether the output is an archive (a folder or symlink was asked for) rather than
    /// one file's bytes.
    pub archive: bool,
    /// Files written.
    pub files: u64,
    /// Folders written (archives only).
    pub dirs: u64,
    /// Symlinks written (archives only).
    pub symlinks: u64,
    /// Bytes of file content written.
    pub bytes: u64,
    /// Entries left out because their names are not safe path components, as listed by
    /// [`IndexedRepository::ls`].
    pub skipped: Vec<String>,
}

impl IndexedRepository {
    /// Writes the entry at `path` of `snapshot` to `out`: a file's content as it is, a
    /// folder (or a symlink) as an archive in `format`. Fails with
    /// [`Error::PathNotInSnapshot`] for a path the snapshot does not have, with
    /// [`Error::Target`] (path `-`) when `out` fails, and with the read error of a blob that
    /// cannot be read; what was written before stays written.
    pub fn dump(
        &self,
        snapshot: &Snapshot,
        path: &str,
        format: ArchiveFormat,
        out: &mut dyn Write,
    ) -> Result<DumpOutcome> {
        let _lock = self.lock_for_reading()?;
        let node = self.find_path(snapshot, path)?;
        let shown = PathBuf::from("/").join(path.trim_matches('/'));
        let mut outcome = DumpOutcome::default();
        if node.kind == NodeKind::File {
            let blobs = self.locate_content(&node, &shown)?;
            outcome.bytes = self.write_content(blobs, out)?;
            out.flush().map_err(output_failed)?;
            outcome.files = 1;
            return Ok(outcome);
        }
        let ArchiveFormat::Tar = format;
        outcome.archive = true;
        let mut tar = tar::Builder::new(out);
        if shown != Path::new("/") {
            self.append_entry(&mut tar, &shown, &node, &mut outcome)?;
        }
        let mut failed = None;
        self.ls(snapshot, path, &mut |entry| {
            if failed.is_some() || entry.path == shown {
                return;
            }
            if entry.node.name_problem().is_some() {
                outcome.skipped.push(entry.path.display().to_string());
                return;
            }
            if let Err(e) = self.append_entry(&mut tar, &entry.path, &entry.node, &mut outcome) {
                failed = Some(e);
            }
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        tar.into_inner()
            .and_then(|out| out.flush())
            .map_err(output_failed)?;
        Ok(outcome)
    }

    fn append_entry(
        &self,
        tar: &mut tar::Builder<&mut dyn Write>,
        path: &Path,
        node: &Node,
        outcome: &mut DumpOutcome,
    ) -> Result<()> {
        let name = path.strip_prefix("/").unwrap_or(path);
        let mut header = tar::Header::new_gnu();
        header.set_mode(node.mode & 0o7777);
        header.set_uid(node.uid as u64);
        header.set_gid(node.gid as u64);
        header.set_mtime(node.mtime.secs.max(0) as u64);
        if node.mtime.nanos != 0 || node.mtime.secs < 0 {
            append_pax_mtime(tar, node.mtime).map_err(output_failed)?;
        }
        let written = match node.kind {
            NodeKind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                outcome.dirs += 1;
                tar.append_data(&mut header, name, io::empty())
            }
            NodeKind::Symlink => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                outcome.symlinks += 1;
                let target = node.link_target.as_deref().unwrap_or_default();
                tar.append_link(&mut header, name, OsStr::from_bytes(target))
            }
            NodeKind::File => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(node.size);
                outcome.files += 1;
                outcome.bytes += node.size;
                let blobs = self.locate_content(node, path)?;
                let content = Content {
                    repo: self,
                    blobs: blobs.into_iter(),
                    current: Vec::new(),
                    at: 0,
                };
                tar.append_data(&mut header, name, content)
            }
        };
        written.map_err(|e| {
            if !e.get_ref().is_some_and(|inner| inner.is::<ReadFailed>()) {
                return output_failed(e);
            }
            let inner = e.into_inner().expect("checked above");
            inner.downcast::<ReadFailed>().expect("checked above").0
        })
    }

    /// Writes a file's blobs in order while a second thread reads and decrypts the next
    /// ones, at most [`READ_AHEAD_BLOBS`] ahead. Returns the bytes written.
    fn write_content(&self, blobs: Vec<BlobLocation>, out: &mut dyn Write) -> Result<u64> {
        let (send, receive) = crossbeam_channel::bounded::<Result<Vec<u8>>>(READ_AHEAD_BLOBS);
        let repo = self;
        std::thread::scope(|scope| {
            // Owned here, so that an early return drops it and the reader stops sending.
            let receive = receive;
            scope.spawn(move || {
                for location in &blobs {
                    let read = read_located(repo, location);
                    let failed = read.is_err();
                    if send.send(read).is_err() || failed {
                        break;
                    }
                }
            });
            let mut written = 0u64;
            for plain in receive.iter() {
                let plain = plain?;
                out.write_all(&plain).map_err(output_failed)?;
                written += plain.len() as u64;
            }
            Ok(written)
        })
    }

    /// Where each blob of a file is, checking that they add up to its recorded size (an
    /// archive's header announces the size before the content).
    fn locate_content(&self, node: &Node, path: &Path) -> Result<Vec<BlobLocation>> {
        let index = self.index();
        let mut total = 0u64;
        let mut out = Vec::with_capacity(node.content.len());
        for id in &node.content {
            let location = index.lookup(id)?.ok_or(Error::BlobNotFound { id: *id })?;
            total += location.entry.raw_length as u64;
            out.push(location);
        }
        if total != node.size {
            return Err(Error::damaged(
                format!("the content of {}", path.display()),
                Damage::Malformed(crate::Malformed::FileSize {
                    total,
                    recorded: node.size,
                }),
            ));
        }
        Ok(out)
    }
}

/// A file's content as a reader, one blob in memory at a time.
struct Content<'a> {
    repo: &'a IndexedRepository,
    blobs: std::vec::IntoIter<BlobLocation>,
    current: Vec<u8>,
    at: usize,
}

impl Read for Content<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            let Some(location) = self.blobs.next() else {
                return Ok(0);
            };
            self.current =
                read_located(self.repo, &location).map_err(|e| io::Error::other(ReadFailed(e)))?;
            self.at = 0;
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A blob that could not be read, passed through the archive writer's `io::Error`.
#[derive(Debug)]
struct ReadFailed(Error);

impl std::fmt::Display for ReadFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ReadFailed {}

/// Reads a blob where the index places it, or from another pack holding it intact.
fn read_located(repo: &IndexedRepository, location: &BlobLocation) -> Result<Vec<u8>> {
    repo.inner.read_blob_at(location).or_else(|first| {
        repo.read_blob_avoiding(&location.entry.id, Some(location))
            .map_err(|_| first)
    })
}

fn output_failed(source: io::Error) -> Error {
    Error::Target {
        path: PathBuf::from("-"),
        source,
    }
}

/// Writes a PAX extended header giving the next entry's exact mtime, which the tar header
/// holds only in whole seconds from 1970.
fn append_pax_mtime(tar: &mut tar::Builder<&mut dyn Write>, mtime: Timestamp) -> io::Result<()> {
    let value = if mtime.secs < 0 && mtime.nanos > 0 {
        format!("-{}.{:09}", -(mtime.secs + 1), 1_000_000_000 - mtime.nanos)
    } else {
        format!("{}.{:09}", mtime.secs, mtime.nanos)
    };
    let record = pax_record("mtime", &value);
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::XHeader);
    header.set_size(record.len() as u64);
    header.set_mode(0o644);
    tar.append_data(&mut header, "././@PaxHeader", record.as_bytes())
}

/// One PAX record, `"<length> <key>=<value>\n"`, where the length counts the whole record,
/// its own digits included.
fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut length = body.len() + 1;
    while length.to_string().len() + body.len() != length {
        length = length.to_string().len() + body.len();
    }
    format!("{length}{body}")
}

#[cfg(test)]
mod tests {
    use super::pax_record;

    #[test]
    fn a_pax_record_counts_its_own_length() {
        assert_eq!(pax_record("mtime", "1.5"), "13 mtime=1.5\n");
        let long = pax_record("mtime", &"9".repeat(95));
        assert_eq!(long.len().to_string(), long.split(' ').next().unwrap());
    }
}
