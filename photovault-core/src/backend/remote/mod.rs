//! Network stores (SFTP, S3, WebDAV and the rest of opendal's services) behind the same
//! small, synchronous [`Backend`] trait as a local folder.
//!
//! Why synchronous: photovault's pipeline runs on threads (rayon for hashing and sealing, a
//! few upload threads), its work per call is CPU or disk bound, and one trait keeps every
//! operation identical on every store. opendal's API is async, so a network backend blocks
//! on a small tokio runtime for the duration of a call; calls from many threads run
//! concurrently on it (`runtime` says which runtime, and why SFTP has its own). Nothing of
//! tokio leaks into the rest of the library.
//!
//! What each call costs and guarantees:
//! - Objects live under the keys of [`object_key`](super::object_key): the same tree of
//!   names as in a folder.
//! - On an object store (S3 and the like) a PUT is atomic: an object is visible whole or
//!   not at all. Elsewhere (SFTP, WebDAV) a write goes to a temporary name in the same
//!   folder and is renamed into place, so a reader never sees half an object.
//! - A pack is spooled to a local temporary file while it fills and uploaded from there, so
//!   memory stays bounded however many packs wait: an upload buffers one request's body, the
//!   whole pack up to 64 MiB (one PUT), else 16 MiB parts of a multipart upload.
//! - A whole read asks for the size first, so that an object longer than its kind allows is
//!   refused before any byte is fetched; a range read fetches only its range.
//! - Errors name the object and the operation and say whether trying again may help;
//!   [`Retrying`](super::Retrying) on top does the trying.

mod errors;
mod runtime;
mod spool;

use std::collections::BTreeMap;
use std::io::Read;
use std::time::SystemTime;

use opendal::{EntryMode, Operator};

use super::location::RemoteSpec;
use super::{
    layout, pending, Backend, BackendError, BackendResult, FileInfo, FileKind, MemoryWrite,
    PendingWrite, TempFile,
};
use errors::Failure;
use runtime::BackendRuntime;

/// Pieces in which a spooled pack is read and handed to the store.
const UPLOAD_PIECE: usize = 1 << 20;

/// Parts of a multipart upload of a pack larger than [`UPLOAD_IN_ONE`].
const UPLOAD_CHUNK: usize = 16 << 20;

/// A pack up to this size goes up in one request (the upload buffers it whole). Packs close
/// once they pass their target size, so a default 16 MiB pack is a little over 16 MiB: with
/// 16 MiB parts it took a multipart upload of four requests (start, two parts, finish)
/// instead of one PUT.
const UPLOAD_IN_ONE: u64 = 64 << 20;

/// The part size for an upload of `len` bytes: the whole of it when it fits in one request.
fn upload_chunk(len: u64) -> usize {
    if len <= UPLOAD_IN_ONE {
        (len as usize).max(1)
    } else {
        UPLOAD_CHUNK
    }
}

/// Temporary objects of unfinished writes start with this (as on a local disk).
const TEMP_PREFIX: &str = ".tmp-";

/// A repository on a network store.
pub struct RemoteBackend {
    op: Operator,
    spec: RemoteSpec,
    // Declared after `op`, so dropped after it: an own runtime shuts down once the
    // operator's connections are released (see `runtime`).
    runtime: BackendRuntime,
}

/// Registers opendal's services and its reqwest HTTP transport, once per process. The
/// transport is built here rather than by opendal because its TLS provider must be installed
/// first ([`crate::tls`]).
fn install_services_and_transport() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        crate::tls::install_provider();
        opendal::install_default();
        opendal::HttpTransporter::install_default(
            opendal_http_transport_reqwest::ReqwestTransport::default(),
        );
    });
}

impl std::fmt::Debug for RemoteBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteBackend")
            .field("location", &self.spec.shown)
            .finish_non_exhaustive()
    }
}

impl RemoteBackend {
    /// Opens the store `spec` describes. Nothing is sent yet: a wrong address or bad
    /// credentials show at the first call.
    pub fn open(spec: RemoteSpec) -> crate::Result<Self> {
        let runtime = BackendRuntime::for_service(&spec.service)?;
        install_services_and_transport();
        let config: BTreeMap<String, String> = spec.config.clone();
        let op = {
            let _inside = runtime.get().enter();
            Operator::via_iter(&spec.service, config)
        }
        .map_err(|e| {
            crate::Error::InvalidArgument(format!("{}: {}", spec.shown, errors::describe(&e)))
        })?;
        Ok(RemoteBackend { op, spec, runtime })
    }

    fn block_on<T>(&self, future: impl std::future::IntoFuture<Output = T>) -> T {
        self.runtime.get().block_on(future.into_future())
    }

