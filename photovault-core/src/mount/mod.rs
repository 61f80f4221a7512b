//! Mount: a repository's snapshots as read-only folders (FUSE), with a photo timeline.
//!
//! ```text
//! snapshots/<YYYY-MM-DDTHH:MM:SS>/...   each snapshot, laid out as restore lays it out
//! snapshots/latest, ids/<short id>, hosts/<host>/<time>, tags/<tag>/<time>   symlinks
//! timeline/YYYY/MM/                      every distinct photo and video, by capture date
//! ```
//!
//! What the mount shows comes from [`crate::browse`] (folders read when visited, byte
//! ranges read through a shared blob cache with read-ahead, the timeline, snapshot folder
//! names), which other front ends use too. This module is only the FUSE adapter: the
//! layout numbers every folder, file and symlink shown with an inode that only grows with
//! what was looked at; the file system answers the kernel's requests from it; and
//! mounting and unmounting. The kernel side is `fuser` (no libfuse: root mounts directly,
//! other users through `fusermount3`), built with the crate's `mount` feature.
//!
//! A mount holds a shared lock, so prune cannot remove data under it. Problems with one
//! file or folder (a damaged blob, an unreadable tree) fail that file or folder with EIO
//! and are reported on stderr, as a file system has no caller to return them to.

mod fs;
mod inodes;
mod layout;

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use fuser::{BackgroundSession, MountOption, SessionACL};

use crate::browse::{BrowseOptions, Browser};
use crate::error::{Error, Result};
use crate::repository::{IndexedRepository, LockGuard};

pub use crate::browse::MIN_CACHE_SIZE;

/// How to mount.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MountOptions {
    /// The snapshot the timeline shows (id, unique prefix or `latest`); default the newest.
    pub snapshot: Option<String>,
    /// Bytes of decrypted blobs kept in memory (default 256 MiB; at least
    /// [`MIN_CACHE_SIZE`] is used, as a read must find the blob it just fetched).
    pub cache_size: u64,
    /// Let other users (root included) see the mount; needs `user_allow_other` in
    /// `/etc/fuse.conf` unless mounting as root. Permissions recorded in the snapshot apply.
    pub allow_other: bool,
}

impl Default for MountOptions {
    fn default() -> Self {
        MountOptions {
            snapshot: None,
            cache_size: 256 << 20,
            allow_other: false,
        }
    }
}

impl MountOptions {
    /// Shows the photos of this snapshot in the timeline.
    pub fn snapshot(mut self, spec: impl Into<String>) -> Self {
        self.snapshot = Some(spec.into());
        self
    }

    /// Sets the blob cache size in bytes.
    pub fn cache_size(mut self, bytes: u64) -> Self {
        self.cache_size = bytes;
        self
    }

    /// Lets other users see the mount.
    pub fn allow_other(mut self, allow: bool) -> Self {
        self.allow_other = allow;
        self
    }
}

/// A mounted repository. Dropping it unmounts.
pub struct MountHandle {
    mountpoint: PathBuf,
    session: Option<BackgroundSession>,
    _lock: Option<LockGuard>,
}

impl IndexedRepository {
    /// Mounts the repository at `mountpoint` and serves it until it is unmounted from
    /// outside (`fusermount3 -u`, `umount`). See [`IndexedRepository::mount_background`] to keep
    /// control, e.g. to unmount on a signal.
    pub fn mount(&self, mountpoint: &Path, options: &MountOptions) -> Result<()> {
        self.mount_background(mountpoint, options)?.wait()
    }

    /// Mounts the repository at `mountpoint` and serves it from background threads until
    /// the handle is unmounted or dropped. Only the snapshot list (and the index) is read
    /// now; folders are read when first visited.
    pub fn mount_background(
        &self,
        mountpoint: &Path,
        options: &MountOptions,
    ) -> Result<MountHandle> {
        let failed = |source| Error::Mount {
            mountpoint: mountpoint.to_path_buf(),
            source,
        };
        if !std::fs::metadata(mountpoint).map_err(failed)?.is_dir() {
            return Err(failed(io::Error::new(
                io::ErrorKind::NotADirectory,
                "the mount point must be an existing folder",
            )));
        }
        let lock = self.lock_for_reading()?;
        let (snapshots, errors) = self.snapshots_and_errors()?;
        for (name, error) in errors {
            report(
                Path::new("snapshots"),
                &format!("snapshot {name} not shown: {error}"),
            );
        }
        let timeline = match &options.snapshot {
            Some(spec) => Some(self.find_snapshot(spec)?),
            None => snapshots.last().cloned(),
        };
        fuse_available()?;
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let browse_options = BrowseOptions::default().cache_size(options.cache_size);
        let browser = Browser::new(self, &browse_options)?;
        let owner = inodes::Owner {
            // SAFETY: getuid and getgid have no preconditions.
            uid: unsafe { libc::getuid() },
            gid: unsafe { libc::getgid() },
        };
        let total_bytes = timeline
            .as_ref()
            .and_then(|s| s.snapshot.summary.as_ref())
            .map_or(0, |s| s.total_bytes);
        let layout = layout::Layout::new(browser.clone(), &snapshots, timeline.as_ref(), owner);
        let fs = fs::PhotoFs::new(layout, browser, total_bytes);

        let mut config = fuser::Config::default();
        config.mount_options = vec![
            MountOption::FSName("pvault".into()),
            MountOption::Subtype("pvault".into()),
            MountOption::RO,
            MountOption::NoAtime,
            MountOption::NoDev,
            MountOption::NoSuid,
            MountOption::DefaultPermissions,
        ];
        config.acl = if options.allow_other {
            SessionACL::All
        } else {
            SessionACL::Owner
        };
        config.n_threads = Some(cpus.clamp(2, 8));
        let session = fuser::spawn_mount(fs, mountpoint, &config).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Error::FuseUnavailable {
                reason: format!(
                    "{e}: install the fuse3 package (Debian/Ubuntu: apt install fuse3)"
                ),
            },
            io::ErrorKind::PermissionDenied => failed(io::Error::new(
                e.kind(),
                format!(
                    "permission denied ({e}); mounting needs root or fusermount3 (package \
                     fuse3), and in a container /dev/fuse and CAP_SYS_ADMIN"
                ),
            )),
            _ => failed(e),
        })?;
        Ok(MountHandle {
            mountpoint: mountpoint.to_path_buf(),
            session: Some(session),
            _lock: lock,
        })
    }
}

