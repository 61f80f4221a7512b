//! Golden tables of the retention policy: each row is a snapshot time (and tags) and the
//! rules that keep it ("-": removed). Rows are written newest first for reading; the row
//! number is the snapshot's id, so a later row of the same instant counts as newer.

use super::*;
use crate::format::snapshot::Snapshot;
use crate::id::SnapshotId;

fn entry(row: usize, time: &str, tags: &[&str]) -> SnapshotEntry {
    SnapshotEntry {
        id: SnapshotId([row as u8; 32]),
        snapshot: Snapshot::sample(time, "h", tags, &["/p"]),
    }
}

/// Applies `policy` to the table's snapshots and compares every row's reasons.
#[track_caller]
fn check_tagged(policy: &Policy, table: &[(&str, &[&str], &str)]) {
    let entries: Vec<SnapshotEntry> = table
        .iter()
        .enumerate()
        .map(|(row, (time, tags, _))| entry(row, time, tags))
        .collect();
    let decisions = policy.apply(entries);
    let actual: Vec<String> = (0..table.len())
        .map(|row| {
            let decision = decisions
                .iter()
                .find(|d| d.entry.id.0[0] == row as u8)
                .expect("every snapshot is decided");
            if decision.is_kept() {
                let reasons: Vec<String> = decision.reasons.iter().map(|r| r.to_string()).collect();
                reasons.join(", ")
            } else {
                "-".into()
            }
        })
        .collect();
    let expected: Vec<String> = table.iter().map(|row| row.2.to_string()).collect();
    let rows: Vec<String> = table
        .iter()
        .zip(&actual)
        .map(|(row, got)| format!("{} -> {got}", row.0))
        .collect();
    assert_eq!(actual, expected, "\n{}", rows.join("\n"));
}

#[track_caller]
fn check(policy: &Policy, table: &[(&str, &str)]) {
    let tagged: Vec<(&str, &[&str], &str)> = table.iter().map(|(t, e)| (*t, &[][..], *e)).collect();
    check_tagged(policy, &tagged);
}

fn daily(n: u32) -> Policy {
    Policy::default().keep(Period::Daily, Count::Limit(n))
}

#[test]
fn keep_daily_keeps_the_newest_snapshot_of_each_of_the_last_n_days_that_have_snapshots() {
    check(
        &daily(3),
        &[
            ("2024-05-10T18:00:00Z", "daily snapshot"),
            ("2024-05-10T09:00:00Z", "-"),
            // No snapshots on May 8 and 9: they do not use up the count.
            ("2024-05-07T12:00:00Z", "daily snapshot"),
            ("2024-05-07T08:00:00Z", "-"),
            ("2024-05-03T23:59:59Z", "daily snapshot"),
            ("2024-05-02T10:00:00Z", "-"),
            ("2024-05-01T10:00:00Z", "-"),
        ],
    );
}

#[test]
fn a_rule_with_counts_left_at_the_oldest_snapshot_keeps_it_too() {
    check(
        &daily(7),
        &[
            ("2024-05-03T18:00:00Z", "daily snapshot"),
            ("2024-05-03T09:00:00Z", "-"),
            ("2024-05-02T10:00:00Z", "daily snapshot"),
            ("2024-05-01T20:00:00Z", "daily snapshot"),
            ("2024-05-01T08:00:00Z", "oldest daily snapshot"),
        ],
    );
}

#[test]
fn every_rule_that_keeps_a_snapshot_is_named() {
    let policy = Policy::default()
        .keep(Period::Last, Count::Limit(2))
        .keep(Period::Daily, Count::Limit(2));
    check(
        &policy,
        &[
            ("2024-05-03T18:00:00Z", "last snapshot, daily snapshot"),
            ("2024-05-03T09:00:00Z", "last snapshot"),
            ("2024-05-02T10:00:00Z", "daily snapshot"),
            ("2024-05-01T10:00:00Z", "-"),
        ],
    );
}