    fn failure(&self, op: &'static str, key: &str) -> Failure<'_> {
        Failure {
            location: &self.spec.shown,
            op,
            key: key.to_string(),
        }
    }

    fn temp_key(&self, kind: FileKind) -> String {
        let mut suffix = [0u8; 8];
        crate::crypto::random_bytes(&mut suffix);
        let dir = match kind {
            FileKind::Config => String::new(),
            _ => format!("{}/", kind.dir()),
        };
        format!("{dir}{TEMP_PREFIX}{}", hex::encode(suffix))
    }

    /// Stores `data` under `key`, atomically (see the module documentation).
    fn put(
        &self,
        kind: FileKind,
        key: &str,
        upload: impl Fn(&str) -> opendal::Result<()>,
    ) -> BackendResult<()> {
        if self.spec.atomic_put {
            return upload(key).map_err(|e| self.failure("write", key).from(e, kind));
        }
        let temp = self.temp_key(kind);
        let result = upload(&temp).and_then(|()| self.rename_over(&temp, key));
        if result.is_err() {
            let _ = self.block_on(self.op.delete(&temp));
        }
        result.map_err(|e| self.failure("write", key).from(e, kind))
    }

    /// Renames `from` to `to`, replacing `to` where the server's rename will not (SFTP's
    /// plain rename refuses an existing target).
    fn rename_over(&self, from: &str, to: &str) -> opendal::Result<()> {
        match self.block_on(self.op.rename(from, to)) {
            Ok(()) => Ok(()),
            Err(first) => {
                let exists = self.block_on(self.op.exists(to)).unwrap_or(false);
                if !exists {
                    return Err(first);
                }
                self.block_on(self.op.delete(to))?;
                self.block_on(self.op.rename(from, to))
            }
        }
    }

    fn upload_bytes(&self, key: &str, data: &[u8]) -> opendal::Result<()> {
        self.block_on(self.op.write(key, data.to_vec())).map(|_| ())
    }

    fn upload_file(&self, key: &str, path: &std::path::Path) -> opendal::Result<()> {
        let io = |e: std::io::Error| {
            opendal::Error::new(
                opendal::ErrorKind::Unexpected,
                "cannot read the spooled pack",
            )
            .set_source(e)
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        if !self.op.info().capability().write_can_multi {
            // WebDAV takes an object in one request: the pack goes up from memory.
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(io)?;
            return self.upload_bytes(key, &bytes);
        }
        self.block_on(async {
            let len = file.metadata().map_err(io)?.len();
            let mut writer = self.op.writer_with(key).chunk(upload_chunk(len)).await?;
            let mut piece = vec![0u8; UPLOAD_PIECE];
            loop {
                let n = read_full(&mut file, &mut piece).map_err(io)?;
                if n == 0 {
                    break;
                }
                writer.write(piece[..n].to_vec()).await?;
            }
            writer.close().await.map(|_| ())
        })
    }

    fn size_of(&self, kind: FileKind, name: &str, key: &str) -> BackendResult<u64> {
        let meta = self
            .block_on(self.op.stat(key))
            .map_err(|e| self.failure("read", key).not_found_as(e, kind, name))?;
        if meta.mode() == EntryMode::DIR {
            return Err(BackendError::NotAFile {
                location: self.spec.shown.clone(),
                kind,
                name: name.to_string(),
                what: "a folder",
            });
        }
        Ok(meta.content_length())
    }

    fn list_under(&self, prefix: &str) -> BackendResult<Vec<opendal::Entry>> {
        match self.block_on(self.op.list_with(prefix).recursive(true)) {
            Ok(entries) => Ok(entries),
            Err(e) if e.kind() == opendal::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(self.failure("list", prefix).from(e, FileKind::Config)),
        }
    }
}

fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

impl Backend for RemoteBackend {
    fn location(&self) -> String {
        self.spec.shown.clone()
    }

    /// Object stores have no folders; elsewhere the top folders are made, and the 256
    /// `data/XX/` folders when their first pack arrives (a rename makes its target's
    /// folder), which saves 256 round trips at `init`.
    fn create(&self) -> BackendResult<()> {
        if self.spec.atomic_put {
            return Ok(());
        }
        for folder in FileKind::FOLDERS.map(|kind| kind.dir()) {
            let key = format!("{folder}/");
            self.block_on(self.op.create_dir(&key))
                .map_err(|e| self.failure("create", &key).from(e, FileKind::Config))?;
        }
        Ok(())
    }

    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>> {
        if kind == FileKind::Config {
            return match self.block_on(self.op.stat("config")) {
                Ok(meta) if meta.mode() != EntryMode::DIR => Ok(vec![FileInfo {
                    name: "config".into(),
                    size: meta.content_length(),
                }]),
                Ok(_) => Ok(Vec::new()),
                Err(e) if e.kind() == opendal::ErrorKind::NotFound => Ok(Vec::new()),
                Err(e) => Err(self.failure("list", "config").from(e, kind)),
            };
        }
        let prefix = format!("{}/", kind.dir());
        let mut out = Vec::new();
        for entry in self.list_under(&prefix)? {
            if entry.metadata().mode() == EntryMode::DIR {
                continue; // SFTP lists the folder itself, and data/XX/
            }
            let path = entry.path();
            let Some(rest) = path.strip_prefix(&prefix) else {
                continue;
            };
            let name = rest.rsplit('/').next().unwrap_or(rest);
            let in_place = match kind {
                FileKind::Pack => {
                    rest == layout::object_key(kind, name).trim_start_matches("data/")
                }
                _ => !rest.contains('/'),
            };
            if !in_place || !layout::is_object_name(kind, name) {
                continue;
            }
            out.push(FileInfo {
                name: name.to_string(),
                size: entry.metadata().content_length(),
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>> {
        let key = layout::object_key(kind, name);
        let end = if length == 0 {
            let size = self.size_of(kind, name, &key)?;
            if offset == 0 {
                BackendError::check_whole_read(&self.spec.shown, kind, name, size)?;
            }
            if offset > size {
                return Err(errors::past_the_end(&self.spec.shown, &key, offset, size));
            }
            size
        } else {
            offset
                .checked_add(length)
                .ok_or_else(|| errors::past_the_end(&self.spec.shown, &key, u64::MAX, offset))?
        };
        if end == offset {
            return Ok(Vec::new());
        }
        let buffer = match self.block_on(self.op.read_with(&key).range(offset..end)) {
            Ok(buffer) => buffer,
            Err(e) => {
                // Stores answer a range past the end in different ways (416, a short body,
                // a 500): the object's size says whether that is what happened.
                let size = self.size_of(kind, name, &key)?;
                if end > size {
                    return Err(errors::past_the_end(&self.spec.shown, &key, end, size));
                }
                return Err(self.failure("read", &key).not_found_as(e, kind, name));
            }
        };
        if buffer.len() as u64 != end - offset {
            // A complete answer shorter than asked: the object ends earlier.
            return Err(errors::past_the_end(
                &self.spec.shown,
                &key,
                end,
                offset + buffer.len() as u64,
            ));
        }
        Ok(buffer.to_vec())
    }

    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()> {
        let key = layout::object_key(kind, name);
        self.put(kind, &key, |target| self.upload_bytes(target, data))
    }

    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        let key = layout::object_key(kind, name);
        // Deleting a missing object succeeds on most stores; photovault wants to know.
        self.size_of(kind, name, &key)?;
        self.block_on(self.op.delete(&key))
            .map_err(|e| self.failure("remove", &key).not_found_as(e, kind, name))
    }

    fn begin_write(&self, kind: FileKind) -> BackendResult<Box<dyn PendingWrite>> {
        spool::begin(kind, &self.spec.shown)
    }

    fn finish_write(&self, pending: &mut dyn PendingWrite, name: &str) -> BackendResult<()> {
        let kind = pending.kind();
        let key = layout::object_key(kind, name);
        let pending = pending.as_any_mut();
        if let Some(memory) = pending.downcast_mut::<MemoryWrite>() {
            return self.write(kind, name, memory.bytes());
        }
        let spooled = pending
            .downcast_mut::<TempFile>()
            .ok_or_else(|| pending::foreign(self.location(), name))?;
        let path = spooled
            .flushed()
            .map_err(|source| BackendError::Io {
                location: self.spec.shown.clone(),
                op: "spool",
                path: key.clone(),
                source,
            })?
            .to_path_buf();
        self.put(kind, &key, |target| self.upload_file(target, &path))
    }

    fn remove_unfinished_writes(&self, before: SystemTime) -> BackendResult<u64> {
        if self.spec.atomic_put {
            return Ok(0); // nothing is ever written under a temporary name
        }
        let mut freed = 0;
        for kind in FileKind::FOLDERS {
            for entry in self.list_under(&format!("{}/", kind.dir()))? {
                let meta = entry.metadata();
                let old = meta
                    .last_modified()
                    .is_some_and(|t| SystemTime::from(t) < before);
                if entry.name().starts_with(TEMP_PREFIX) && meta.mode() != EntryMode::DIR && old {
                    match self.block_on(self.op.delete(entry.path())) {
                        Ok(()) => freed += meta.content_length(),
                        Err(e) if e.kind() == opendal::ErrorKind::NotFound => {}
                        Err(e) => {
                            return Err(self.failure("remove", entry.path()).from(e, kind));
                        }
                    }
                }
            }
        }
        Ok(freed)
    }

    fn is_remote(&self) -> bool {
        true
    }

    fn parallel_writes(&self) -> usize {
        self.spec.connections
    }
}

#[cfg(test)]
mod tests {
    use super::{upload_chunk, UPLOAD_CHUNK};

    #[test]
    fn a_pack_a_little_over_its_target_goes_up_in_one_request() {
        assert_eq!(upload_chunk((16 << 20) + 300_000), (16 << 20) + 300_000);
        assert_eq!(upload_chunk(0), 1);
        assert_eq!(upload_chunk(200 << 20), UPLOAD_CHUNK);
    }
}
