//! One module per `pvault` command. Each returns the process exit code.

pub mod backup;
pub mod cat;
pub mod check;
pub mod forget;
pub mod init;
pub mod key;
pub mod ls;
pub mod mount;
pub mod repair;
pub mod restore;
pub mod snapshots;
pub mod unlock;

use photovault_core::{Snapshot, SnapshotId};
use serde_json::{json, Value};

/// A snapshot as JSON for `snapshots --json` and `cat snapshot`.
pub fn snapshot_json(id: &SnapshotId, s: &Snapshot) -> Value {
    let mut v = serde_json::to_value(s).expect("snapshots serialize");
    v["id"] = json!(id.to_hex());
    v["short_id"] = json!(id.short());
    v
}
