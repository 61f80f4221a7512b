//! The steps of a run on one repository, in the order `run` takes them: back up, copy from
//! another repository, apply retention (and prune when due), verify. Each records what it
//! did and what went wrong in the repository's [`RepositoryOutcome`], and what the next
//! runs must remember in the [`State`].

use chrono::Utc;

use super::report::{RepositoryOutcome, Severity, Verified};
use super::{RunOptions, RunProgress};
use crate::check::{CheckOptions, ReadData};
use crate::error::Error;
use crate::forget::ForgetOptions;
use crate::prune::PruneOptions;
use crate::repository::IndexedRepository;
use crate::routine::open::RepositoryFailure;
use crate::routine::profile::{Profile, RepositoryProfile, Retention};
use crate::routine::state::{State, Verification};
use crate::{BackupOptions, SnapshotFilter};

/// Backs the profile's sources up into `r`.
pub(super) fn back_up(
    profile: &Profile,
    repo: &RepositoryProfile,
    r: &IndexedRepository,
    options: &RunOptions,
    outcome: &mut RepositoryOutcome,
    state: &mut State,
    progress: &dyn RunProgress,
) {
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
        Ok(done) => {
            outcome.snapshot = Some(done.snapshot_id.to_hex());
            outcome.bytes_added += done.summary.data_added_stored;
            if !done.errors.is_empty() {
                let shown: Vec<String> =
                    done.errors.iter().take(5).map(|e| e.to_string()).collect();
                outcome.problem(
                    Severity::Warning,
                    "backup",
                    format!(
                        "{} source file(s) could not be read: {}{}",
                        done.errors.len(),
                        shown.join("; "),
                        if done.errors.len() > 5 { "; …" } else { "" }
                    ),
                    3,
                );
            }
            photo_warnings(outcome, &done);
            let id = r.config().id.clone();
            state.repository(&repo.name, &id).last_backup = Some(Utc::now());
        }
        Err(e) => outcome.fail(RepositoryFailure::from_error(repo, "backup", &e)),
    }
}

/// Copies into `target` the new snapshots of `source`, the repository called `from`
/// (`None`: it could not be opened). `source_failed`: it failed earlier in this run.
#[allow(clippy::too_many_arguments)]
pub(super) fn copy_into(
    repo: &RepositoryProfile,
    target: &IndexedRepository,
    from: &str,
    source: Option<&IndexedRepository>,
    source_failed: bool,
    filter: &SnapshotFilter,
    outcome: &mut RepositoryOutcome,
    state: &mut State,
) {
    let Some(source) = source else {
        outcome.fail(RepositoryFailure::new(
            repo,
            "copy",
            format!("nothing copied: the repository it copies from, '{from}', could not be opened"),
            1,
        ));
        return;
    };
    match copy_new(source, target, filter) {
        Ok((copied, bytes)) => {
            outcome.snapshots_copied = copied;
            outcome.bytes_added += bytes;
            if copied > 0 {
                let id = target.config().id.clone();
                state.repository(&repo.name, &id).last_copy = Some(Utc::now());
            }
            if source_failed {
                outcome.problem(
                    Severity::Warning,
                    "copy",
                    format!("'{from}' failed in this run; only its older snapshots were copied"),
                    1,
                );
            }
        }
        Err(e) => outcome.fail(RepositoryFailure::from_error(repo, "copy", &e)),
    }
}

/// Applies `retention` to `r`, then prunes it when `prune-every` has passed. Nothing is
/// pruned after a failed forget.
#[allow(clippy::too_many_arguments)]
pub(super) fn thin(
    profile: &Profile,
    retention: &Retention,
    repo: &RepositoryProfile,
    r: &IndexedRepository,
    filter: &SnapshotFilter,
    outcome: &mut RepositoryOutcome,
    state: &mut State,
    progress: &dyn RunProgress,
) {
    let id = r.config().id.clone();
    progress.step(&repo.name, "retention");
    let forget = ForgetOptions::default()
        .policy(retention.policy.clone())
        .filter(filter.clone())
        .group_by(retention.group_by);
    match r.plan_forget(&forget).and_then(|plan| r.forget(&plan, false)) {
        Ok(removed) => outcome.snapshots_removed = removed.len() as u64,
        Err(e @ Error::LastCopy { .. }) => outcome.problem(
            Severity::Warning,
            "retention",
            format!(
                "retention not applied: {e}; see `pvault -P {} --repo-name {} forget --dry-run` with the same keep-* rules",
                profile.name, repo.name
            ),
            e.exit_code(),
        ),
        Err(e) => outcome.fail(RepositoryFailure::from_error(repo, "retention", &e)),
    }
    let due = retention.prune_every.is_some_and(|every| {
        state
            .repository(&repo.name, &id)
            .last_prune
            .is_none_or(|last| Utc::now() - last >= every.0)
    });
    if !due || outcome.failed() {
        return;
    }
    progress.step(&repo.name, "prune");
    let prune = PruneOptions::default().max_unused(retention.max_unused);
    match r.plan_prune(&prune).and_then(|plan| plan.execute(&())) {
        Ok(report) => {
            outcome.pruned = true;
            outcome.bytes_reclaimed = report.bytes_deleted;
            state.repository(&repo.name, &id).last_prune = Some(Utc::now());
        }
        Err(e) => outcome.fail(RepositoryFailure::from_error(repo, "prune", &e)),
    }
}

/// Reads what the profile's `[verify]` asks of this run: everything when `full-every` has
/// passed, else the next slice of the rotation (or the configured subset).
pub(super) fn verify(
    profile: &Profile,
    repo: &RepositoryProfile,
    r: &IndexedRepository,
    outcome: &mut RepositoryOutcome,
    state: &mut State,
    progress: &dyn RunProgress,
) {
    let id = r.config().id.clone();
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
    let Some(read) = read else { return };
    progress.step(&repo.name, "verify");
    let report = match r.check(&CheckOptions::default().read_data(read.clone()), &()) {
        Ok(report) => report,
        Err(e) => return outcome.fail(RepositoryFailure::from_error(repo, "verify", &e)),
    };
    let slice = match read {
        ReadData::Slice { n, m } => Some((n, m)),
        _ => None,
    };
    let full = read == ReadData::All;
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
        outcome.fail(RepositoryFailure::new(
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
    outcome.verified = Some(Verified {
        full,
        slice,
        packs_read: report.packs_read,
        packs: report.packs,
        bytes_read: report.bytes_read,
    });
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
