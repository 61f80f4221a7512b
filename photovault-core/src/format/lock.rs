//! Locks: sealed JSON files under `locks/` that keep prune away from a running backup.
//!
//! A backup or restore takes a shared lock; prune takes a shared lock marked as a prune's
//! (one prune at a time); repairs take an exclusive one. A lock is stale when it has not been refreshed for 30 minutes, or when it
//! was taken on this host by a process that no longer exists.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

/// One process's lock on the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    /// When it was taken or last refreshed.
    pub time: DateTime<FixedOffset>,
    /// Exclusive (repairs) or shared (everything else that writes or reads data).
    pub exclusive: bool,
    /// Holder's host.
    pub hostname: String,
    /// Holder's user.
    #[serde(default)]
    pub username: String,
    /// Holder's process id.
    pub pid: u32,
    /// A prune's lock: shared with backups and readers, but held by one prune at a time
    /// (SPEC §11). Absent means `false`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prune: bool,
}

/// A lock not refreshed for this long is stale.
pub const STALE_AFTER_SECONDS: i64 = 30 * 60;

/// A lock dated further ahead of this machine's clock than this is suspect: clocks of
/// machines sharing a repository disagree by seconds, not by ten minutes.
pub const FUTURE_TOLERANCE_SECONDS: i64 = 10 * 60;

impl Lock {
    /// Whether the lock no longer protects anything.
    pub fn is_stale(&self, now: DateTime<FixedOffset>, this_host: &str) -> bool {
        if (now - self.time).num_seconds() > STALE_AFTER_SECONDS {
            return true;
        }
        this_host == self.hostname && !process_exists(self.pid)
    }

    /// Whether the lock is dated further in the future than clock skew explains: a forged
    /// lock, or one written by a machine whose clock is wrong. It still blocks (it may be
    /// live), but `unlock` removes it like a stale one, so the advice to run it is right.
    pub fn is_from_the_future(&self, now: DateTime<FixedOffset>) -> bool {
        (self.time - now).num_seconds() > FUTURE_TOLERANCE_SECONDS
    }

    /// Who holds it, for error messages.
    pub fn describe(&self) -> String {
        let dated = if self.is_from_the_future(chrono::Local::now().fixed_offset()) {
            " (dated in the future: a wrong clock or a forged lock)"
        } else {
            ""
        };
        format!(
            "{} lock held by PID {} on {} ({}) since {}{dated}",
            if self.exclusive {
                "an exclusive"
            } else if self.prune {
                "a prune's"
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(exclusive: bool, prune: bool) -> Lock {
        Lock {
            time: DateTime::parse_from_rfc3339("2024-05-01T10:20:30+02:00").unwrap(),
            exclusive,
            hostname: "laptop".into(),
            username: "ann".into(),
            pid: 4242,
            prune,
        }
    }

    #[test]
    fn every_kind_of_lock_reads_back_as_written() {
        for (exclusive, prune) in [(false, false), (true, false), (false, true)] {
            let written = serde_json::to_string(&lock(exclusive, prune)).unwrap();
            assert_eq!(
                serde_json::from_str::<Lock>(&written).unwrap(),
                lock(exclusive, prune)
            );
        }
    }

    #[test]
    fn a_shared_lock_is_written_as_the_first_version_wrote_it_and_a_prune_lock_says_so() {
        let shared = serde_json::to_string(&lock(false, false)).unwrap();
        assert!(!shared.contains("prune"), "{shared}");
        let first_version = r#"{"time":"2024-05-01T10:20:30+02:00","exclusive":false,"hostname":"laptop","username":"ann","pid":4242}"#;
        assert_eq!(
            serde_json::from_str::<Lock>(first_version).unwrap(),
            lock(false, false)
        );
        let prune = serde_json::to_string(&lock(false, true)).unwrap();
        assert!(prune.contains(r#""prune":true"#), "{prune}");
    }
}
