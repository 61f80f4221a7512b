//! A repository in a folder on a local or mounted disk (the external drive).
//!
//! Writes go to a temporary file in the destination folder, are fsynced, renamed into place,
//! and the folder is fsynced, so after a crash a file is either complete or absent.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{
    layout, pending, uncached, Backend, BackendError, BackendResult, FileInfo, FileKind,
    MemoryWrite, PendingWrite, ReadBytes, TempFile,
};

/// Files under a local folder.
#[derive(Debug, Clone)]
pub struct LocalBackend {
    root: PathBuf,
}

impl LocalBackend {
    /// A backend rooted at `path` (which need not exist until `create`).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalBackend { root: path.into() }
    }

    /// The root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path_of(&self, kind: FileKind, name: &str) -> PathBuf {
        self.root.join(layout::object_key(kind, name))
    }

    fn io_err(&self, op: &'static str, path: &Path, source: io::Error) -> BackendError {
        BackendError::Io {
            location: self.location(),
            op,
            path: path.display().to_string(),
            source,
        }
    }

    fn map_err(
        &self,
        op: &'static str,
        kind: FileKind,
        name: &str,
        path: &Path,
        e: io::Error,
    ) -> BackendError {
        if e.kind() == io::ErrorKind::NotFound {
            BackendError::NotFound {
                location: self.location(),
                kind,
                name: name.to_string(),
            }
        } else {
            self.io_err(op, path, e)
        }
    }
}

impl LocalBackend {
    /// Opens a repository file for reading, only if it is a regular file, and returns it
    /// with its size. The open does not block on a FIFO (`O_NONBLOCK`) and does not follow
    /// a symlink in the file's place (`O_NOFOLLOW`): an object is a regular file, though the
    /// folders above it may be links (to another disk, say).
    fn open_regular(&self, kind: FileKind, name: &str, path: &Path) -> BackendResult<(File, u64)> {
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        let not_a_file = |what| BackendError::NotAFile {
            location: self.location(),
            kind,
            name: name.to_string(),
            what,
        };
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => not_a_file("a symlink"),
                _ => self.map_err("open", kind, name, path, e),
            })?;
        let meta = file.metadata().map_err(|e| self.io_err("stat", path, e))?;
        let file_type = meta.file_type();
        if !file_type.is_file() {
            return Err(not_a_file(if file_type.is_dir() {
                "a folder"
            } else if file_type.is_fifo() {
                "a FIFO"
            } else if file_type.is_socket() {
                "a socket"
            } else if file_type.is_block_device() || file_type.is_char_device() {
                "a device"
            } else {
                "not a regular file"
            }));
        }
        Ok((file, meta.len()))
    }
}

