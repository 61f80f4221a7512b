//! Snapshots as folders: the names a browser shows them under, by time, by id, by host and
//! by tag. Each name is a single safe path component, unique among its siblings.

use std::collections::BTreeMap;

use crate::repository::SnapshotEntry;

/// Folder names for snapshots: their time, `YYYY-MM-DDTHH:MM:SS` as recorded (the backing-up
/// machine's local time), with `-<short id>` added where two share a second.
pub fn folder_names(snapshots: &[SnapshotEntry]) -> Vec<String> {
    let times: Vec<String> = snapshots
        .iter()
        .map(|s| s.snapshot.time.format("%Y-%m-%dT%H:%M:%S").to_string())
        .collect();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &times {
        *count.entry(t).or_default() += 1;
    }
    times
        .iter()
        .zip(snapshots)
        .map(|(t, s)| {
            if count[t.as_str()] > 1 {
                format!("{t}-{}", s.id.short())
            } else {
                t.clone()
            }
        })
        .collect()
}

/// Snapshots by id: the short id (eight hex digits), or the full id where short ids clash.
pub fn id_names(snapshots: &[SnapshotEntry]) -> Vec<String> {
    let shorts: Vec<String> = snapshots.iter().map(|s| s.id.short()).collect();
    snapshots
        .iter()
        .zip(&shorts)
        .map(|(s, short)| {
            // Eight hex digits rarely clash; when they do, the full id does not.
            if shorts.iter().filter(|x| *x == short).count() > 1 {
                s.id.to_hex()
            } else {
                short.clone()
            }
        })
        .collect()
}

/// Snapshots (by index, oldest first) grouped by host name.
pub fn by_host(snapshots: &[SnapshotEntry]) -> BTreeMap<String, Vec<usize>> {
    group(snapshots, |s| vec![s.snapshot.hostname.clone()])
}

/// Snapshots (by index, oldest first) grouped by tag; one without tags is in no group.
pub fn by_tag(snapshots: &[SnapshotEntry]) -> BTreeMap<String, Vec<usize>> {
    group(snapshots, |s| s.snapshot.tags.clone())
}

/// Snapshots (by index, oldest first) grouped under safe folder names.
fn group(
    snapshots: &[SnapshotEntry],
    keys: impl Fn(&SnapshotEntry) -> Vec<String>,
) -> BTreeMap<String, Vec<usize>> {
    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, s) in snapshots.iter().enumerate() {
        let mut names: Vec<String> = keys(s).iter().map(|k| folder_name(k)).collect();
        names.sort();
        names.dedup();
        for name in names {
            groups.entry(name).or_default().push(i);
        }
    }
    groups
}

/// A host or tag as a single path component.
fn folder_name(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| if c == '/' || c == '\0' { '_' } else { c })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => format!("_{cleaned}"),
        _ => cleaned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::snapshot::Snapshot;
    use crate::id::SnapshotId;

    fn snapshot(id: [u8; 32], time: &str, host: &str, tags: &[&str]) -> SnapshotEntry {
        SnapshotEntry {
            id: SnapshotId(id),
            snapshot: Snapshot::sample(time, host, tags, &[]),
        }
    }

    #[test]
    fn snapshots_sharing_a_second_get_their_short_id() {
        let list = [
            snapshot([1; 32], "2024-05-01T10:00:00.1+02:00", "a", &[]),
            snapshot([2; 32], "2024-05-01T10:00:00.9+02:00", "a", &[]),
            snapshot([3; 32], "2024-05-02T08:00:00+02:00", "a", &[]),
        ];
        assert_eq!(
            folder_names(&list),
            [
                "2024-05-01T10:00:00-01010101",
                "2024-05-01T10:00:00-02020202",
                "2024-05-02T08:00:00"
            ]
        );
    }

    #[test]
    fn short_ids_that_clash_become_full_ids() {
        let mut clashing = [1; 32];
        clashing[31] = 2;
        let list = [
            snapshot([1; 32], "2024-05-01T10:00:00Z", "a", &[]),
            snapshot(clashing, "2024-05-02T10:00:00Z", "a", &[]),
            snapshot([3; 32], "2024-05-03T10:00:00Z", "a", &[]),
        ];
        let ids = id_names(&list);
        assert_eq!(ids[0], list[0].id.to_hex());
        assert_eq!(ids[1], list[1].id.to_hex());
        assert_eq!(ids[2], "03030303");
    }

    #[test]
    fn hosts_and_tags_become_safe_folder_names() {
        let list = [
            snapshot([1; 32], "2024-05-01T10:00:00Z", "laptop", &["daily", "a/b"]),
            snapshot([2; 32], "2024-05-02T10:00:00Z", "..", &["daily", "daily"]),
        ];
        let tags = by_tag(&list);
        assert_eq!(tags.keys().collect::<Vec<_>>(), ["a_b", "daily"]);
        assert_eq!(tags["daily"], [0, 1]);
        let hosts = by_host(&list);
        assert_eq!(hosts.keys().collect::<Vec<_>>(), ["_..", "laptop"]);
    }
}
