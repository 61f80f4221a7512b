//! Which unchanged files a backup reads again to catch damage on the source disk.
//!
//! A photo whose size and modification time did not change but whose content did is almost
//! always bit rot: nothing that edits a photo keeps both. A backup that trusts metadata
//! never sees it, and would keep the damaged file as "unchanged" until the old snapshots
//! holding the good version are forgotten. `--verify-unchanged-fraction P` reads a slice of
//! P percent of the unchanged files again on each run and compares their chunk ids with the
//! parent's. The slice is a window on a hash of each path that moves on by one width per
//! run of the same host and paths, so consecutive runs cover consecutive slices and every
//! file is read again within ⌈100 / P⌉ runs, at a cost of about P percent of a full read
//! (SPEC §14.5).

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The unchanged files one run reads again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VerifySlice {
    /// Start of the window on the path hash circle (2⁶⁴ points).
    start: u64,
    /// Width of the window; `None`: every file.
    width: Option<u64>,
}

impl VerifySlice {
    /// The slice of `percent` (0 < percent ≤ 100) for the `run`-th backup of a host and
    /// paths (0 for the first). `None` for 0 or less: nothing is read again.
    pub(crate) fn new(percent: f64, run: u64) -> Option<VerifySlice> {
        if percent.is_nan() || percent <= 0.0 {
            return None;
        }
        if percent >= 100.0 {
            return Some(VerifySlice {
                start: 0,
                width: None,
            });
        }
        // Parts per million of the circle, at least one.
        let ppm = ((percent * 10_000.0).round() as u128).max(1);
        let width = ((ppm << 64) / 1_000_000) as u64;
        Some(VerifySlice {
            start: width.wrapping_mul(run),
            width: Some(width),
        })
    }

    /// Whether the file at `path` is read again on this run.
    pub(crate) fn selects(&self, path: &Path) -> bool {
        let Some(width) = self.width else {
            return true;
        };
        let hash = blake3::hash(path.as_os_str().as_bytes());
        let point = u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"));
        point.wrapping_sub(self.start) < width
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn paths() -> Vec<PathBuf> {
        (0..20_000)
            .map(|i| PathBuf::from(format!("/photos/{}/IMG_{i:05}.JPG", i % 37)))
            .collect()
    }

    #[test]
    fn ten_percent_reads_a_tenth_and_ten_runs_read_everything_once() {
        let paths = paths();
        let mut times_read = vec![0u32; paths.len()];
        for run in 0..10 {
            let slice = VerifySlice::new(10.0, run).unwrap();
            let mut this_run = 0;
            for (i, p) in paths.iter().enumerate() {
                if slice.selects(p) {
                    times_read[i] += 1;
                    this_run += 1;
                }
            }
            assert!((1_700..2_300).contains(&this_run), "run {run}: {this_run}");
        }
        assert!(
            times_read.iter().all(|&n| n == 1),
            "each file once in 10 runs"
        );
    }

    #[test]
    fn consecutive_runs_read_different_files_and_the_same_run_the_same() {
        let paths = paths();
        let picked = |run| -> Vec<&PathBuf> {
            let slice = VerifySlice::new(25.0, run).unwrap();
            paths.iter().filter(|p| slice.selects(p)).collect()
        };
        assert_eq!(picked(3), picked(3));
        let second: std::collections::HashSet<_> = picked(4).into_iter().collect();
        assert!(picked(3).iter().all(|p| !second.contains(p)));
    }

    #[test]
    fn a_fraction_that_does_not_divide_100_still_covers_everything() {
        let paths = paths();
        let mut read = vec![false; paths.len()];
        for run in 0..3 {
            let slice = VerifySlice::new(35.0, run).unwrap();
            for (i, p) in paths.iter().enumerate() {
                read[i] |= slice.selects(p);
            }
        }
        assert!(read.iter().all(|&r| r));
    }

    #[test]
    fn zero_reads_nothing_and_a_hundred_reads_everything() {
        assert_eq!(VerifySlice::new(0.0, 5), None);
        let all = VerifySlice::new(100.0, 5).unwrap();
        assert!(paths().iter().all(|p| all.selects(p)));
    }
}
