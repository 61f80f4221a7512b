//! A repository held in memory: for tests, and for programs that want a scratch
//! repository without a disk.
//!
//! It keeps the rules every backend keeps (SPEC §16.1): a write is visible whole or not at
//! all, a pending write is invisible until finished, a whole read of an object longer than
//! its kind allows is refused, and nothing is ever read past an object's end.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::{
    layout, pending, Backend, BackendError, BackendResult, FileInfo, FileKind, MemoryWrite,
    PendingWrite,
};

/// Objects in memory, shared by clones of the backend.
#[derive(Debug, Clone, Default)]
pub struct MemoryBackend {
    objects: Arc<RwLock<BTreeMap<String, Arc<Vec<u8>>>>>,
    name: String,
}

impl MemoryBackend {
    /// An empty store; `name` shows in messages as `memory:<name>`.
    pub fn new(name: impl Into<String>) -> Self {
        MemoryBackend {
            objects: Arc::default(),
            name: name.into(),
        }
    }

    fn not_found(&self, kind: FileKind, name: &str) -> BackendError {
        BackendError::NotFound {
            location: self.location(),
            kind,
            name: name.to_string(),
        }
    }

    fn get(&self, kind: FileKind, name: &str) -> BackendResult<Arc<Vec<u8>>> {
        self.objects
            .read()
            .expect("memory backend")
            .get(&layout::object_key(kind, name))
            .cloned()
            .ok_or_else(|| self.not_found(kind, name))
    }
}

impl Backend for MemoryBackend {
    fn location(&self) -> String {
        format!("memory:{}", self.name)
    }

    fn create(&self) -> BackendResult<()> {
        Ok(())
    }

    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>> {
        let objects = self.objects.read().expect("memory backend");
        if kind == FileKind::Config {
            return Ok(objects
                .get("config")
                .map(|bytes| FileInfo {
                    name: "config".into(),
                    size: bytes.len() as u64,
                })
                .into_iter()
                .collect());
        }
        let mut out = Vec::new();
        for prefix in layout::folders(kind).into_iter().map(|f| f + "/") {
            for (key, bytes) in objects.range(prefix.clone()..) {
                let Some(name) = key.strip_prefix(&prefix) else {
                    break;
                };
                if !name.contains('/') && layout::is_object_name(kind, name) {
                    out.push(FileInfo {
                        name: name.to_string(),
                        size: bytes.len() as u64,
                    });
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>> {
        let bytes = self.get(kind, name)?;
        let size = bytes.len() as u64;
        if offset == 0 && length == 0 {
            BackendError::check_whole_read(&self.location(), kind, name, size)?;
        }
        let end = if length == 0 {
            size
        } else {
            offset.saturating_add(length)
        };
        if offset > size || end > size {
            return Err(BackendError::Io {
                location: self.location(),
                op: "read",
                path: layout::object_key(kind, name),
                source: std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("file ends before byte {end}"),
                ),
            });
        }
        Ok(bytes[offset as usize..end as usize].to_vec())
    }

    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()> {
        self.objects
            .write()
            .expect("memory backend")
            .insert(layout::object_key(kind, name), Arc::new(data.to_vec()));
        Ok(())
    }

    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        self.objects
            .write()
            .expect("memory backend")
            .remove(&layout::object_key(kind, name))
            .map(|_| ())
            .ok_or_else(|| self.not_found(kind, name))
    }

    fn finish_write(&self, pending: &mut dyn PendingWrite, name: &str) -> BackendResult<()> {
        let kind = pending.kind();
        let memory = pending
            .as_any_mut()
            .downcast_mut::<MemoryWrite>()
            .ok_or_else(|| pending::foreign(self.location(), name))?;
        self.write(kind, name, memory.bytes())
    }
}
