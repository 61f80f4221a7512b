//! Retention policies: which snapshots of one group a `--keep-*` policy keeps, and why.
//!
//! This is a pure function of the snapshots' times, ids and tags, so that its semantics can
//! be pinned by fast tables of times (see the tests below and SPEC.md §20). The rules are
//! restic's, so that a restic user's policy means the same here:
//!
//! - A snapshot is kept when any rule keeps it; every rule that does is reported.
//! - Snapshots are visited newest first: by time as an instant, ties broken by id (the
//!   larger id counts as newer, as `latest` does).
//! - A counting rule (`--keep-last`, `--keep-hourly` … `--keep-yearly`) keeps a snapshot
//!   when its bucket (hour, day, ISO week, month, year, in the snapshot's own recorded
//!   local time) differs from the bucket of the last snapshot that rule kept, until it has
//!   kept N. `--keep-last` puts every snapshot in a bucket of its own.
//! - When a counting rule has counts left at the group's oldest snapshot, that snapshot is
//!   kept too ("oldest daily snapshot"), so a young repository keeps its full history.
//! - `--keep-within D` keeps every snapshot strictly newer than the group's newest snapshot
//!   minus D; `--keep-within-daily D` (and hourly … yearly) applies the daily bucket rule
//!   without a count to the snapshots within D.
//! - `--keep-tag a,b` keeps every snapshot that has both tags a and b.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, FixedOffset, Months, TimeDelta, Timelike};

use crate::error::{Error, Result};
use crate::repository::SnapshotEntry;

/// How many buckets a counting rule keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// At most this many (0: the rule is off).
    Limit(u32),
    /// Every bucket (restic's `unlimited`, formerly -1).
    Unlimited,
}

impl Count {
    fn is_active(self) -> bool {
        self != Count::Limit(0)
    }
}

impl FromStr for Count {
    type Err = Error;

    /// A non-negative whole number or `unlimited`.
    fn from_str(text: &str) -> Result<Count> {
        if text == "unlimited" {
            return Ok(Count::Unlimited);
        }
        text.parse::<u32>().map(Count::Limit).map_err(|_| {
            Error::InvalidArgument(format!(
                "'{text}' is not a count: use a whole number of 0 or more, or 'unlimited'"
            ))
        })
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::Limit(n) => write!(f, "{n}"),
            Count::Unlimited => f.write_str("unlimited"),
        }
    }
}

/// A span of calendar time, as restic writes it: `1y2m3d4h` (years, months, days, hours).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Within {
    /// Years.
    pub years: u32,
    /// Months.
    pub months: u32,
    /// Days.
    pub days: u32,
    /// Hours.
    pub hours: u32,
}

impl Within {
    /// Whether this span is empty (every part zero).
    pub fn is_zero(&self) -> bool {
        *self == Within::default()
    }

    /// The earliest time a snapshot must be strictly newer than to be within this span of
    /// `newest`: years and months are taken off the calendar (the day clamped to the
    /// month's last, so March 31 minus one month is the end of February), then days, then
    /// hours. `None` when that lies before any representable time: everything is within.
    pub fn start(&self, newest: DateTime<FixedOffset>) -> Option<DateTime<FixedOffset>> {
        let months = u64::from(self.years) * 12 + u64::from(self.months);
        newest
            .checked_sub_months(Months::new(u32::try_from(months).ok()?))?
            .checked_sub_days(Days::new(u64::from(self.days)))?
            .checked_sub_signed(TimeDelta::try_hours(i64::from(self.hours))?)
    }
}

impl FromStr for Within {
    type Err = Error;

    /// One or more `<number><unit>` with units `y`, `m`, `d`, `h`, each at most once, e.g.
    /// `1y2m3d4h`, `90d`, `36h`. A span of zero is refused: it would keep nothing.
    fn from_str(text: &str) -> Result<Within> {
        let bad = |why: &str| {
            Error::InvalidArgument(format!(
                "'{text}' is not a duration ({why}): write numbers with units y, m, d, h, like 1y2m3d4h or 30d"
            ))
        };
        let mut within = Within::default();
        let mut seen = String::new();
        let mut digits = String::new();
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            if digits.is_empty() {
                return Err(bad(&format!("'{c}' has no number before it")));
            }
            let value: u32 = digits.parse().map_err(|_| bad("number too large"))?;
            let slot = match c {
                'y' => &mut within.years,
                'm' => &mut within.months,
                'd' => &mut within.days,
                'h' => &mut within.hours,
                _ => return Err(bad(&format!("unknown unit '{c}'"))),
            };
            if seen.contains(c) {
                return Err(bad(&format!("unit '{c}' given twice")));
            }
            seen.push(c);
            *slot = value;
            digits.clear();
        }
        if !digits.is_empty() {
            return Err(bad("a number without a unit"));
        }
        if seen.is_empty() {
            return Err(bad("empty"));
        }
        if within.is_zero() {
            return Err(bad("zero keeps nothing"));
        }
        Ok(within)
    }
}