#[test]
fn keep_hourly_counts_clock_hours() {
    check(
        &Policy::default().keep(Period::Hourly, Count::Limit(2)),
        &[
            ("2024-05-01T10:59:59Z", "hourly snapshot"),
            ("2024-05-01T10:00:00Z", "-"),
            ("2024-05-01T09:30:00Z", "hourly snapshot"),
            ("2024-05-01T08:30:00Z", "-"),
        ],
    );
}

#[test]
fn snapshots_of_the_same_instant_are_ordered_by_id_the_larger_counting_as_newer() {
    // The same instant in two offsets; the second row has the larger id.
    let table = [
        ("2024-05-01T10:00:00+02:00", "-"),
        ("2024-05-01T08:00:00+00:00", "last snapshot"),
        ("2024-04-30T08:00:00+00:00", "-"),
    ];
    check(
        &Policy::default().keep(Period::Last, Count::Limit(1)),
        &table,
    );
    let table = [
        ("2024-05-01T10:00:00+02:00", "-"),
        ("2024-05-01T08:00:00+00:00", "daily snapshot"),
        ("2024-04-30T08:00:00+00:00", "daily snapshot"),
    ];
    check(&daily(2), &table);
}

#[test]
fn days_are_read_in_each_snapshots_own_recorded_local_time() {
    // In UTC the first two are both on May 1; in their recorded local time they are not.
    let table = [
        ("2024-05-02T01:30:00+02:00", "daily snapshot"),
        ("2024-05-01T22:00:00+00:00", "daily snapshot"),
        ("2024-05-01T12:00:00+00:00", "-"),
    ];
    check(&daily(2), &table);
}

#[test]
fn one_instant_recorded_in_two_offsets_can_fall_on_two_days() {
    // Same instant: the second row (larger id) is newer and its local day is May 1; the
    // first row's local day is May 2, a bucket of its own.
    check(
        &daily(2),
        &[
            ("2024-05-02T00:30:00+02:00", "daily snapshot"),
            ("2024-05-01T22:30:00+00:00", "daily snapshot"),
            ("2024-05-01T10:00:00+00:00", "-"),
        ],
    );
    check(
        &daily(1),
        &[
            ("2024-05-02T00:30:00+02:00", "-"),
            ("2024-05-01T22:30:00+00:00", "daily snapshot"),
        ],
    );
}

#[test]
fn weeks_are_iso_weeks_across_a_year_boundary() {
    // 2024-12-30 (Monday) to 2025-01-05 (Sunday) is ISO week 2025-W01.
    check(
        &Policy::default().keep(Period::Weekly, Count::Limit(2)),
        &[
            ("2025-01-05T10:00:00Z", "weekly snapshot"),
            ("2024-12-30T10:00:00Z", "-"),
            ("2024-12-29T10:00:00Z", "weekly snapshot"),
            ("2024-12-28T10:00:00Z", "-"),
        ],
    );
}

#[test]
fn monthly_and_yearly_buckets_and_unlimited() {
    let policy = Policy::default()
        .keep(Period::Monthly, Count::Limit(2))
        .keep(Period::Yearly, Count::Unlimited);
    check(
        &policy,
        &[
            ("2025-01-05T10:00:00Z", "monthly snapshot, yearly snapshot"),
            ("2024-12-29T10:00:00Z", "monthly snapshot, yearly snapshot"),
            ("2024-12-01T10:00:00Z", "-"),
            ("2023-06-01T10:00:00Z", "yearly snapshot"),
            // Unlimited always has counts left at the oldest snapshot.
            ("2023-05-01T10:00:00Z", "oldest yearly snapshot"),
        ],
    );
}

#[test]
fn keep_last_unlimited_keeps_everything() {
    check(
        &Policy::default().keep(Period::Last, Count::Unlimited),
        &[
            ("2024-05-01T10:00:00Z", "last snapshot"),
            ("2024-05-01T10:00:00Z", "last snapshot"),
            ("2020-01-01T10:00:00Z", "last snapshot"),
        ],
    );
}

