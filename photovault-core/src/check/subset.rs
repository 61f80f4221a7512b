//! `--read-data-subset`: which packs a check reads in full.

use std::str::FromStr;

use crate::id::PackId;

/// How much pack data to read.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum ReadData {
    /// None: structure only.
    #[default]
    None,
    /// Every pack.
    All,
    /// The `n`-th of `m` deterministic slices (1-based): `m` runs with `n = 1..=m` read
    /// every pack exactly once.
    Slice {
        /// Which slice, 1..=m.
        n: u32,
        /// How many slices.
        m: u32,
    },
    /// A random sample of this fraction of the packs (0..=1).
    Fraction(f64),
    /// Random packs until this many bytes are selected.
    Bytes(u64),
}

impl FromStr for ReadData {
    type Err = String;

    /// Parses `N/M`, `P%` or a size like `500M`, `2G`, `1T` (binary units).
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("'{s}' is not a subset: use N/M (e.g. 1/5), P% (e.g. 10%) or a size (e.g. 2G)")
        };
        if let Some((n, m)) = s.split_once('/') {
            let (n, m): (u32, u32) = (
                n.trim().parse().map_err(|_| bad())?,
                m.trim().parse().map_err(|_| bad())?,
            );
            if m == 0 || n == 0 || n > m {
                return Err(format!("slice {n}/{m}: need 1 <= N <= M"));
            }
            return Ok(ReadData::Slice { n, m });
        }
        if let Some(p) = s.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            if !(0.0..=100.0).contains(&p) {
                return Err(format!("{p}% is not between 0 and 100"));
            }
            return Ok(ReadData::Fraction(p / 100.0));
        }
        let upper = s.trim().to_ascii_uppercase();
        let (digits, unit) = match upper.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
            Some((i, _)) => upper.split_at(i),
            None => (upper.as_str(), ""),
        };
        let value: f64 = digits.trim().parse().map_err(|_| bad())?;
        let scale: f64 = match unit.trim_end_matches("IB").trim_end_matches('B') {
            "" => 1.0,
            "K" => 1024.0,
            "M" => 1024.0 * 1024.0,
            "G" => 1024.0 * 1024.0 * 1024.0,
            "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => return Err(bad()),
        };
        Ok(ReadData::Bytes((value * scale) as u64))
    }
}

impl ReadData {
    /// The packs to read from `packs` (id and size).
    pub(crate) fn select(&self, packs: &[(PackId, u64)]) -> Vec<(PackId, u64)> {
        match *self {
            ReadData::None => Vec::new(),
            ReadData::All => packs.to_vec(),
            ReadData::Slice { n, m } => packs
                .iter()
                .filter(|(id, _)| slice_of(id, m) == n - 1)
                .copied()
                .collect(),
            ReadData::Fraction(f) => packs
                .iter()
                .filter(|_| random_unit() < f)
                .copied()
                .collect(),
            ReadData::Bytes(limit) => {
                let mut shuffled = packs.to_vec();
                shuffle(&mut shuffled);
                let mut total = 0u64;
                shuffled
                    .into_iter()
                    .take_while(|(_, size)| {
                        let take = total < limit;
                        total += size;
                        take
                    })
                    .collect()
            }
        }
    }
}

fn slice_of(id: &PackId, m: u32) -> u32 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&id.as_bytes()[..8]);
    (u64::from_be_bytes(first) % m as u64) as u32
}

fn random_unit() -> f64 {
    let mut b = [0u8; 8];
    crate::crypto::random_bytes(&mut b);
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = (random_unit() * (i + 1) as f64) as usize;
        items.swap(i, j.min(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            "2/5".parse::<ReadData>().unwrap(),
            ReadData::Slice { n: 2, m: 5 }
        );
        assert_eq!("10%".parse::<ReadData>().unwrap(), ReadData::Fraction(0.1));
        assert_eq!("2G".parse::<ReadData>().unwrap(), ReadData::Bytes(2 << 30));
        assert_eq!(
            "500MiB".parse::<ReadData>().unwrap(),
            ReadData::Bytes(500 << 20)
        );
        for bad in ["0/3", "4/3", "x%", "101%", "12Q", ""] {
            assert!(bad.parse::<ReadData>().is_err(), "{bad}");
        }
    }

    #[test]
    fn slices_cover_every_pack_exactly_once() {
        let packs: Vec<(PackId, u64)> = (0..200u32)
            .map(|i| (PackId::hash_of(&i.to_le_bytes()), 1))
            .collect();
        let mut seen = 0;
        for n in 1..=7 {
            seen += ReadData::Slice { n, m: 7 }.select(&packs).len();
        }
        assert_eq!(seen, packs.len());
    }
}
