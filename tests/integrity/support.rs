//! Helpers shared by the integrity tests: paths, copying folders, describing a folder tree.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use photovault_core::KdfParams;

/// Argon2 parameters small enough for tests (1 MiB, one pass).
pub const FAST_KDF: KdfParams = KdfParams {
    memory_kib: 1024,
    iterations: 1,
    parallelism: 1,
};

/// The main workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("photovault-cli sits in the workspace")
        .to_path_buf()
}

/// Copies the folder `from` to `to` (which must not exist yet).
pub fn copy_dir(from: &Path, to: &Path) {
    photovault_testkit::files::copy_tree(from, to).unwrap();
}

/// Everything below `root` as (relative path, file type), depth first, sorted by name bytes.
pub fn walk(root: &Path) -> Vec<(PathBuf, fs::FileType)> {
    photovault_testkit::files::walk(root)
        .unwrap()
        .into_iter()
        .map(|e| (e.relative, e.metadata.file_type()))
        .collect()
}

/// Escapes bytes for a manifest line: everything outside 0x21..=0x7e, and `\`, as `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        if (0x21..=0x7e).contains(&b) && b != b'\\' {
            s.push(b as char);
        } else {
            s += &format!("\\x{b:02x}");
        }
    }
    s
}

/// The manifest lines describing the folder tree below `root` (the format of
/// `tests/vectors/repository/manifest`).
pub fn describe(root: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for (rel, kind) in walk(root) {
        let path = root.join(&rel);
        let meta = fs::symlink_metadata(&path).unwrap();
        let name = escape(rel.as_os_str().as_bytes());
        if kind.is_dir() {
            lines.push(format!(
                "dir {:o} {} {name}",
                meta.mode() & 0o7777,
                meta.mtime()
            ));
        } else if kind.is_symlink() {
            let target = fs::read_link(&path).unwrap();
            lines.push(format!(
                "symlink {} {name}",
                escape(target.as_os_str().as_bytes())
            ));
        } else {
            let data = fs::read(&path).unwrap();
            lines.push(format!(
                "file {:o} {} {} {} {name}",
                meta.mode() & 0o7777,
                meta.mtime(),
                data.len(),
                blake3::hash(&data).to_hex()
            ));
        }
    }
    lines
}
