//! Capture times: one instant, written the ways photo files write it.
//!
//! A file's mtime is the UTC instant; EXIF and XMP give the local wall-clock time of the
//! place, with its offset where the device records one (phones do, many cameras do not).
//! Capture times fall between the 1st at 12:00 and the 28th at 12:00 UTC and offsets stay
//! within ±12 h, so the local date is always in the same month as the UTC one: a photo's
//! folder, its EXIF month and its mtime month agree, as tests that sort by either expect.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

use super::rng::Rng;

/// An instant and the UTC offset of the place it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture {
    /// Seconds since 1970 (UTC): what the file's mtime is set to.
    pub utc: i64,
    /// Minutes east of UTC.
    pub offset_minutes: i32,
}

/// Offsets a library might have seen (minutes east of UTC).
pub const OFFSETS: &[i32] = &[0, 60, 120, -300, -420, 330, 540, -180, 60, 120];

/// Seconds since 1970 at the start of a month, UTC (`month` 1-12, years 1970-9999).
pub fn month_start(year: i32, month: u32) -> i64 {
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(0, |t| t.and_utc().timestamp())
}

/// The month after `(year, month)`.
pub fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month >= 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

impl Capture {
    /// A moment in `(year, month)` at a place `offset_minutes` east of UTC.
    pub fn in_month(year: i32, month: u32, offset_minutes: i32, rng: &mut Rng) -> Self {
        let start = month_start(year, month) + 12 * 3600;
        Capture {
            utc: start + rng.below(27 * 86_400) as i64,
            offset_minutes,
        }
    }

    /// The same place, `seconds` later.
    pub fn later(self, seconds: i64) -> Self {
        Capture {
            utc: self.utc + seconds,
            ..self
        }
    }

    fn local(&self) -> NaiveDateTime {
        DateTime::from_timestamp(self.utc + self.offset_minutes as i64 * 60, 0)
            .unwrap_or_default()
            .naive_utc()
    }

    /// `YYYY:MM:DD HH:MM:SS`, local time: EXIF's DateTime* fields.
    pub fn exif(&self) -> String {
        self.local().format("%Y:%m:%d %H:%M:%S").to_string()
    }

    /// `+HH:MM`: EXIF's OffsetTime* fields.
    pub fn exif_offset(&self) -> String {
        let sign = if self.offset_minutes < 0 { '-' } else { '+' };
        let m = self.offset_minutes.unsigned_abs();
        format!("{sign}{:02}:{:02}", m / 60, m % 60)
    }

    /// ISO 8601 local time, with the offset if `with_offset`: XMP's dates.
    pub fn iso(&self, with_offset: bool) -> String {
        let local = self.local().format("%Y-%m-%dT%H:%M:%S").to_string();
        if with_offset {
            local + &self.exif_offset()
        } else {
            local
        }
    }

    /// Local date and time for file and folder names, with `format` (chrono's syntax).
    pub fn local_format(&self, format: &str) -> String {
        self.local().format(format).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_time_stays_in_the_utc_month() {
        let mut rng = Rng::new(3);
        for &offset in OFFSETS.iter().chain(&[-720, 720]) {
            for month in 1..=12 {
                let c = Capture::in_month(2020, month, offset, &mut rng);
                assert!(c.exif().starts_with(&format!("2020:{month:02}:")), "{c:?}");
                let utc = DateTime::from_timestamp(c.utc, 0).unwrap();
                assert!(utc.format("%Y-%m").to_string() == format!("2020-{month:02}"));
            }
        }
        let c = Capture {
            utc: 1_600_000_000,
            offset_minutes: -330,
        };
        assert_eq!(c.exif_offset(), "-05:30");
        assert_eq!(c.iso(true), "2020-09-13T06:56:40-05:30");
        assert_eq!(c.exif(), "2020:09:13 06:56:40");
    }
}
