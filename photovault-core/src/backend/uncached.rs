//! Reading a range of a local file past the page cache (`O_DIRECT`).
//!
//! Restore and `check --read-data` read every pack once. Through the page cache each byte
//! is first put in the cache and then copied into the reader's buffer: that copy was a sixth
//! of a restore's CPU time (`benches/RESULTS.md`), and the cache it fills pushes the user's
//! own files out of memory. A direct read has the disk put the bytes into the buffer. It
//! needs an aligned buffer, offset and length, so the read covers the whole pages around
//! the range and the caller gets the range inside them ([`ReadBytes`]). A file system that
//! refuses `O_DIRECT` is read the ordinary way: this is a speed-up, never a requirement.
//! Coherence with the cache is the kernel's: dirty cached pages of the range are written
//! before a direct read.

use std::fs::File;
use std::io;

use super::ReadBytes;
use crate::aligned::{self, ALIGN};

/// Shorter ranges are read through the page cache: for them the copy costs little and the
/// pages around the range would be read for nothing.
pub(super) const MIN_LEN: u64 = 256 << 10;

/// The `length` bytes at `offset` of `file`, read past the page cache; `None` when the file system refuses that, and the caller reads the
/// ordinary way.
#[cfg(target_os = "linux")]
pub(super) fn read(file: &File, offset: u64, length: u64) -> io::Result<Option<ReadBytes>> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::FileExt;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl reads and sets the flags of a descriptor this function borrows open.
    let refused = unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_DIRECT) < 0
    };
    if refused {
        return Ok(None);
    }
    let first = offset - offset % ALIGN as u64;
    let end = (offset + length).next_multiple_of(ALIGN as u64);
    let want = (offset + length - first) as usize;
    let mut buf = aligned::take((end - first) as usize);
    let mut got = 0usize;
    while got < want {
        // Whole pages from an aligned offset; the last read may end short, at the end of
        // the file.
        let room = &mut buf.bytes_mut()[got..(end - first) as usize];
        match file.read_at(room, first + got as u64) {
            Ok(0) => break,
            Ok(n) if (got + n) % ALIGN != 0 && got + n < want => {
                // A short read inside the range leaves an unaligned rest: read it again
                // the ordinary way.
                aligned::give_back(buf);
                return Ok(None);
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                aligned::give_back(buf);
                return Ok(None);
            }
            Err(e) => {
                aligned::give_back(buf);
                return Err(e);
            }
        }
    }
    if got < want {
        aligned::give_back(buf);
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("file ends before byte {}", offset + length),
        ));
    }
    Ok(Some(ReadBytes::aligned(
        buf,
        (offset - first) as usize,
        length as usize,
    )))
}

#[cfg(not(target_os = "linux"))]
pub(super) fn read(_: &File, _: u64, _: u64) -> io::Result<Option<ReadBytes>> {
    Ok(None)
}