impl Backend for LocalBackend {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn create(&self) -> BackendResult<()> {
        for folder in layout::all_folders() {
            let dir = self.root.join(folder);
            fs::create_dir_all(&dir).map_err(|e| self.io_err("create", &dir, e))?;
        }
        sync_dir(&self.root).map_err(|e| self.io_err("sync", &self.root, e))
    }

    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>> {
        if kind == FileKind::Config {
            let path = self.path_of(kind, "config");
            return match fs::metadata(&path) {
                Ok(m) => Ok(vec![FileInfo {
                    name: "config".into(),
                    size: m.len(),
                }]),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(vec![]),
                Err(e) => Err(self.io_err("stat", &path, e)),
            };
        }
        let dirs = layout::folders(kind).into_iter().map(|f| self.root.join(f));
        let mut out = Vec::new();
        for d in dirs {
            let entries = match fs::read_dir(&d) {
                Ok(e) => e,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.io_err("list", &d, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| self.io_err("list", &d, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if !layout::is_object_name(kind, &name) {
                    continue; // temporary files of interrupted writes, or foreign files
                }
                let meta = match entry.metadata() {
                    Ok(meta) => meta,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue, // removed meanwhile
                    Err(e) => return Err(self.io_err("stat", &entry.path(), e)),
                };
                // Listed whatever it is, so that a reader names a FIFO, folder or symlink
                // standing in an object's place ([`BackendError::NotAFile`]) instead of
                // silently missing it.
                out.push(FileInfo {
                    name,
                    size: if meta.is_file() { meta.len() } else { 0 },
                });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>> {
        let path = self.path_of(kind, name);
        let (mut file, size) = self.open_regular(kind, name, &path)?;
        if length == 0 && offset == 0 {
            BackendError::check_whole_read(&self.location(), kind, name, size)?;
            let mut buf = Vec::with_capacity(size as usize);
            file.read_to_end(&mut buf)
                .map_err(|e| self.io_err("read", &path, e))?;
            return Ok(buf);
        }
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| self.io_err("seek", &path, e))?;
        let mut buf = Vec::new();
        if length == 0 {
            file.read_to_end(&mut buf)
                .map_err(|e| self.io_err("read", &path, e))?;
        } else {
            // Into spare capacity: zeroing first would cost as much as the read. Never more
            // than the file holds, whatever a (damaged) index asks for.
            buf.reserve_exact(length.min(size.saturating_sub(offset)) as usize);
            (&mut file)
                .take(length)
                .read_to_end(&mut buf)
                .map_err(|e| self.io_err("read", &path, e))?;
            if buf.len() as u64 != length {
                let e = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("file ends before byte {}", offset + length),
                );
                return Err(self.io_err("read", &path, e));
            }
        }
        Ok(buf)
    }

    fn read_once(
        &self,
        kind: FileKind,
        name: &str,
        offset: u64,
        length: u64,
    ) -> BackendResult<ReadBytes> {
        if length >= uncached::MIN_LEN {
            let path = self.path_of(kind, name);
            let (file, size) = self.open_regular(kind, name, &path)?;
            if offset.checked_add(length).is_some_and(|end| end <= size) {
                match uncached::read(&file, offset, length) {
                    Ok(Some(bytes)) => return Ok(bytes),
                    Ok(None) => {}
                    Err(e) => return Err(self.io_err("read", &path, e)),
                }
            }
        }
        self.read(kind, name, offset, length).map(ReadBytes::from)
    }

    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()> {
        let path = self.path_of(kind, name);
        let dir = path
            .parent()
            .expect("repository files live in a folder")
            .to_path_buf();
        if kind == FileKind::Pack {
            fs::create_dir_all(&dir).map_err(|e| self.io_err("create", &dir, e))?;
        }
        let tmp = dir.join(temp_name());
        let result = (|| {
            let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
            f.write_all(data)?;
            f.sync_all()?;
            drop(f);
            fs::rename(&tmp, &path)?;
            sync_dir(&dir)
        })();
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(self.io_err("write", &path, e));
        }
        Ok(())
    }

    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        let path = self.path_of(kind, name);
        fs::remove_file(&path).map_err(|e| self.map_err("remove", kind, name, &path, e))
    }

    /// A temporary file in the kind's top folder (`data/` for packs): same filesystem as
    /// the destination, so finishing is a rename.
    fn begin_write(&self, kind: FileKind) -> BackendResult<Box<dyn PendingWrite>> {
        let dir = match kind {
            FileKind::Config => self.root.clone(),
            _ => self.root.join(kind.dir()),
        };
        let tmp = dir.join(temp_name());
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| self.io_err("create", &tmp, e))?;
        Ok(Box::new(TempFile::new(kind, file, tmp, self.location())))
    }

    fn remove_unfinished_writes(&self, before: std::time::SystemTime) -> BackendResult<u64> {
        let mut freed = 0;
        let dirs = FileKind::FOLDERS.map(|kind| self.root.join(kind.dir()));
        for dir in std::iter::once(self.root.clone()).chain(dirs) {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(self.io_err("list", &dir, e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| self.io_err("list", &dir, e))?;
                if !entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    continue;
                }
                let path = entry.path();
                let meta = match entry.metadata() {
                    Ok(meta) => meta,
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(self.io_err("stat", &path, e)),
                };
                if meta.is_file() && meta.modified().is_ok_and(|m| m < before) {
                    match fs::remove_file(&path) {
                        Ok(()) => freed += meta.len(),
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return Err(self.io_err("remove", &path, e)),
                    }
                }
            }
        }
        Ok(freed)
    }

    fn finish_write(&self, pending: &mut dyn PendingWrite, name: &str) -> BackendResult<()> {
        let kind = pending.kind();
        let pending = pending.as_any_mut();
        if let Some(memory) = pending.downcast_mut::<MemoryWrite>() {
            return self.write(kind, name, memory.bytes());
        }
        let temp = pending
            .downcast_mut::<TempFile>()
            .ok_or_else(|| pending::foreign(self.location(), name))?;
        let path = self.path_of(kind, name);
        let dir = path
            .parent()
            .expect("repository files live in a folder")
            .to_path_buf();
        let result = fs::create_dir_all(&dir)
            .and_then(|()| temp.persist(&path))
            .and_then(|()| sync_dir(&dir));
        result.map_err(|e| self.io_err("write", &path, e))
    }
}

/// Names of files being written start with this; no finished file's name does.
const TEMP_PREFIX: &str = ".tmp-";

fn temp_name() -> String {
    let mut suffix = [0u8; 8];
    crate::crypto::random_bytes(&mut suffix);
    format!("{TEMP_PREFIX}{}", hex::encode(suffix))
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}