#[test]
fn keep_within_counts_back_from_the_newest_snapshot_not_from_now() {
    // 2024-05-10T12:00Z minus 1y2m3d4h is 2023-03-07T08:00Z; kept means strictly newer.
    let within: Within = "1y2m3d4h".parse().unwrap();
    check(
        &Policy::default().keep_within(Period::Last, within),
        &[
            ("2024-05-10T12:00:00Z", "within 1y2m3d4h"),
            ("2023-03-07T08:00:01Z", "within 1y2m3d4h"),
            ("2023-03-07T08:00:00Z", "-"),
            ("2020-01-01T00:00:00Z", "-"),
        ],
    );
}

#[test]
fn keep_within_months_clamp_to_the_end_of_a_shorter_month() {
    let within: Within = "1m".parse().unwrap();
    check(
        &Policy::default().keep_within(Period::Last, within),
        &[
            ("2024-03-31T12:00:00Z", "within 1m"),
            ("2024-02-29T12:00:01Z", "within 1m"),
            ("2024-02-29T12:00:00Z", "-"),
        ],
    );
}

#[test]
fn keep_within_daily_keeps_one_per_day_inside_the_span_only() {
    let within: Within = "3d".parse().unwrap();
    check(
        &Policy::default().keep_within(Period::Daily, within),
        &[
            ("2024-05-10T18:00:00Z", "daily within 3d"),
            ("2024-05-10T08:00:00Z", "-"),
            ("2024-05-08T12:00:00Z", "daily within 3d"),
            ("2024-05-07T19:00:00Z", "daily within 3d"),
            ("2024-05-07T17:00:00Z", "-"),
            ("2024-05-01T10:00:00Z", "-"),
        ],
    );
    check(
        &Policy::default().keep_within(Period::Daily, within),
        &[
            ("2024-05-10T18:00:00Z", "daily within 3d"),
            ("2024-05-10T08:00:00Z", "oldest daily within 3d"),
        ],
    );
}

#[test]
fn keep_tag_keeps_snapshots_with_every_tag_of_a_group() {
    let policy = Policy::default().keep_tag("photos,raw").keep_tag("pinned");
    check_tagged(
        &policy,
        &[
            ("2024-05-04T10:00:00Z", &["photos"], "-"),
            ("2024-05-03T10:00:00Z", &["raw", "photos"], "tag photos,raw"),
            ("2024-05-02T10:00:00Z", &["pinned"], "tag pinned"),
            ("2024-05-01T10:00:00Z", &[], "-"),
        ],
    );
}

#[test]
fn the_empty_policy_keeps_nothing() {
    let policy = Policy::default();
    assert!(policy.is_empty());
    assert!(!daily(1).is_empty());
    assert!(daily(0).is_empty());
    check(&policy, &[("2024-05-01T10:00:00Z", "-")]);
}

#[test]
fn counts_are_whole_numbers_or_unlimited() {
    assert_eq!("7".parse::<Count>().unwrap(), Count::Limit(7));
    assert_eq!("unlimited".parse::<Count>().unwrap(), Count::Unlimited);
    for bad in ["-3", "-1", "3x", "", "1.5", "Unlimited"] {
        let err = bad.parse::<Count>().unwrap_err().to_string();
        assert!(err.contains("not a count"), "{bad}: {err}");
    }
}

#[test]
fn durations_are_numbers_with_units_y_m_d_h() {
    let w: Within = "1y2m3d4h".parse().unwrap();
    assert_eq!(
        w,
        Within {
            years: 1,
            months: 2,
            days: 3,
            hours: 4
        }
    );
    assert_eq!(w.to_string(), "1y2m3d4h");
    assert_eq!("36h".parse::<Within>().unwrap().hours, 36);
    for bad in ["3x", "-3d", "0d", "d", "3", "", "1d1d", "2w"] {
        let err = bad.parse::<Within>().unwrap_err().to_string();
        assert!(err.contains("not a duration"), "{bad}: {err}");
    }
}
