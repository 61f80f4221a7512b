//! What the routine remembers between runs, on this computer: when each repository last
//! received a backup or a copy, was pruned and was verified (and how much of it), and how
//! each run ended. `status` reports from it, `run` decides from it what is due (prune,
//! full verification, the next verification slice), alerts use it to notice that no run
//! has succeeded for too long, and `schedule show` prints the last result.
//!
//! It lives in `$XDG_STATE_HOME/photovault/PROFILE/` (`~/.local/state/…`), as JSON written
//! atomically (a temporary file renamed over the old one). It is not in the repositories:
//! a lost computer loses only this history, never data, and the next run starts it again.
//! Records name each repository by its profile name and its repository id, so a repository
//! created anew at the same place does not inherit the old one's verification.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One verification of a repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verification {
    /// When it finished.
    pub time: DateTime<Utc>,
    /// Every pack was read.
    pub full: bool,
    /// The slice read (`n` of `m`), for rotating subsets.
    pub slice: Option<(u32, u32)>,
    /// Packs in the repository.
    pub packs: u64,
    /// Packs read in full.
    pub packs_read: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// No problem was found.
    pub ok: bool,
}

/// What is remembered of one repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepositoryState {
    /// The repository's id (its config); records of another id are dropped.
    pub id: String,
    /// The last snapshot backed up into it.
    pub last_backup: Option<DateTime<Utc>>,
    /// The last time it received copies.
    pub last_copy: Option<DateTime<Utc>>,
    /// The last prune.
    pub last_prune: Option<DateTime<Utc>>,
    /// The slice the next rotating verification reads (1-based).
    pub next_slice: Option<u32>,
    /// Verifications, oldest first (the last 400).
    #[serde(default)]
    pub verifications: Vec<Verification>,
}

impl RepositoryState {
    /// The last full verification that found nothing wrong.
    pub fn last_full_verification(&self) -> Option<DateTime<Utc>> {
        self.verifications
            .iter()
            .rev()
            .find(|v| v.full && v.ok)
            .map(|v| v.time)
    }

    /// The share of the repository verified without problems since `since` (0 to 1): 1 if a
    /// full verification ran, the distinct slices of a rotation over their number, else
    /// packs read over packs (an estimate: random samples may overlap).
    pub fn verified_share(&self, since: DateTime<Utc>) -> f64 {
        let recent: Vec<&Verification> = self
            .verifications
            .iter()
            .filter(|v| v.time >= since && v.ok)
            .collect();
        if recent.iter().any(|v| v.full) {
            return 1.0;
        }
        let mut slices: BTreeMap<u32, std::collections::BTreeSet<u32>> = BTreeMap::new();
        let mut sampled = 0.0;
        for v in &recent {
            match v.slice {
                Some((n, m)) => {
                    slices.entry(m).or_default().insert(n);
                }
                None if v.packs > 0 => sampled += v.packs_read as f64 / v.packs as f64,
                None => {}
            }
        }
        let rotated = slices
            .iter()
            .map(|(m, ns)| ns.len() as f64 / *m as f64)
            .fold(0.0, f64::max);
        (rotated + sampled).min(1.0)
    }

    /// Records a verification.
    pub fn record(&mut self, v: Verification) {
        self.verifications.push(v);
        let excess = self.verifications.len().saturating_sub(400);
        self.verifications.drain(..excess);
    }
}

/// How a run ended, in short.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it ended.
    pub finished: DateTime<Utc>,
    /// `ok`, `warning` or `failed`.
    pub result: String,
    /// The repositories that failed.
    #[serde(default)]
    pub failed: Vec<String>,
}

