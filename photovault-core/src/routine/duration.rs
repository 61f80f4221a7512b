//! Ages in profiles: `14d`, `12h`, `2w`, `90d` — how old a record may be.

use std::str::FromStr;

use chrono::TimeDelta;

/// A span of time written as a number and a unit (`h` hours, `d` days, `w` weeks), or
/// several (`1w3d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Age(pub TimeDelta);

impl Age {
    /// `n` days.
    pub fn days(n: i64) -> Age {
        Age(TimeDelta::days(n))
    }

    /// As the profile would write it.
    pub fn shown(&self) -> String {
        let hours = self.0.num_hours();
        if hours % 24 == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{hours}h")
        }
    }
}

impl FromStr for Age {
    type Err = String;

    fn from_str(text: &str) -> Result<Age, String> {
        let bad = || {
            format!("'{text}' is not an age: use a number and a unit, h (hours), d (days) or w (weeks), like 14d or 12h")
        };
        let mut total = TimeDelta::zero();
        let mut digits = String::new();
        let mut any = false;
        for c in text.trim().chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let n: i64 = digits.parse().map_err(|_| bad())?;
            digits.clear();
            total += match c {
                'h' => TimeDelta::hours(n),
                'd' => TimeDelta::days(n),
                'w' => TimeDelta::weeks(n),
                _ => return Err(bad()),
            };
            any = true;
        }
        if !digits.is_empty() || !any {
            return Err(bad());
        }
        Ok(Age(total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_read_in_hours_days_and_weeks() {
        assert_eq!("14d".parse::<Age>().unwrap(), Age::days(14));
        assert_eq!("1w3d".parse::<Age>().unwrap(), Age::days(10));
        assert_eq!("12h".parse::<Age>().unwrap().0, TimeDelta::hours(12));
        for bad in ["", "14", "d", "3x", "-1d"] {
            assert!(bad.parse::<Age>().is_err(), "{bad}");
        }
    }
}
