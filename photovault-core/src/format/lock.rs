//! Locks: sealed JSON files under `locks/` that keep prune away from a running backup.
//!
//! A backup or restore takes a shared lock; operations that delete data (prune) take an
//! exclusive one. A lock is stale when it has not been refreshed for 30 minutes, or when it
//! was taken on this host by a process that no longer exists.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// One process's lock on the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// When it was taken or last refreshed.
    pub time: DateTime<FixedOffset>,
    /// Exclusive (prune) or shared (everything else that writes or reads data).
    pub exclusive: bool,
    /// Holder's host.
    pub hostname: String,
    /// Holder's user.
    #[serde(default)]
    pub username: String,
    /// Holder's process id.
    pub pid: u32,
}

/// A lock not refreshed for this long is stale.
pub const STALE_AFTER_SECONDS: i64 = 30 * 60;

impl Lock {
    /// Whether the lock no longer protects anything.
    pub fn is_stale(&self, now: DateTime<FixedOffset>, this_host: &str) -> bool {
        if (now - self.time).num_seconds() > STALE_AFTER_SECONDS {
            return true;
        }
        this_host == self.hostname && !process_exists(self.pid)
    }

    /// Who holds it, for error messages.
    pub fn describe(&self) -> String {
        format!(
            "{} lock held by PID {} on {} ({}) since {}",
            if self.exclusive {
                "an exclusive"
            } else {
                "a shared"
            },
            self.pid,
            self.hostname,
            self.username,
            self.time.to_rfc3339()
        )
    }
}

fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}
