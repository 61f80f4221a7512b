//! Buffers at page-aligned addresses, in whole pages, as `O_DIRECT` reads and writes want,
//! and a small pool of them so that reads past the page cache do not fault in fresh memory
//! each time.

use std::sync::Mutex;

/// Alignment of file offsets, lengths and memory that `O_DIRECT` asks for (the largest
/// logical block size of common disks).
pub(crate) const ALIGN: usize = 4096;

/// Buffers the pool keeps at most once given back; more may be out at once.
const POOL_SIZE: usize = 4;

/// One page, aligned as `O_DIRECT` wants.
#[derive(Clone, Copy)]
#[repr(C, align(4096))]
struct Page([u8; ALIGN]);

/// A zeroed buffer of whole pages at an [`ALIGN`]ed address.
pub(crate) struct AlignedBuf(Vec<Page>);

impl AlignedBuf {
    /// A buffer of at least `len` bytes, rounded up to whole pages.
    pub(crate) fn new(len: usize) -> Self {
        AlignedBuf(vec![Page([0; ALIGN]); len.div_ceil(ALIGN)])
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len() * ALIGN
    }

    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `Page` is plain bytes without padding; the vector holds its pages
        // contiguously, so the region is `len()` initialised bytes.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<u8>(), self.len()) }
    }

    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `bytes`, borrowed mutably through `self`.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<u8>(), self.len()) }
    }
}

static POOL: Mutex<Vec<AlignedBuf>> = Mutex::new(Vec::new());

/// A buffer of at least `len` bytes: one given back earlier when one is large enough.
pub(crate) fn take(len: usize) -> AlignedBuf {
    let mut pool = POOL.lock().expect("aligned buffer pool");
    match pool.iter().position(|buf| buf.len() >= len) {
        Some(at) => pool.swap_remove(at),
        None => {
            drop(pool);
            // Rounded up to whole MiB, so that a buffer fits the next read of similar size.
            AlignedBuf::new(len.next_multiple_of(1 << 20))
        }
    }
}

/// Keeps `buf` for a later [`take`], or frees the smallest buffer when the pool is full.
pub(crate) fn give_back(buf: AlignedBuf) {
    let mut pool = POOL.lock().expect("aligned buffer pool");
    pool.push(buf);
    if pool.len() > POOL_SIZE {
        let smallest = (0..pool.len())
            .min_by_key(|&i| pool[i].len())
            .expect("pool is not empty");
        pool.swap_remove(smallest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_aligned_whole_pages_of_at_least_the_length_asked() {
        for len in [0, 1, ALIGN - 1, ALIGN, ALIGN + 1, (1 << 20) + 17] {
            let mut buf = AlignedBuf::new(len);
            assert!(buf.len() >= len && buf.len() % ALIGN == 0, "{len}");
            assert_eq!(buf.bytes().as_ptr() as usize % ALIGN, 0);
            buf.bytes_mut().fill(7);
            assert!(buf.bytes().iter().all(|&b| b == 7));
        }
    }

    #[test]
    fn the_pool_hands_out_a_buffer_large_enough() {
        let big = take(3 << 20);
        assert!(big.len() >= 3 << 20);
        give_back(big);
        let small = take(10);
        assert!(small.len() >= 10);
        let bigger = take(9 << 20);
        assert!(bigger.len() >= 9 << 20);
        give_back(small);
        give_back(bigger);
    }
}
