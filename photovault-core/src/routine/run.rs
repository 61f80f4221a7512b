//! `run`: the whole routine for a profile, one repository failing without stopping the
//! others.
//!
//! In order: open every repository; back up the sources into the primary (and into every
//! repository with `backup = true`); copy into each other repository the snapshots of its
//! `copy-from` repository that are newer than its own newest (all of them the first time);
//! apply the retention policy (the last-copy guard stays on: a policy that would drop the
//! last copy of a file is not applied, and says so) and prune when `prune-every` has passed;
//! verify the configured slice (everything when `full-every` has passed). A repository
//! whose backup or copy failed is neither thinned nor pruned. What happened is one
//! [`RepositoryOutcome`] per repository; the state (see [`super::state`]) remembers it.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::open::{open_repository, RepositoryFailure};
use super::profile::{Feed, Profile, RepositoryProfile};
use super::state::{RunRecord, State, StateDir, Verification};
use crate::backend::BackendOptions;
use crate::check::{CheckOptions, ReadData};
use crate::error::Error;
use crate::forget::ForgetOptions;
use crate::prune::PruneOptions;
use crate::repository::{IndexedRepository, OpenOptions};
use crate::{BackupOptions, SnapshotFilter};

/// How a run is carried out besides what the profile says.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RunOptions {
    /// Backend options on top of each repository's own (`-o`).
    pub backend_options: BackendOptions,
    /// How repositories are opened (cache, KDF limits).
    pub open: OpenOptions,
    /// Worker threads for backup (0: one per CPU).
    pub threads: usize,
}

/// What a run tells as it goes; no-op defaults.
pub trait RunProgress: Sync {
    /// The run holds the profile's lock and begins.
    fn started(&self) {}
    /// A step begins on a repository (`backup`, `copy`, `retention`, `prune`, `verify`).
    fn step(&self, _repository: &str, _step: &str) {}
}

