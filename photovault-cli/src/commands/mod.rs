//! One module per `pvault` command. Each returns the process exit code.

pub mod backup;
pub mod cat;
pub mod check;
pub mod copy;
pub mod diff;
pub mod dump;
pub mod find;
pub mod forget;
pub mod init;
pub mod key;
pub mod ls;
pub mod mount;
pub mod profile;
pub mod prune;
pub mod repair;
pub mod restore;
pub mod run;
pub mod schedule;
pub mod serve;
pub mod snapshots;
pub mod stats;
pub mod status;
pub mod tag;
pub mod unlock;
pub mod verify_source;

use photovault_core::{NodeKind, Snapshot, SnapshotId, Timestamp};
use serde_json::{json, Value};

/// A snapshot as JSON for `snapshots --json` and `cat snapshot`.
pub fn snapshot_json(id: &SnapshotId, s: &Snapshot) -> Value {
    let mut v = serde_json::to_value(s).expect("snapshots serialize");
    v["id"] = json!(id.to_hex());
    v["short_id"] = json!(id.short());
    v
}

/// A node's type as `ls`, `diff` and `find` name it.
pub fn kind_name(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::File => "file",
        NodeKind::Dir => "dir",
        NodeKind::Symlink => "symlink",
    }
}

/// A node's mtime as a date, for text and JSON.
pub fn mtime(t: Timestamp) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.secs, t.nanos).unwrap_or_default()
}
