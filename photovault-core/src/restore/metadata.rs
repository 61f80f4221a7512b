//! Applying a node's metadata to what restore wrote: mode, owner (as root), mtime.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use filetime::FileTime;

use crate::format::tree::{Node, NodeKind};

/// Sets owner (when running as root), permission bits and mtime; a symlink gets owner and
/// mtime only, without following it.
pub(super) fn apply(path: &Path, node: &Node) -> std::io::Result<()> {
    if is_root() {
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())?;
        // SAFETY: `c` is a valid NUL-terminated path; lchown does not follow symlinks.
        let rc = unsafe { libc::lchown(c.as_ptr(), node.uid, node.gid) };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    let mtime = FileTime::from_unix_time(node.mtime.secs, node.mtime.nanos);
    if node.kind == NodeKind::Symlink {
        return filetime::set_symlink_file_times(path, mtime, mtime);
    }
    fs::set_permissions(path, fs::Permissions::from_mode(node.mode & 0o7777))?;
    filetime::set_file_times(path, mtime, mtime)
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
