//! The FUSE file system: kernel requests answered from the [`Layout`] and the [`Browser`].
//!
//! Everything is read-only: the mount is made `ro`, and the calls that would change
//! something answer EROFS in case one gets through. Nothing a mount shows ever changes, so
//! the kernel may cache names, attributes, folder listings and file pages for long.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use fuser::{
    Errno, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, InitFlags,
    KernelConfig, LockOwner, OpenAccMode, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate,
    ReplyData, ReplyDirectory, ReplyDirectoryPlus, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs,
    ReplyWrite, Request, TimeOrNow, WriteFlags,
};

use super::inodes::{Body, Inode, Listing};
use super::layout::{Layout, ListError};
use crate::browse::{Browser, OpenFile};

/// How long the kernel may keep names and attributes: nothing changes.
const TTL: Duration = Duration::from_secs(3600);

/// A mounted repository.
pub(super) struct PhotoFs {
    layout: Arc<Layout>,
    browser: Browser,
    files: Mutex<HashMap<u64, Arc<OpenFile>>>,
    next_handle: AtomicU64,
    /// Problems reported already (the kernel retries a failed read page by page).
    reported: Mutex<HashSet<(u64, String)>>,
    /// Bytes of the newest snapshot, for `df`.
    total_bytes: u64,
}

impl PhotoFs {
    pub(super) fn new(layout: Layout, browser: Browser, total_bytes: u64) -> Self {
        PhotoFs {
            layout: Arc::new(layout),
            browser,
            files: Mutex::new(HashMap::new()),
            next_handle: AtomicU64::new(1),
            reported: Mutex::new(HashSet::new()),
            total_bytes,
        }
    }

    fn inode(&self, ino: INodeNo) -> Result<Arc<Inode>, Errno> {
        self.layout.inodes.get(ino.0).ok_or(Errno::ENOENT)
    }

    fn listing(&self, ino: INodeNo) -> Result<Arc<Listing>, Errno> {
        self.layout.listing(ino.0).map_err(|e| match e {
            ListError::NotFound => Errno::ENOENT,
            ListError::NotDir => Errno::ENOTDIR,
            ListError::Unreadable => Errno::EIO,
        })
    }

    /// Reports a problem with a file, once.
    fn report(&self, ino: INodeNo, message: &str) {
        let mut reported = self.reported.lock().expect("reported problems");
        if reported.len() >= 10_000 {
            reported.clear();
        }
        if reported.insert((ino.0, message.to_string())) {
            super::report(&self.layout.inodes.path(ino.0), message);
        }
    }
}

