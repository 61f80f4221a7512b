//! Content-defined chunking with FastCDC (2020), seeded per repository.
//!
//! Boundaries depend only on content, so an insertion shifts at most the chunks around it and
//! the rest of a file deduplicates. The seed (from the master key) XORs the gear table, so
//! the same photo cuts differently in different repositories and chunk sizes do not
//! fingerprint known files. Files are chunked while they are read, through a reusable buffer.

use std::io::{self, Read};

use fastcdc::v2020::{get_gear_with_seed, select_masks, Normalization};
use serde::{Deserialize, Serialize};

/// FastCDC's minimum, average and maximum chunk sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkerParams {
    /// No chunk (but a file's last) is shorter.
    pub min_size: u32,
    /// The normalised target.
    pub avg_size: u32,
    /// No chunk is longer.
    pub max_size: u32,
}

impl Default for ChunkerParams {
    /// 64 KiB / 256 KiB / 1 MiB: measured on the photo corpus, an in-place EXIF edit of a JPEG
    /// then costs about a tenth of the file instead of ~40% at 512 KiB / 1 MiB / 8 MiB,
    /// for an index about 30% larger (SPEC.md, "Chunking").
    fn default() -> Self {
        ChunkerParams {
            min_size: 64 * 1024,
            avg_size: 256 * 1024,
            max_size: 1024 * 1024,
        }
    }
}

impl ChunkerParams {
    /// Checks the ranges FastCDC supports.
    pub fn validate(&self) -> Result<(), String> {
        use fastcdc::v2020::{AVERAGE_MAX, AVERAGE_MIN, MAXIMUM_MAX, MINIMUM_MIN};
        let (min, avg, max) = (
            self.min_size as usize,
            self.avg_size as usize,
            self.max_size as usize,
        );
        let ok = min >= MINIMUM_MIN
            && avg >= AVERAGE_MIN
            && avg <= AVERAGE_MAX
            && max <= MAXIMUM_MAX
            && min < avg
            && avg < max
            && [min, avg, max].iter().all(|s| s % 2 == 0);
        if ok {
            Ok(())
        } else {
            Err(format!(
                "chunker sizes {min}/{avg}/{max} are not valid for FastCDC"
            ))
        }
    }
}

/// A configured chunker; cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Chunker {
    params: ChunkerParams,
    mask_s: u64,
    mask_l: u64,
    gear: Vec<u64>,
    gear_ls: Vec<u64>,
}

impl Chunker {
    /// A chunker with the repository's sizes and seed.
    pub fn new(params: ChunkerParams, seed: u64) -> Self {
        let (mask_s, mask_l) = select_masks(params.avg_size as usize, Normalization::Level1);
        let (gear, gear_ls) = get_gear_with_seed(seed);
        Chunker {
            params,
            mask_s,
            mask_l,
            gear: gear.into_owned(),
            gear_ls: gear_ls.into_owned(),
        }
    }

    /// The sizes in use.
    pub fn params(&self) -> ChunkerParams {
        self.params
    }

    /// Length of the first chunk of `data`, treating `data` as everything that is left.
    pub fn next_cut(&self, data: &[u8]) -> usize {
        let (_, cut) = fastcdc::v2020::cut_gear(
            data,
            self.params.min_size as usize,
            self.params.avg_size as usize,
            self.params.max_size as usize,
            self.mask_s,
            self.mask_l,
            self.mask_s << 1,
            self.mask_l << 1,
            &self.gear,
            &self.gear_ls,
        );
        cut
    }

    /// Chunk lengths of an in-memory buffer.
    pub fn chunk_lengths(&self, mut data: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        while !data.is_empty() {
            let cut = self.next_cut(data);
            out.push(cut);
            data = &data[cut..];
        }
        out
    }

    /// Reads `source` to the end and calls `each_chunk` with every chunk in order, reusing
    /// `buffer` between calls. Returns the number of bytes read.
    pub fn chunk_reader<R: Read, E: From<io::Error>>(
        &self,
        mut source: R,
        buffer: &mut Vec<u8>,
        mut each_chunk: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<u64, E> {
        let max = self.params.max_size as usize;
        let capacity = 4 * max;
        buffer.resize(capacity, 0);
        let (mut start, mut end, mut total, mut eof) = (0usize, 0usize, 0u64, false);
        loop {
            // Keep at least one maximum-size chunk ahead, so a cut is never forced by the
            // buffer edge rather than by content.
            if !eof && end - start < max {
                buffer.copy_within(start..end, 0);
                end -= start;
                start = 0;
                while end < capacity {
                    match source.read(&mut buffer[end..capacity]) {
                        Ok(0) => {
                            eof = true;
                            break;
                        }
                        Ok(n) => {
                            end += n;
                            total += n as u64;
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            if start == end {
                return Ok(total);
            }
            let cut = self.next_cut(&buffer[start..end]);
            each_chunk(&buffer[start..start + cut])?;
            start += cut;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect()
    }

    #[test]
    fn streaming_equals_in_memory_whatever_the_read_size() {
        let chunker = Chunker::new(ChunkerParams::default(), 99);
        let data = pseudo_random(5_000_000, 3);
        let expected = chunker.chunk_lengths(&data);
        for read_size in [1usize << 12, 65_537, 1 << 20] {
            let reader = SlowReader {
                data: &data,
                step: read_size,
            };
            let mut lengths = Vec::new();
            let total = chunker
                .chunk_reader::<_, io::Error>(reader, &mut Vec::new(), |c| {
                    lengths.push(c.len());
                    Ok(())
                })
                .unwrap();
            assert_eq!(total, data.len() as u64);
            assert_eq!(lengths, expected);
        }
    }

    #[test]
    fn different_seeds_cut_differently() {
        let data = pseudo_random(3_000_000, 5);
        let a = Chunker::new(ChunkerParams::default(), 1).chunk_lengths(&data);
        let b = Chunker::new(ChunkerParams::default(), 2).chunk_lengths(&data);
        assert_ne!(a, b);
    }

    struct SlowReader<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for SlowReader<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }
}