impl fmt::Display for Within {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (value, unit) in [
            (self.years, 'y'),
            (self.months, 'm'),
            (self.days, 'd'),
            (self.hours, 'h'),
        ] {
            if value > 0 {
                write!(f, "{value}{unit}")?;
            }
        }
        Ok(())
    }
}

/// The calendar unit a bucket rule counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    /// Every snapshot on its own (`--keep-last`).
    Last,
    /// Hour of the day.
    Hourly,
    /// Calendar day.
    Daily,
    /// ISO 8601 week (Monday to Sunday, numbered within its ISO year).
    Weekly,
    /// Calendar month.
    Monthly,
    /// Calendar year.
    Yearly,
}

impl Period {
    const ALL: [Period; 6] = [
        Period::Last,
        Period::Hourly,
        Period::Daily,
        Period::Weekly,
        Period::Monthly,
        Period::Yearly,
    ];

    /// `last`, `hourly`, `daily`, `weekly`, `monthly`, `yearly`.
    pub fn name(self) -> &'static str {
        match self {
            Period::Last => "last",
            Period::Hourly => "hourly",
            Period::Daily => "daily",
            Period::Weekly => "weekly",
            Period::Monthly => "monthly",
            Period::Yearly => "yearly",
        }
    }

    /// The bucket `time` falls in, read in its own UTC offset; `None` for
    /// [`Period::Last`], where no two snapshots share a bucket.
    fn bucket(self, time: &DateTime<FixedOffset>) -> Option<Bucket> {
        let (y, m, d, h) = (time.year(), time.month(), time.day(), time.hour());
        match self {
            Period::Last => None,
            Period::Hourly => Some((y, m, d, h)),
            Period::Daily => Some((y, m, d, 0)),
            Period::Weekly => {
                let week = time.iso_week();
                Some((week.year(), week.week(), 0, 0))
            }
            Period::Monthly => Some((y, m, 0, 0)),
            Period::Yearly => Some((y, 0, 0, 0)),
        }
    }
}

/// A bucket: (year, month, day, hour), the parts a period does not use zero; weeks are
/// (ISO year, ISO week, 0, 0).
type Bucket = (i32, u32, u32, u32);

/// The bucket of the last snapshot a rule kept (`None`: none yet; `Some(None)`:
/// [`Period::Last`], whose snapshots each have a bucket of their own).
type LastKept = Option<Option<Bucket>>;

/// Which snapshots of a group to keep. The default keeps nothing: it is the empty policy
/// that `forget` refuses unless told to remove everything.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// `--keep-last`, `--keep-hourly` … `--keep-yearly`, indexed like [`Period`]'s variants.
    counts: [Count; 6],
    /// `--keep-within`.
    pub within: Option<Within>,
    /// `--keep-within-hourly` … `--keep-within-yearly`, indexed like [`Period`] (the entry
    /// for [`Period::Last`] is unused).
    within_buckets: [Option<Within>; 6],
    /// `--keep-tag`: keep snapshots that carry every tag of one of these groups.
    pub tags: Vec<Vec<String>>,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            counts: [Count::Limit(0); 6],
            within: None,
            within_buckets: [None; 6],
            tags: Vec::new(),
        }
    }
}

/// Why a snapshot is kept: one rule of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A counting rule kept it (`oldest`: because the rule had counts left when it reached
    /// the group's oldest snapshot, not because the snapshot starts a new bucket).
    Count {
        /// The rule's period.
        period: Period,
        /// Kept as the group's oldest snapshot.
        oldest: bool,
    },
    /// `--keep-within`.
    Within(Within),
    /// `--keep-within-<period>`.
    WithinBucket {
        /// The rule's period.
        period: Period,
        /// The rule's span.
        within: Within,
        /// Kept as the group's oldest snapshot.
        oldest: bool,
    },
    /// `--keep-tag` with these tags.
    Tag(Vec<String>),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let oldest = |o: bool| if o { "oldest " } else { "" };
        match self {
            Reason::Count { period, oldest: o } => {
                write!(f, "{}{} snapshot", oldest(*o), period.name())
            }
            Reason::Within(w) => write!(f, "within {w}"),
            Reason::WithinBucket {
                period,
                within,
                oldest: o,
            } => write!(f, "{}{} within {within}", oldest(*o), period.name()),
            Reason::Tag(tags) => write!(f, "tag {}", tags.join(",")),
        }
    }
}

