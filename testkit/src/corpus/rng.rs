//! The corpus' only source of randomness: SplitMix64, seeded per file.
//!
//! Every file gets its own generator, derived from the corpus seed, the kind of file and its
//! index ([`Rng::derive`]), so its bytes never depend on which thread made it or in what
//! order. Floating point is limited to `+ - * /` and `sqrt`, which IEEE 754 rounds exactly,
//! so the corpus does not depend on a platform's `libm` either.

/// SplitMix64 (Steele, Lea and Flood, 2014): one `u64` of state, statistically good enough
/// for test data and fast enough to fill hundreds of megabytes.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a bijective mix of all 64 bits.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for one seed (tests; the corpus derives its generators).
    #[cfg(test)]
    pub fn new(seed: u64) -> Self {
        Rng { state: mix(seed) }
    }

    /// A generator for `path` below `seed`, e.g. `[JPEG, 17]` for the 18th photo: distinct
    /// paths give unrelated streams.
    pub fn derive(seed: u64, path: &[u64]) -> Self {
        let mut state = mix(seed ^ 0x7465_7374_6b69_7400);
        for &step in path {
            state = mix(state.wrapping_add(GOLDEN).wrapping_add(mix(step)));
        }
        Rng { state }
    }

    /// A child generator for `tag`, leaving this one unchanged.
    pub fn child(&self, tag: u64) -> Self {
        Rng {
            state: mix(self.state ^ mix(tag.wrapping_add(GOLDEN))),
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// Uniform in `0..n` (`n > 0`; the modulo bias is below 2^-40 for the sizes used here).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        self.next_u64() % n
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    /// Uniform in `[0, 1)`, with 53 bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Between `lo` and `hi`, small values more likely (density falling linearly to `hi`):
    /// the shape of file sizes in a photo library, without `ln`/`exp`.
    pub fn skewed(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (1.0 - (1.0 - self.unit()).sqrt())
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index drawn with the given integer weights (not all zero).
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let total: u64 = weights.iter().sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }

    /// `k` distinct indices of `0..n` (all of them if `k >= n`), in ascending order.
    pub fn sample(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below((n - i) as u64) as usize;
            all.swap(i, j);
        }
        all.truncate(k);
        all.sort_unstable();
        all
    }

    /// Fills `buf` with random bytes (8 per step: about 1-2 GB/s optimised).
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut words = buf.chunks_exact_mut(8);
        for word in &mut words {
            word.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = words.into_remainder();
        let last = self.next_u64().to_le_bytes();
        rest.copy_from_slice(&last[..rest.len()]);
    }

    /// 16 random bytes as an upper-case hex UUID (`8-4-4-4-12`), as Lightroom names its
    /// previews.
    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        let hex = format!("{a:016X}{b:016X}");
        format!(
            "{}-{}-{}-{}-{}",
            &hex[..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..]
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::derive(1, &[2, 3]).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::derive(1, &[2, 3]).next_u64(),
            Rng::derive(1, &[3, 2]).next_u64()
        );
        assert_ne!(
            Rng::derive(1, &[2, 3]).next_u64(),
            Rng::derive(2, &[2, 3]).next_u64()
        );
    }

    #[test]
    fn draws_stay_in_their_ranges() {
        let mut rng = Rng::new(7);
        for _ in 0..10_000 {
            assert!((3..=9).contains(&rng.range(3, 9)));
            let s = rng.skewed(5.0, 40.0);
            assert!((5.0..=40.0).contains(&s));
            assert!(rng.unit() < 1.0);
        }
        let picked = rng.sample(100, 10);
        assert_eq!(picked.len(), 10);
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
        assert!(rng.uuid().len() == 36);
    }
}
