//! Content-defined chunking with FastCDC (2020), seeded per repository.
//!
//! Boundaries depend only on content, so an insertion shifts at most the chunks around it and
//! the rest of a file deduplicates. The seed (from the master key) XORs the gear table, so
//! the same photo cuts differently in different repositories and chunk sizes do not
//! fingerprint known files. Files are chunked while they are read, through a reusable buffer.
//!
//! A repository's [`ChunkingScheme`] may first split a file into parts where its container
//! separates metadata from media ([`container`]); each part is then cut by FastCDC as if it
//! were a file of its own, so a metadata edit does not move the image's chunk boundaries.

pub mod container;
mod scheme;
mod source;

use std::io::{self, Read};

pub use scheme::ChunkingScheme;
pub use source::ByteSource;

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
            && (AVERAGE_MIN..=AVERAGE_MAX).contains(&avg)
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
    scheme: ChunkingScheme,
    mask_s: u64,
    mask_l: u64,
    gear: Vec<u64>,
    gear_ls: Vec<u64>,
}

impl Chunker {
    /// A plain chunker with the repository's sizes and seed.
    pub fn new(params: ChunkerParams, seed: u64) -> Self {
        let (mask_s, mask_l) = select_masks(params.avg_size as usize, Normalization::Level1);
        let (gear, gear_ls) = get_gear_with_seed(seed);
        Chunker {
            params,
            scheme: ChunkingScheme::Plain,
            mask_s,
            mask_l,
            gear: gear.into_owned(),
            gear_ls: gear_ls.into_owned(),
        }
    }

    /// The same chunker cutting by `scheme` (an unknown scheme cuts plain; repositories
    /// that record one are not opened).
    pub fn with_scheme(mut self, scheme: ChunkingScheme) -> Self {
        self.scheme = scheme;
        self
    }

    /// The sizes in use.
    pub fn params(&self) -> ChunkerParams {
        self.params
    }

    /// The scheme in use.
    pub fn scheme(&self) -> &ChunkingScheme {
        &self.scheme
    }

    /// Where the scheme splits `file` into parts before FastCDC cuts each: strictly
    /// increasing offsets inside the file, none for plain chunking (SPEC §12.5).
    pub fn part_cuts<S: ByteSource + ?Sized>(&self, file: &S) -> Vec<u64> {
        match self.scheme {
            ChunkingScheme::Container => container::cut_points(file, self.params.min_size as u64),
            ChunkingScheme::Plain | ChunkingScheme::Unknown(_) => Vec::new(),
        }
    }

    /// Chunk lengths of a whole file in memory, as the scheme cuts it.
    pub fn file_chunk_lengths(&self, data: &[u8]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut start = 0usize;
        for end in self
            .part_cuts(data)
            .into_iter()
            .map(|c| c as usize)
            .chain([data.len()])
        {
            out.extend(self.chunk_lengths(&data[start..end]));
            start = end;
        }
        out
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
    /// `buffer` between calls. Returns the number of bytes read. Plain FastCDC: see
    /// [`Chunker::chunk_parts`] for a file cut by the scheme.
    pub fn chunk_reader<R: Read, E: From<io::Error>>(
        &self,
        source: R,
        buffer: &mut Vec<u8>,
        mut each_chunk: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<u64, E> {
        self.chunk_parts(source, &[], buffer, |chunk, _| each_chunk(chunk))
    }

    /// Reads `source` to the end and calls `each_chunk` with every chunk in order, never
    /// letting a chunk cross one of `cuts` (strictly increasing offsets, from
    /// [`Chunker::part_cuts`]; cuts past the end are never reached): each part is cut as a
    /// file of its own. The first call also gets the file's head, its first `max_size`
    /// bytes (or all of it), for what backup learns from a file's start. Reuses `buffer`
    /// between calls; returns the number of bytes read.
    pub fn chunk_parts<R: Read, E: From<io::Error>>(
        &self,
        mut source: R,
        cuts: &[u64],
        buffer: &mut Vec<u8>,
        mut each_chunk: impl FnMut(&[u8], Option<&[u8]>) -> Result<(), E>,
    ) -> Result<u64, E> {
        let max = self.params.max_size as usize;
        let capacity = 4 * max;
        buffer.resize(capacity, 0);
        let (mut start, mut end, mut total, mut eof) = (0usize, 0usize, 0u64, false);
        // File offset of `buffer[start]`, and the cuts not yet passed.
        let (mut at, mut cuts) = (0u64, cuts);
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
            while cuts.first().is_some_and(|&c| c <= at) {
                cuts = &cuts[1..];
            }
            // The part ends at the next cut, or in the buffer, which then holds at least
            // `max` bytes of it: the cut is where the part alone would be cut.
            let limit = match cuts.first() {
                Some(&c) => end.min(start.saturating_add((c - at) as usize)),
                None => end,
            };
            let cut = self.next_cut(&buffer[start..limit]);
            let head = (at == 0).then(|| &buffer[..end.min(max)]);
            each_chunk(&buffer[start..start + cut], head)?;
            start += cut;
            at += cut as u64;
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
    fn streaming_through_part_cuts_equals_cutting_each_part_in_memory() {
        let chunker = Chunker::new(ChunkerParams::default(), 5);
        let data = pseudo_random(6_000_000, 8);
        // A tiny part, parts shorter and longer than max_size, one longer than the buffer.
        let cuts = [10u64, 70_000, 1_500_000, 1_500_100, 5_900_000];
        let mut expected = Vec::new();
        let mut start = 0;
        for end in cuts.iter().map(|&c| c as usize).chain([data.len()]) {
            expected.extend(chunker.chunk_lengths(&data[start..end]));
            start = end;
        }
        for read_size in [1usize << 12, 65_537, 1 << 20] {
            let reader = SlowReader {
                data: &data,
                step: read_size,
            };
            let (mut lengths, mut heads) = (Vec::new(), Vec::new());
            chunker
                .chunk_parts::<_, io::Error>(reader, &cuts, &mut Vec::new(), |c, head| {
                    lengths.push(c.len());
                    heads.extend(head.map(<[u8]>::len));
                    Ok(())
                })
                .unwrap();
            assert_eq!(lengths, expected);
            assert_eq!(heads, [1 << 20], "the head comes with the first chunk only");
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