/// One snapshot of a group and the rules that keep it (none: it is removed).
#[derive(Debug, Clone)]
pub struct Decision {
    /// The snapshot.
    pub entry: SnapshotEntry,
    /// Every rule that keeps it, in the policy's order: tags, within, counts, within-buckets.
    pub reasons: Vec<Reason>,
}

impl Decision {
    /// Whether any rule keeps the snapshot.
    pub fn is_kept(&self) -> bool {
        !self.reasons.is_empty()
    }
}

impl Policy {
    /// Keep N buckets of `period` (`--keep-last` for [`Period::Last`]).
    pub fn keep(mut self, period: Period, count: Count) -> Self {
        self.counts[period as usize] = count;
        self
    }

    /// Keep the newest snapshot of each `period` bucket within `within` of the newest
    /// snapshot. [`Period::Last`] stands for plain `--keep-within`: every snapshot.
    pub fn keep_within(mut self, period: Period, within: Within) -> Self {
        if period == Period::Last {
            self.within = Some(within);
        } else {
            self.within_buckets[period as usize] = Some(within);
        }
        self
    }

    /// Keep snapshots that carry every tag of `group` (`"a,b"`: a and b).
    pub fn keep_tag(mut self, group: &str) -> Self {
        let tags = crate::snapshot_filter::tag_group(group);
        if !tags.is_empty() {
            self.tags.push(tags);
        }
        self
    }

    /// The count for `period`.
    pub fn count(&self, period: Period) -> Count {
        self.counts[period as usize]
    }

    /// Whether no rule is set: such a policy keeps nothing.
    pub fn is_empty(&self) -> bool {
        !self.counts.iter().any(|c| c.is_active())
            && self.within.is_none()
            && self.within_buckets.iter().all(Option::is_none)
            && self.tags.is_empty()
    }

    /// Decides for each snapshot of one group whether it is kept and why. Returns the
    /// snapshots newest first (the order the rules count in).
    pub fn apply(&self, group: Vec<SnapshotEntry>) -> Vec<Decision> {
        let mut group = group;
        sort_newest_first(&mut group);
        let Some(newest) = group.first().map(|e| e.snapshot.time) else {
            return Vec::new();
        };
        let within_start = |w: &Within| w.start(newest);
        let mut left = self.counts;
        let mut last_bucket: [LastKept; 6] = [None; 6];
        let mut last_within_bucket: [LastKept; 6] = [None; 6];
        let oldest_index = group.len() - 1;
        let mut decisions = Vec::with_capacity(group.len());
        for (index, entry) in group.into_iter().enumerate() {
            let time = entry.snapshot.time;
            let is_oldest = index == oldest_index;
            let is_within = |w: &Within| within_start(w).is_none_or(|start| time > start);
            let mut reasons = Vec::new();
            for tags in &self.tags {
                if tags.iter().all(|t| entry.snapshot.tags.contains(t)) {
                    reasons.push(Reason::Tag(tags.clone()));
                }
            }
            if let Some(w) = self.within.filter(is_within) {
                reasons.push(Reason::Within(w));
            }
            for period in Period::ALL {
                let i = period as usize;
                if left[i] == Count::Limit(0) {
                    continue;
                }
                let bucket = period.bucket(&time);
                let new_bucket = period == Period::Last || last_bucket[i] != Some(bucket);
                if new_bucket || is_oldest {
                    last_bucket[i] = Some(bucket);
                    if let Count::Limit(n) = &mut left[i] {
                        *n -= 1;
                    }
                    reasons.push(Reason::Count {
                        period,
                        oldest: !new_bucket,
                    });
                }
            }
            for period in Period::ALL {
                let i = period as usize;
                let Some(within) = self.within_buckets[i].filter(is_within) else {
                    continue;
                };
                let bucket = period.bucket(&time);
                let new_bucket = last_within_bucket[i] != Some(bucket);
                if new_bucket || is_oldest {
                    last_within_bucket[i] = Some(bucket);
                    reasons.push(Reason::WithinBucket {
                        period,
                        within,
                        oldest: !new_bucket,
                    });
                }
            }
            decisions.push(Decision { entry, reasons });
        }
        decisions
    }
}

/// Newest first: by time as an instant, then the larger id first.
pub(crate) fn sort_newest_first(entries: &mut [SnapshotEntry]) {
    entries.sort_by(|a, b| b.snapshot.time.cmp(&a.snapshot.time).then(b.id.cmp(&a.id)));
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
