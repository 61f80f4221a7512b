//! What a run reports: per repository what was done to it and what went wrong, with a
//! severity that decides the run's result. `pvault run --json` prints these as they are.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::routine::open::RepositoryFailure;
use crate::routine::profile::RepositoryProfile;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The repository did not get what it should have.
    Failure,
    /// It did, but something needs a look (unreadable source files, last-copy guard).
    Warning,
}

/// A problem of one repository in a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// How bad.
    pub severity: Severity,
    /// The step.
    pub stage: String,
    /// What happened.
    pub message: String,
    /// The exit code `pvault` would give for it alone.
    pub code: i32,
}

/// What a verification read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verified {
    /// Everything was read.
    pub full: bool,
    /// The slice (`n` of `m`) of a rotation.
    pub slice: Option<(u32, u32)>,
    /// Packs read of all packs.
    pub packs_read: u64,
    /// All packs.
    pub packs: u64,
    /// Bytes read.
    pub bytes_read: u64,
}

/// What a run did to one repository.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepositoryOutcome {
    /// Its name.
    pub repository: String,
    /// Its location.
    pub location: String,
    /// The snapshot backed up into it.
    pub snapshot: Option<String>,
    /// Snapshots copied into it.
    pub snapshots_copied: u64,
    /// Bytes it grew by (as stored).
    pub bytes_added: u64,
    /// Snapshots retention removed.
    pub snapshots_removed: u64,
    /// Whether it was pruned.
    pub pruned: bool,
    /// Bytes prune deleted.
    pub bytes_reclaimed: u64,
    /// What was verified.
    pub verified: Option<Verified>,
    /// Seconds spent on it.
    pub duration_seconds: f64,
    /// What went wrong.
    pub problems: Vec<Problem>,
}

impl RepositoryOutcome {
    pub(super) fn new(repo: &RepositoryProfile) -> Self {
        RepositoryOutcome {
            repository: repo.name.clone(),
            location: repo.location.clone(),
            snapshot: None,
            snapshots_copied: 0,
            bytes_added: 0,
            snapshots_removed: 0,
            pruned: false,
            bytes_reclaimed: 0,
            verified: None,
            duration_seconds: 0.0,
            problems: Vec::new(),
        }
    }

    /// Whether a failure happened.
    pub fn failed(&self) -> bool {
        self.problems
            .iter()
            .any(|p| p.severity == Severity::Failure)
    }

    pub(super) fn fail(&mut self, f: RepositoryFailure) {
        self.problems.push(Problem {
            severity: Severity::Failure,
            stage: f.stage,
            message: f.message,
            code: f.code,
        });
    }

    pub(super) fn problem(&mut self, severity: Severity, stage: &str, message: String, code: i32) {
        self.problems.push(Problem {
            severity,
            stage: stage.into(),
            message,
            code,
        });
    }
}

/// What a whole run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// The profile.
    pub profile: String,
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it ended.
    pub finished: DateTime<Utc>,
    /// Per repository, primary first.
    pub repositories: Vec<RepositoryOutcome>,
}

impl RunReport {
    /// The repositories that failed.
    pub fn failed(&self) -> Vec<&str> {
        self.repositories
            .iter()
            .filter(|r| r.failed())
            .map(|r| r.repository.as_str())
            .collect()
    }

    /// Whether any warning was raised.
    pub fn has_warnings(&self) -> bool {
        self.repositories
            .iter()
            .any(|r| r.problems.iter().any(|p| p.severity == Severity::Warning))
    }

    /// `ok`, `warning` or `failed`.
    pub fn result(&self) -> &'static str {
        if !self.failed().is_empty() {
            "failed"
        } else if self.has_warnings() {
            "warning"
        } else {
            "ok"
        }
    }
}