impl Filesystem for PhotoFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Listing with attributes saves `ls -l` a lookup per entry; both are optional.
        let _ = config.add_capabilities(InitFlags::FUSE_DO_READDIRPLUS);
        let _ = config.add_capabilities(InitFlags::FUSE_READDIRPLUS_AUTO);
        let _ = config.add_capabilities(InitFlags::FUSE_PARALLEL_DIROPS);
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let found = self.listing(parent).and_then(|listing| {
            let entry = listing.lookup(name.as_bytes()).ok_or(Errno::ENOENT)?;
            Ok((entry.ino, self.inode(INodeNo(entry.ino))?))
        });
        match found {
            Ok((ino, inode)) => reply.entry(&TTL, &inode.meta.attr(ino), Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.inode(ino) {
            Ok(inode) => reply.attr(&TTL, &inode.meta.attr(ino.0)),
            Err(e) => reply.error(e),
        }
    }

    fn readlink(&self, _req: &Request, ino: INodeNo, reply: ReplyData) {
        match self.inode(ino) {
            Ok(inode) => match &inode.body {
                Body::Symlink(target) => reply.data(target),
                _ => reply.error(Errno::EINVAL),
            },
            Err(e) => reply.error(e),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        if flags.acc_mode() != OpenAccMode::O_RDONLY {
            return reply.error(Errno::EROFS);
        }
        let inode = match self.inode(ino) {
            Ok(inode) => inode,
            Err(e) => return reply.error(e),
        };
        let Body::File(node) = &inode.body else {
            return reply.error(Errno::EISDIR);
        };
        match self.browser.open(node) {
            Ok(file) => {
                let fh = self.next_handle.fetch_add(1, Ordering::Relaxed);
                self.files
                    .lock()
                    .expect("open files")
                    .insert(fh, Arc::new(file));
                reply.opened(FileHandle(fh), FopenFlags::FOPEN_KEEP_CACHE);
            }
            Err(e) => {
                self.report(ino, &e.to_string());
                reply.error(Errno::EIO);
            }
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let file = self.files.lock().expect("open files").get(&fh.0).cloned();
        let Some(file) = file else {
            return reply.error(Errno::EBADF);
        };
        match file.read_at(offset, size as usize) {
            Ok(data) => reply.data(&data),
            Err(e) => {
                self.report(ino, &e.to_string());
                reply.error(Errno::EIO);
            }
        }
    }

    fn release(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.files.lock().expect("open files").remove(&fh.0);
        reply.ok();
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.inode(ino).map(|i| matches!(i.body, Body::Dir(_))) {
            Ok(true) => reply.opened(
                FileHandle(0),
                FopenFlags::FOPEN_KEEP_CACHE | FopenFlags::FOPEN_CACHE_DIR,
            ),
            Ok(false) => reply.error(Errno::ENOTDIR),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let (listing, parent) = match self.listing(ino).and_then(|l| Ok((l, self.inode(ino)?))) {
            Ok((listing, inode)) => (listing, inode.parent),
            Err(e) => return reply.error(e),
        };
        // Offsets: 0 "." → 1 ".." → 2 + i the i-th entry; each names the next one.
        let dots = [(ino.0, b".".as_slice()), (parent, b"..".as_slice())];
        for (i, (dot_ino, name)) in dots.iter().enumerate().skip(offset as usize) {
            if reply.add(
                INodeNo(*dot_ino),
                i as u64 + 1,
                FileType::Directory,
                OsStr::from_bytes(name),
            ) {
                return reply.ok();
            }
        }
        let start = (offset as usize).saturating_sub(2);
        for (i, entry) in listing.entries.iter().enumerate().skip(start) {
            let next = i as u64 + 3;
            if reply.add(
                INodeNo(entry.ino),
                next,
                entry.kind,
                OsStr::from_bytes(&entry.name),
            ) {
                break;
            }
        }
        reply.ok();
    }

    fn readdirplus(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectoryPlus,
    ) {
        let (listing, this) = match self.listing(ino).and_then(|l| Ok((l, self.inode(ino)?))) {
            Ok(found) => found,
            Err(e) => return reply.error(e),
        };
        if offset == 0 && reply.add(ino, 1, ".", &TTL, &this.meta.attr(ino.0), Generation(0)) {
            return reply.ok();
        }
        if offset <= 1 {
            let parent = self
                .inode(INodeNo(this.parent))
                .unwrap_or_else(|_| this.clone());
            let attr = parent.meta.attr(this.parent);
            if reply.add(INodeNo(this.parent), 2, "..", &TTL, &attr, Generation(0)) {
                return reply.ok();
            }
        }
        let start = (offset as usize)
            .saturating_sub(2)
            .min(listing.entries.len());
        let entries = &listing.entries[start..];
        // Attributes for a reply's worth at a time, under one lock of the table.
        for (c, chunk) in entries.chunks(256).enumerate() {
            let inos: Vec<u64> = chunk.iter().map(|e| e.ino).collect();
            let attrs = self.layout.inodes.with_each(&inos, |_, inode| inode.meta);
            for (k, (entry, meta)) in chunk.iter().zip(attrs).enumerate() {
                let next = (start + c * 256 + k) as u64 + 3;
                let attr = meta.attr(entry.ino);
                let name = OsStr::from_bytes(&entry.name);
                if reply.add(INodeNo(entry.ino), next, name, &TTL, &attr, Generation(0)) {
                    return reply.ok();
                }
            }
        }
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        const BLOCK: u64 = 4096;
        let files = self.layout.inodes.len();
        reply.statfs(
            self.total_bytes.div_ceil(BLOCK),
            0,
            0,
            files,
            0,
            BLOCK as u32,
            255,
            BLOCK as u32,
        );
    }

    fn access(&self, _req: &Request, _ino: INodeNo, mask: fuser::AccessFlags, reply: ReplyEmpty) {
        if mask.contains(fuser::AccessFlags::W_OK) {
            reply.error(Errno::EROFS)
        } else {
            reply.ok()
        }
    }

    // ---- everything that would change something -------------------------------------------

    fn setattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        _size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        reply.error(Errno::EROFS);
    }

    fn mknod(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _mode: u32,
        _umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn mkdir(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn unlink(&self, _req: &Request, _parent: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn rmdir(&self, _req: &Request, _parent: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }

    fn symlink(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _link_name: &OsStr,
        _target: &Path,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn rename(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _newparent: INodeNo,
        _newname: &OsStr,
        _flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }

    fn link(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _newparent: INodeNo,
        _newname: &OsStr,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EROFS);
    }

    fn write(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _offset: u64,
        _data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        reply.error(Errno::EROFS);
    }

    fn create(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _name: &OsStr,
        _mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        reply.error(Errno::EROFS);
    }

    fn setxattr(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _name: &OsStr,
        _value: &[u8],
        _flags: i32,
        _position: u32,
        reply: ReplyEmpty,
    ) {
        reply.error(Errno::EROFS);
    }

    fn removexattr(&self, _req: &Request, _ino: INodeNo, _name: &OsStr, reply: ReplyEmpty) {
        reply.error(Errno::EROFS);
    }
}
