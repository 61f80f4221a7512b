//! Snapshots: one sealed JSON file per point in time, under `snapshots/`.
//!
//! Fields added in later versions are optional (`#[serde(default)]`) and unknown fields are
//! ignored, so old readers keep reading new snapshots and new readers read old ones.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::id::{BlobId, SnapshotId};

/// The newest snapshot version this build writes.
pub const SNAPSHOT_VERSION: u32 = 1;

/// A point-in-time backup of one or more paths.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Format version.
    pub version: u32,
    /// When the backup started, in the local time zone of the machine that made it.
    pub time: DateTime<FixedOffset>,
    /// Host name (`--host` or the machine's).
    pub hostname: String,
    /// User who ran the backup.
    #[serde(default)]
    pub username: String,
    /// The absolute paths that were backed up, sorted.
    pub paths: Vec<String>,
    /// Tags (`--tag`).
    #[serde(default)]
    pub tags: Vec<String>,
    /// The root tree: its entries are the first components of `paths`.
    pub tree: BlobId,
    /// The snapshot this one was compared against.
    #[serde(default)]
    pub parent: Option<SnapshotId>,
    /// What the backup did.
    #[serde(default)]
    pub summary: Option<SnapshotSummary>,
    /// `photovault x.y.z`.
    #[serde(default)]
    pub program_version: String,
    /// For a snapshot written by `repair snapshots`: the snapshot it replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<SnapshotId>,
    /// Paths `repair snapshots` left out because their data is lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lost: Vec<String>,
}

/// Counters recorded with a snapshot (and printed by `backup`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SnapshotSummary {
    /// Files not in the parent snapshot.
    pub files_new: u64,
    /// Files in the parent whose metadata changed, so their content was read again.
    pub files_changed: u64,
    /// Files unchanged since the parent; not read.
    pub files_unmodified: u64,
    /// Directories in the snapshot.
    pub dirs: u64,
    /// Files in the snapshot.
    pub total_files: u64,
    /// Bytes of all files in the snapshot.
    pub total_bytes: u64,
    /// Bytes of file content actually read from the source.
    pub bytes_read: u64,
    /// Blobs not already in the repository.
    pub blobs_added: u64,
    /// Plaintext bytes of those blobs.
    pub data_added: u64,
    /// Bytes they occupy in the repository (compressed and sealed).
    pub data_added_stored: u64,
    /// Source entries that could not be read (named in the errors reported).
    pub errors: u64,
    /// Packs left by an interrupted backup that this backup indexed instead of storing their
    /// data again.
    pub packs_adopted: u64,
    /// Thumbnails stored for photos and videos whose content was new (SPEC §16.6).
    #[serde(default)]
    pub thumbnails_added: u64,
    /// Their bytes (part of `data_added`; stored as they are, plus 40 bytes of sealing each).
    #[serde(default)]
    pub thumbnail_bytes_added: u64,
    /// Seconds the backup took.
    pub duration_seconds: f64,
}

impl Snapshot {
    /// A snapshot of `host` at `time` (RFC 3339) with `tags` and `paths` and an all-zero
    /// tree: for unit tests of what looks only at snapshot fields (filters, policies).
    #[cfg(test)]
    pub(crate) fn sample(time: &str, host: &str, tags: &[&str], paths: &[&str]) -> Snapshot {
        Snapshot {
            version: SNAPSHOT_VERSION,
            time: DateTime::parse_from_rfc3339(time).expect("an RFC 3339 time"),
            hostname: host.into(),
            username: String::new(),
            paths: paths.iter().map(|p| p.to_string()).collect(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            tree: BlobId([0; 32]),
            parent: None,
            summary: None,
            program_version: String::new(),
            original: None,
            lost: vec![],
        }
    }

    /// Whether this snapshot is at an older version this build understands.
    pub fn is_supported(&self) -> bool {
        self.version <= SNAPSHOT_VERSION
    }
}