impl MountHandle {
    /// Where it is mounted.
    pub fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    /// Whether it is still being served (false once unmounted, from outside too).
    pub fn is_mounted(&self) -> bool {
        self.session
            .as_ref()
            .is_some_and(|s| !s.guard.is_finished())
    }

    /// Serves until unmounted from outside.
    pub fn wait(mut self) -> Result<()> {
        match self.session.take() {
            Some(session) => session.join().map_err(|e| self.error(e)),
            None => Ok(()),
        }
    }

    /// Unmounts and waits for the file system to stop. If the mount is busy (a process
    /// has a file open or its working folder in it) it is detached instead: it disappears
    /// from the mount point now, and those processes get errors once this one exits.
    pub fn unmount(mut self) -> Result<()> {
        self.unmount_now()
    }

    fn unmount_now(&mut self) -> Result<()> {
        let Some(session) = self.session.take() else {
            return Ok(());
        };
        if session.guard.is_finished() {
            return session.join().map_err(|e| self.error(e));
        }
        match unmount(&self.mountpoint).map_err(|e| self.error(e))? {
            Unmounted::Clean => session.join().map_err(|e| self.error(e)),
            Unmounted::Detached => {
                report(
                    &self.mountpoint,
                    "busy: detached; files still open in it fail when pvault exits",
                );
                Ok(())
            }
        }
    }

    fn error(&self, source: io::Error) -> Error {
        Error::Mount {
            mountpoint: self.mountpoint.clone(),
            source,
        }
    }
}

impl Drop for MountHandle {
    fn drop(&mut self) {
        if let Err(e) = self.unmount_now() {
            report(&self.mountpoint, &e.to_string());
        }
    }
}

enum Unmounted {
    Clean,
    Detached,
}

/// Unmounts `mountpoint`: directly as root, else through fusermount; lazily if busy.
fn unmount(mountpoint: &Path) -> io::Result<Unmounted> {
    let path = CString::new(mountpoint.as_os_str().as_bytes())?;
    // SAFETY: `path` is a NUL-terminated string that outlives the call.
    if unsafe { libc::umount2(path.as_ptr(), 0) } == 0 {
        return Ok(Unmounted::Clean);
    }
    let error = io::Error::last_os_error();
    match error.raw_os_error() {
        Some(libc::EBUSY) => {
            // SAFETY: as above.
            if unsafe { libc::umount2(path.as_ptr(), libc::MNT_DETACH) } == 0 {
                Ok(Unmounted::Detached)
            } else {
                Err(io::Error::last_os_error())
            }
        }
        Some(libc::EPERM) => {
            let fusermount = fusermount().ok_or(error)?;
            let run = |args: &[&str]| {
                Command::new(&fusermount)
                    .args(args)
                    .arg(mountpoint)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if run(&["-u", "-q"]) {
                Ok(Unmounted::Clean)
            } else if run(&["-u", "-q", "-z"]) {
                Ok(Unmounted::Detached)
            } else {
                Err(io::Error::other(format!(
                    "{} -u failed; unmount it by hand",
                    fusermount.display()
                )))
            }
        }
        _ => Err(error),
    }
}

/// `fusermount3` (or `fusermount`) on the PATH.
fn fusermount() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["fusermount3", "fusermount"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// Whether this machine can mount FUSE file systems, and if not what to install.
fn fuse_available() -> Result<()> {
    if !Path::new("/dev/fuse").exists() {
        return Err(Error::FuseUnavailable {
            reason: "/dev/fuse does not exist: load the fuse kernel module (modprobe fuse), \
                     or in a container pass the device in (--device /dev/fuse); users other \
                     than root also need fusermount3 (Debian/Ubuntu package fuse3)"
                .into(),
        });
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return Ok(());
    }
    if fusermount().is_none() {
        return Err(Error::FuseUnavailable {
            reason: "mounting as a user other than root needs fusermount3: install the fuse3 \
                     package (Debian/Ubuntu: apt install fuse3)"
                .into(),
        });
    }
    // SAFETY: the path is a NUL-terminated literal.
    if unsafe { libc::access(c"/dev/fuse".as_ptr(), libc::R_OK | libc::W_OK) } != 0 {
        return Err(Error::FuseUnavailable {
            reason: "/dev/fuse is not readable and writable by this user; it usually is by \
                     everyone (mode 0666): ask an administrator to fix its mode"
                .into(),
        });
    }
    Ok(())
}

/// Reports a problem with one file or folder of the mount (`path` relative to it).
fn report(path: &Path, message: &str) {
    eprintln!("pvault mount: {}: {message}", path.display());
}
