//! What a prune may do: how much unused space it tolerates, how much it may rewrite.

use std::str::FromStr;

/// How much unused data prune leaves in packs that also hold used data, rather than
/// rewriting those packs (restic's `--max-unused`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxUnused {
    /// At most this percentage of the repository's size after pruning (0 to 100).
    Percent(f64),
    /// At most this many bytes.
    Bytes(u64),
    /// Any amount: only packs that are entirely unused are deleted, nothing is rewritten.
    Unlimited,
}

impl Default for MaxUnused {
    fn default() -> Self {
        MaxUnused::Percent(5.0)
    }
}

impl MaxUnused {
    /// The unused bytes tolerated next to `used` bytes.
    pub(crate) fn limit(&self, used: u64) -> u64 {
        match *self {
            MaxUnused::Unlimited => u64::MAX,
            MaxUnused::Bytes(bytes) => bytes,
            MaxUnused::Percent(p) if p >= 100.0 => u64::MAX,
            // unused / (used + unused) <= p / 100
            MaxUnused::Percent(p) => (used as f64 * p / (100.0 - p)) as u64,
        }
    }
}

impl FromStr for MaxUnused {
    type Err = String;

    /// Parses `5%`, `unlimited`, or a size such as `200M`, `1G` (binary units).
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("unlimited") {
            return Ok(MaxUnused::Unlimited);
        }
        if let Some(p) = s.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad_unused(s))?;
            if !(0.0..=100.0).contains(&p) {
                return Err(format!("{p}% is not between 0% and 100%"));
            }
            return Ok(MaxUnused::Percent(p));
        }
        parse_size(s)
            .map(MaxUnused::Bytes)
            .ok_or_else(|| bad_unused(s))
    }
}

fn bad_unused(s: &str) -> String {
    format!("'{s}' is not a limit: use a percentage (5%), a size (500M, 2G) or 'unlimited'")
}

/// Parses a byte count with an optional binary unit: `1024`, `500K`, `200M`, `2G`, `1T`
/// (`KiB`, `MB`, ... are read the same way). Negative or unparsable: `None`.
pub fn parse_size(s: &str) -> Option<u64> {
    let upper = s.trim().to_ascii_uppercase();
    let (digits, unit) = match upper.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => upper.split_at(i),
        None => (upper.as_str(), ""),
    };
    let value: f64 = digits.trim().parse().ok()?;
    if !value.is_finite() || value < 0.0 {
        return None;
    }
    let scale: f64 = match unit.trim_end_matches("IB").trim_end_matches('B') {
        "" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return None,
    };
    Some((value * scale) as u64)
}

/// How to prune.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct PruneOptions {
    /// Unused data tolerated in packs that are kept (default 5%).
    pub max_unused: MaxUnused,
    /// The most pack bytes rewritten in one run (default: no limit).
    pub max_repack_bytes: Option<u64>,
}

impl PruneOptions {
    /// Sets the unused data tolerated.
    pub fn max_unused(mut self, limit: MaxUnused) -> Self {
        self.max_unused = limit;
        self
    }

    /// Sets the most pack bytes rewritten in one run.
    pub fn max_repack_bytes(mut self, bytes: Option<u64>) -> Self {
        self.max_repack_bytes = bytes;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_as_restic_writes_them() {
        assert_eq!("5%".parse(), Ok(MaxUnused::Percent(5.0)));
        assert_eq!("unlimited".parse(), Ok(MaxUnused::Unlimited));
        assert_eq!("200M".parse(), Ok(MaxUnused::Bytes(200 << 20)));
        assert_eq!("0".parse(), Ok(MaxUnused::Bytes(0)));
        assert!("-5%".parse::<MaxUnused>().is_err());
        assert!("101%".parse::<MaxUnused>().is_err());
        assert!("lots".parse::<MaxUnused>().is_err());
        assert_eq!(parse_size("-1G"), None);
    }

    #[test]
    fn a_percentage_bounds_unused_data_as_a_share_of_what_remains() {
        // 5% of the result: 95 used bytes tolerate 5 unused.
        assert_eq!(MaxUnused::Percent(5.0).limit(95), 5);
        assert_eq!(MaxUnused::Percent(0.0).limit(1000), 0);
        assert_eq!(MaxUnused::Percent(100.0).limit(1), u64::MAX);
    }
}
