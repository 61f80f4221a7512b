//! File content for tests (pseudo-random, incompressible), file system helpers, and the
//! library's view of a test repository (its master key), for tests that look inside.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use photovault_core::backend::{Backend, FileKind, LocalBackend};
use photovault_core::crypto::MasterKey;
use photovault_core::format::key_file::KeyFile;
use photovault_core::{IndexedRepository, OpenOptions, Repository};

use super::PASSWORD;

pub use photovault_testkit::files::random_bytes;

/// Writes `len` pseudo-random bytes to `path`, streaming.
pub fn write_random_file(path: &Path, len: u64, seed: u64) {
    photovault_testkit::files::write_random_file(path, len, seed).expect("write a random file");
}

/// Total bytes of the files below `dir` (what `du --apparent-size` says).
pub fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in fs::read_dir(dir).expect("list folder") {
        let entry = entry.expect("list folder");
        let meta = entry.metadata().expect("stat");
        total += if meta.is_dir() {
            dir_size(&entry.path())
        } else {
            meta.len()
        };
    }
    total
}

/// Every file below `dir` as (path relative to `dir`, size), sorted.
pub fn list_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    photovault_testkit::files::walk(dir)
        .expect("list folder")
        .into_iter()
        .filter(|e| !e.metadata.is_dir())
        .map(|e| (e.relative, e.metadata.len()))
        .collect()
}

/// Sets a path's mode bits exactly.
pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

// ---- the library's view of a test repository ---------------------------------------------

/// Opens a repository folder with the library (no cache) and also unwraps its master key, so
/// a test can read pack headers or write objects the way `pvault` would.
pub fn open_with_key(repo: &Path) -> (IndexedRepository, MasterKey) {
    let backend: Arc<dyn Backend> = Arc::new(LocalBackend::new(repo));
    let repository = Repository::open(
        backend.clone(),
        PASSWORD.as_bytes(),
        &OpenOptions::default().no_cache(true),
    )
    .expect("open repository")
    .to_indexed()
    .expect("load the index");
    let key = master_key(backend.as_ref());
    (repository, key)
}

/// The master key of the repository behind `backend`, unwrapped with [`PASSWORD`].
pub fn master_key(backend: &dyn Backend) -> MasterKey {
    for file in backend.list(FileKind::Key).expect("list keys") {
        let bytes = backend
            .read_all(FileKind::Key, &file.name)
            .expect("key file");
        let key_file = KeyFile::decode(&bytes, &file.name).expect("key file decodes");
        if let Some(key) = key_file
            .unwrap_key(PASSWORD.as_bytes(), &file.name)
            .expect("unwrap key")
        {
            return key;
        }
    }
    panic!("no key file opens with the test password");
}

/// A path below `dir` from raw name bytes.
pub fn raw_name(dir: &Path, name: &[u8]) -> PathBuf {
    dir.join(OsStr::from_bytes(name))
}
