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

mod report;
mod stages;

use std::time::Instant;

use chrono::Utc;

use super::open::{open_repository, RepositoryFailure};
use super::profile::{Feed, Profile};
use super::state::{RunRecord, State, StateDir};
use crate::backend::BackendOptions;
use crate::repository::{IndexedRepository, OpenOptions};
use crate::SnapshotFilter;

pub use report::{Problem, RepositoryOutcome, RunReport, Severity, Verified};

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

    for (i, repo) in profile.repositories.iter().enumerate() {
        let (Feed::Backup, Some(r)) = (&repo.feed, &opened[i]) else {
            continue;
        };
        let t = Instant::now();
        stages::back_up(
            profile,
            repo,
            r,
            options,
            &mut outcomes[i],
            &mut state,
            progress,
        );
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
        let source_failed = outcomes[j].failed();
        stages::copy_into(
            repo,
            target,
            from,
            opened[j].as_ref(),
            source_failed,
            &filter,
            &mut outcomes[i],
            &mut state,
        );
        elapsed[i] += t.elapsed().as_secs_f64();
    }

    // A repository whose backup or copy failed is neither thinned nor pruned; every
    // repository that opened is verified.
    for (i, repo) in profile.repositories.iter().enumerate() {
        let Some(r) = &opened[i] else { continue };
        let t = Instant::now();
        let outcome = &mut outcomes[i];
        if let Some(retention) = profile.retention.as_ref().filter(|_| !outcome.failed()) {
            stages::thin(
                profile, retention, repo, r, &filter, outcome, &mut state, progress,
            );
        }
        stages::verify(profile, repo, r, outcome, &mut state, progress);
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