impl RunProgress for () {}

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
    fn new(repo: &RepositoryProfile) -> Self {
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

    fn fail(&mut self, f: RepositoryFailure) {
        self.problems.push(Problem {
            severity: Severity::Failure,
            stage: f.stage,
            message: f.message,
            code: f.code,
        });
    }

    fn problem(&mut self, severity: Severity, stage: &str, message: String, code: i32) {
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

/// Why a run did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// Another run of the same profile holds the lock.
    #[error("another `pvault run` of profile '{profile}' is running (lock {lock}); this one does nothing")]
    AlreadyRunning {
        /// The profile.
        profile: String,
        /// The lock file.
        lock: String,
    },
    /// The state folder cannot be written.
    #[error("cannot use the state folder {dir}: {message}")]
    State {
        /// The folder.
        dir: String,
        /// Why.
        message: String,
    },
}

/// The snapshots of this profile: its host and its paths.
pub fn profile_filter(profile: &Profile) -> SnapshotFilter {
    let mut filter =
        SnapshotFilter::default().host(profile.source.host.clone().unwrap_or_else(crate::hostname));
    for p in &profile.source.paths {
        filter = filter.path(lexical(p).display().to_string());
    }
    filter
}

/// The photo-protection findings of a backup as warnings of the run: a library that
/// disappeared (exit code 14 of `backup`) and files damaged on the source (15). The
/// snapshot was written either way; earlier snapshots still hold the good versions.
fn photo_warnings(o: &mut RepositoryOutcome, outcome: &crate::backup::BackupOutcome) {
    if let Some(gone) = outcome.disappearance.as_ref().filter(|d| d.alarm) {
        let folders: Vec<String> = gone
            .folders
            .iter()
            .take(3)
            .map(|(folder, n)| format!("{} ({n})", folder.display()))
            .collect();
        o.problem(
            Severity::Warning,
            "backup",
            format!(
                "MASS DELETION: {:.0}% of the previous snapshot's {} files are gone or empty \
                 ({} gone, {} truncated), most in {}; the previous snapshots still hold them",
                gone.percent,
                gone.parent_files,
                gone.gone,
                gone.truncated,
                folders.join(", ")
            ),
            14,
        );
    }
    if !outcome.source_damaged.is_empty() {
        let shown: Vec<String> = outcome
            .source_damaged
            .iter()
            .take(5)
            .map(|e| e.to_string())
            .collect();
        o.problem(
            Severity::Warning,
            "backup",
            format!(
                "{} DAMAGED SOURCE FILE(S) (content changed, size and mtime did not): {}{}; \
                 the good versions stay in earlier snapshots",
                outcome.source_damaged.len(),
                shown.join("; "),
                if outcome.source_damaged.len() > 5 {
                    "; …"
                } else {
                    ""
                }
            ),
            15,
        );
    }
}

/// `path` without `.` and `..`, as backup records it.
fn lexical(path: &std::path::Path) -> std::path::PathBuf {
    let mut clean = std::path::PathBuf::from("/");
    for c in path.components() {
        match c {
            std::path::Component::Normal(n) => clean.push(n),
            std::path::Component::ParentDir => {
                clean.pop();
            }
            _ => {}
        }
    }
    clean
}

/// Runs the routine of `profile`, remembering what it did in `state_dir`.
pub fn run(
    profile: &Profile,
    state_dir: &StateDir,
    options: &RunOptions,
    progress: &dyn RunProgress,
) -> Result<RunReport, RunError> {
    let state_error = |e: std::io::Error| RunError::State {
        dir: state_dir.dir.display().to_string(),
        message: e.to_string(),
    };
    let _lock =
        state_dir
            .lock_run()
            .map_err(state_error)?
            .ok_or_else(|| RunError::AlreadyRunning {
                profile: profile.name.clone(),
                lock: state_dir.dir.join("run.lock").display().to_string(),
            })?;
    progress.started();
    let started = Utc::now();
    let mut state = state_dir.load();
    let mut outcomes: Vec<RepositoryOutcome> = profile
        .repositories
        .iter()
        .map(RepositoryOutcome::new)
        .collect();
    let mut elapsed = vec![0.0f64; outcomes.len()];
    // Each repository's index is loaded once, here, and serves every step below.
    let mut opened: Vec<Option<IndexedRepository>> = Vec::new();
    for (i, repo) in profile.repositories.iter().enumerate() {
        let t = Instant::now();
        let indexed =
            open_repository(repo, &options.backend_options, &options.open).and_then(|r| {
                r.to_indexed()
                    .map_err(|e| RepositoryFailure::from_error(repo, "open", &e))
            });
        match indexed {
            Ok(r) => opened.push(Some(r)),
            Err(f) => {
                outcomes[i].fail(f);
                opened.push(None);
            }
        }
        elapsed[i] += t.elapsed().as_secs_f64();
    }
    let filter = profile_filter(profile);

    // Back up.
    for (i, repo) in profile.repositories.iter().enumerate() {
        let (Feed::Backup, Some(r)) = (&repo.feed, &opened[i]) else {
            continue;
        };
        let t = Instant::now();
        progress.step(&repo.name, "backup");
        let backup = BackupOptions {
            host: profile.source.host.clone(),
            tags: profile.source.tags.clone(),
            excludes: profile.source.excludes.clone(),
            threads: options.threads,
            ..Default::default()
        }
        .verify_unchanged(profile.source.verify_unchanged_percent)
        .thumbnails(profile.source.thumbnails);
        let backup = match profile.source.mass_deletion_percent {
            Some(percent) => backup.mass_deletion_threshold(percent),
            None => backup,
        };
        match r.backup(&profile.source.paths, &backup, &()) {
            Ok(outcome) => {
                let o = &mut outcomes[i];
                o.snapshot = Some(outcome.snapshot_id.to_hex());
                o.bytes_added += outcome.summary.data_added_stored;
                if !outcome.errors.is_empty() {
                    let shown: Vec<String> = outcome
                        .errors
                        .iter()
                        .take(5)
                        .map(|e| e.to_string())
                        .collect();
                    o.problem(
                        Severity::Warning,
                        "backup",
                        format!(
                            "{} source file(s) could not be read: {}{}",
                            outcome.errors.len(),
                            shown.join("; "),
                            if outcome.errors.len() > 5 {
                                "; …"
                            } else {
                                ""
                            }
                        ),
                        3,
                    );
                }
                photo_warnings(o, &outcome);
                let id = r.config().id.clone();
                state.repository(&repo.name, &id).last_backup = Some(Utc::now());
            }
            Err(e) => outcomes[i].fail(RepositoryFailure::from_error(repo, "backup", &e)),
        }
        elapsed[i] += t.elapsed().as_secs_f64();
    }

    // Copy, sources before the repositories that copy from them.
    let mut done: Vec<bool> = profile
        .repositories
        .iter()
        .map(|r| r.feed == Feed::Backup)
        .collect();
    while let Some(i) = (0..done.len()).find(|&i| {
        !done[i]
            && matches!(&profile.repositories[i].feed, Feed::CopyFrom(from)
                if profile.repositories.iter().position(|r| &r.name == from).is_some_and(|j| done[j]))
    }) {
        done[i] = true;
        let repo = &profile.repositories[i];
        let Feed::CopyFrom(from) = &repo.feed else {
            unreachable!()
        };
        let j = profile
            .repositories
            .iter()
            .position(|r| &r.name == from)
            .expect("validated");
        let Some(target) = &opened[i] else { continue };
        let t = Instant::now();
        progress.step(&repo.name, "copy");
        let Some(source) = &opened[j] else {
            outcomes[i].fail(RepositoryFailure::new(
                repo,
                "copy",
                format!("nothing copied: the repository it copies from, '{from}', could not be opened"),
                1,
            ));
            elapsed[i] += t.elapsed().as_secs_f64();
            continue;
        };
        match copy_new(source, target, &filter) {
            Ok((copied, bytes)) => {
                outcomes[i].snapshots_copied = copied;
                outcomes[i].bytes_added += bytes;
                if copied > 0 {
                    let id = target.config().id.clone();
                    state.repository(&repo.name, &id).last_copy = Some(Utc::now());
                }
                if outcomes[j].failed() {
                    outcomes[i].problem(
                        Severity::Warning,
                        "copy",
                        format!("'{from}' failed in this run; only its older snapshots were copied"),
                        1,
                    );
                }
            }
            Err(e) => outcomes[i].fail(RepositoryFailure::from_error(repo, "copy", &e)),
        }
        elapsed[i] += t.elapsed().as_secs_f64();
    }

    // Retention, prune and verification.
    for (i, repo) in profile.repositories.iter().enumerate() {
        let Some(r) = &opened[i] else { continue };
        let t = Instant::now();
        let id = r.config().id.clone();
        if let Some(retention) = &profile.retention {
            if !outcomes[i].failed() {
                progress.step(&repo.name, "retention");
                let forget = ForgetOptions::default()
                    .policy(retention.policy.clone())
                    .filter(filter.clone())
                    .group_by(retention.group_by);
                let removed = r
                    .plan_forget(&forget)
                    .and_then(|plan| r.forget(&plan, false));
                match removed {
                    Ok(removed) => outcomes[i].snapshots_removed = removed.len() as u64,
                    Err(e @ Error::LastCopy { .. }) => outcomes[i].problem(
                        Severity::Warning,
                        "retention",
                        format!("retention not applied: {e}; see `pvault -P {} --repo-name {} forget --dry-run` with the same keep-* rules", profile.name, repo.name),
                        e.exit_code(),
                    ),
                    Err(e) => outcomes[i].fail(RepositoryFailure::from_error(repo, "retention", &e)),
                }
                let due = retention.prune_every.is_some_and(|every| {
                    state
                        .repository(&repo.name, &id)
                        .last_prune
                        .is_none_or(|last| Utc::now() - last >= every.0)
                });
                if due && !outcomes[i].failed() {
                    progress.step(&repo.name, "prune");
                    let prune = PruneOptions::default().max_unused(retention.max_unused);
                    match r.plan_prune(&prune).and_then(|plan| plan.execute(&())) {
                        Ok(report) => {
                            outcomes[i].pruned = true;
                            outcomes[i].bytes_reclaimed = report.bytes_deleted;
                            state.repository(&repo.name, &id).last_prune = Some(Utc::now());
                        }
                        Err(e) => {
                            outcomes[i].fail(RepositoryFailure::from_error(repo, "prune", &e))
                        }
                    }
                }
            }
        }
        let rs = state.repository(&repo.name, &id);
        let full_due = profile.verify.full_every.is_some_and(|every| {
            rs.last_full_verification()
                .is_none_or(|last| Utc::now() - last >= every.0)
        });
        let read = if full_due {
            Some(ReadData::All)
        } else {
            match &profile.verify.subset {
                Some(ReadData::Slice { m, .. }) => {
                    let n = rs.next_slice.filter(|n| (1..=*m).contains(n)).unwrap_or(1);
                    Some(ReadData::Slice { n, m: *m })
                }
                other => other.clone(),
            }
        };
        if let Some(read) = read {
            progress.step(&repo.name, "verify");
            match r.check(&CheckOptions::default().read_data(read.clone()), &()) {
                Ok(report) => {
                    let slice = match read {
                        ReadData::Slice { n, m } => Some((n, m)),
                        _ => None,
                    };
                    let full = read == ReadData::All;
                    let v = Verified {
                        full,
                        slice,
                        packs_read: report.packs_read,
                        packs: report.packs,
                        bytes_read: report.bytes_read,
                    };
                    let rs = state.repository(&repo.name, &id);
                    rs.record(Verification {
                        time: Utc::now(),
                        full,
                        slice,
                        packs: report.packs,
                        packs_read: report.packs_read,
                        bytes_read: report.bytes_read,
                        ok: report.is_ok(),
                    });
                    if let Some((n, m)) = slice {
                        rs.next_slice = Some(n % m + 1);
                    }
                    if !report.is_ok() {
                        let first: Vec<String> = report
                            .problems
                            .iter()
                            .take(3)
                            .map(|p| p.to_string())
                            .collect();
                        outcomes[i].fail(RepositoryFailure::new(
                            repo,
                            "verify",
                            format!(
                                "{} problem(s) found ({}); run `pvault -P {} --repo-name {} check --read-data` and repair",
                                report.problems.len(),
                                first.join("; "),
                                profile.name,
                                repo.name
                            ),
                            1,
                        ));
                    }
                    outcomes[i].verified = Some(v);
                }
                Err(e) => outcomes[i].fail(RepositoryFailure::from_error(repo, "verify", &e)),
            }
        }
        elapsed[i] += t.elapsed().as_secs_f64();
    }

    for (o, e) in outcomes.iter_mut().zip(elapsed) {
        o.duration_seconds = e;
    }
    let report = RunReport {
        profile: profile.name.clone(),
        started,
        finished: Utc::now(),
        repositories: outcomes,
    };
    remember(&mut state, &report);
    state_dir.save(&state).map_err(state_error)?;
    let _ = state_dir.save_last_run(&serde_json::to_value(&report).expect("serializes"));
    Ok(report)
}

fn remember(state: &mut State, report: &RunReport) {
    state.record_run(RunRecord {
        started: report.started,
        finished: report.finished,
        result: report.result().into(),
        failed: report.failed().iter().map(|s| s.to_string()).collect(),
    });
    if report.failed().is_empty() {
        state.overdue_alerted = None;
    }
}

/// Copies the snapshots of `filter` in `source` newer than the newest in `target` (all of
/// them when `target` has none); returns how many and the bytes stored.
fn copy_new(
    source: &IndexedRepository,
    target: &IndexedRepository,
    filter: &SnapshotFilter,
) -> crate::Result<(u64, u64)> {
    let newest = target
        .snapshots()?
        .into_iter()
        .filter(|s| filter.matches(&s.snapshot))
        .map(|s| s.snapshot.time)
        .max();
    let wanted: Vec<_> = source
        .snapshots()?
        .into_iter()
        .filter(|s| filter.matches(&s.snapshot))
        .filter(|s| newest.is_none_or(|n| s.snapshot.time > n))
        .collect();
    if wanted.is_empty() {
        return Ok((0, 0));
    }
    let report = target.copy_from(source, &wanted, &())?;
    Ok((report.copied.len() as u64, report.bytes_stored_packed))
}
