//! Restored files leave the page cache a little behind the restore.
//!
//! Left alone, the kernel keeps every restored byte in memory as dirty pages and writes them
//! out later: a large restore fills gigabytes of page cache, pushes the user's own files
//! out of memory, and on a virtual machine whose free memory the host takes back (free page
//! reporting) makes every fresh page cost a fault in the host, which dominated restore's
//! system time. Instead each finished file of at least [`MIN_SIZE`] has its writeback
//! started at once, and once more than [`BUDGET`] bytes or [`MAX_WAITING`] files wait, the
//! oldest is waited for and dropped from the cache, so the frames are reused for the next
//! files. The data's durability is unchanged
//! (restore promises no fsync of restored files); these calls are hints, and a failure of
//! one changes nothing.

use std::collections::VecDeque;
use std::fs::File;
use std::sync::Mutex;

/// Bytes of finished files kept in the page cache before the oldest is released.
const BUDGET: u64 = 256 << 20;

/// Finished files waiting at most: each holds a file descriptor open.
const MAX_WAITING: usize = 32;

/// Smaller files are left to the kernel: their pages are few, and a write started per file
/// would turn a folder of 100,000 small files into as many separate disk writes.
const MIN_SIZE: u64 = 1 << 20;

#[derive(Default)]
pub(super) struct WriteBehind {
    waiting: Mutex<(VecDeque<(File, u64)>, u64)>,
}

impl WriteBehind {
    /// Starts writing `file` (of `len` bytes, all written) out, and releases the oldest
    /// finished files while more than the budget waits.
    pub(super) fn finished(&self, file: File, len: u64) {
        if len < MIN_SIZE {
            return;
        }
        start_writeback(&file);
        let mut release = Vec::new();
        {
            let mut waiting = self.waiting.lock().expect("write-behind queue");
            waiting.0.push_back((file, len));
            waiting.1 += len;
            while waiting.1 > BUDGET || waiting.0.len() > MAX_WAITING {
                let Some((old, old_len)) = waiting.0.pop_front() else {
                    break;
                };
                waiting.1 -= old_len;
                release.push(old);
            }
        }
        for old in release {
            wait_and_release(&old);
        }
    }
}

#[cfg(target_os = "linux")]
fn start_writeback(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: sync_file_range only reads its arguments; the descriptor is open.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, libc::SYNC_FILE_RANGE_WRITE) };
}

#[cfg(target_os = "linux")]
fn wait_and_release(file: &File) {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    let all = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    // SAFETY: as above; posix_fadvise likewise only reads its arguments.
    unsafe {
        let _ = libc::sync_file_range(fd, 0, 0, all);
        let _ = libc::posix_fadvise(fd, 0, 0, libc::POSIX_FADV_DONTNEED);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &File) {}

#[cfg(not(target_os = "linux"))]
fn wait_and_release(_: &File) {}