/// Everything remembered for one profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// By repository name.
    #[serde(default)]
    pub repositories: BTreeMap<String, RepositoryState>,
    /// The last runs, oldest first (the last 100).
    #[serde(default)]
    pub runs: Vec<RunRecord>,
    /// The end of the last run in which no repository failed.
    pub last_success: Option<DateTime<Utc>>,
    /// The last time an "overdue" alert went out (so it goes out once per overdue spell).
    pub overdue_alerted: Option<DateTime<Utc>>,
    /// Whether the 3-2-1 rule held when `status` last looked.
    pub rule_holds: Option<bool>,
}

impl State {
    /// The record of repository `name` with id `id`, started afresh if the id changed.
    pub fn repository(&mut self, name: &str, id: &str) -> &mut RepositoryState {
        let entry = self.repositories.entry(name.to_string()).or_default();
        if entry.id != id {
            *entry = RepositoryState {
                id: id.to_string(),
                ..Default::default()
            };
        }
        entry
    }

    /// Adds a run record.
    pub fn record_run(&mut self, record: RunRecord) {
        if record.failed.is_empty() {
            self.last_success = Some(record.finished);
        }
        self.runs.push(record);
        let excess = self.runs.len().saturating_sub(100);
        self.runs.drain(..excess);
    }
}

/// The folder of one profile's state.
#[derive(Debug, Clone)]
pub struct StateDir {
    /// The folder.
    pub dir: PathBuf,
}

impl StateDir {
    /// `$XDG_STATE_HOME/photovault/PROFILE` (or `~/.local/state/…`).
    pub fn for_profile(profile: &str) -> StateDir {
        let base = dirs::state_dir()
            .or_else(|| dirs::home_dir().map(|h| h.join(".local/state")))
            .unwrap_or_else(|| PathBuf::from("."));
        StateDir {
            dir: base.join("photovault").join(profile),
        }
    }

    fn state_file(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    /// The summary of the last run, as `run --json` printed it.
    pub fn last_run_file(&self) -> PathBuf {
        self.dir.join("last-run.json")
    }

    /// The remembered state (empty if none yet, or unreadable: it is only history).
    pub fn load(&self) -> State {
        std::fs::read(self.state_file())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Saves the state.
    pub fn save(&self, state: &State) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
        write_atomically(&self.state_file(), &bytes)
    }

    /// Saves the last run's summary.
    pub fn save_last_run(&self, summary: &serde_json::Value) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(summary).map_err(std::io::Error::other)?;
        write_atomically(&self.last_run_file(), &bytes)
    }

    /// Takes the profile's run lock, or says that another run holds it. The lock is an
    /// `flock` on `run.lock`, released when the guard is dropped or the process dies.
    pub fn lock_run(&self) -> std::io::Result<Option<RunLock>> {
        std::fs::create_dir_all(&self.dir)?;
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join("run.lock"))?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            let err = std::io::Error::last_os_error();
            return if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
                Ok(None)
            } else {
                Err(err)
            };
        }
        let mut file = file;
        let _ = file.set_len(0);
        let _ = writeln!(file, "{}", std::process::id());
        Ok(Some(RunLock { _file: file }))
    }
}

/// A held run lock.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("state files live in a folder");
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension("tmp");
    {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn v(days_ago: i64, slice: Option<(u32, u32)>, full: bool) -> Verification {
        Verification {
            time: Utc::now() - TimeDelta::days(days_ago),
            full,
            slice,
            packs: 10,
            packs_read: 1,
            bytes_read: 100,
            ok: true,
        }
    }

    #[test]
    fn the_verified_share_counts_distinct_slices_within_the_window() {
        let mut s = RepositoryState::default();
        s.record(v(40, Some((3, 4)), false));
        s.record(v(5, Some((1, 4)), false));
        s.record(v(4, Some((1, 4)), false));
        s.record(v(3, Some((2, 4)), false));
        let since = Utc::now() - TimeDelta::days(30);
        assert_eq!(s.verified_share(since), 0.5);
        s.record(v(1, None, true));
        assert_eq!(s.verified_share(since), 1.0);
        assert!(s.last_full_verification().is_some());
    }
}
