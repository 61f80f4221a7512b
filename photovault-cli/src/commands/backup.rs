//! `pvault backup`

use chrono::{DateTime, FixedOffset, Local, LocalResult, NaiveDateTime, TimeZone};
use photovault_core::{BackupOptions, ParentChoice};
use serde_json::json;

use crate::cli::BackupArgs;
use crate::progress::{self, Progress};
use crate::{CliError, Context};

/// Exit code: the snapshot was written, but more of the parent's files than the
/// mass-deletion threshold are gone or truncated to zero bytes.
pub const EXIT_MASS_DELETION: u8 = 14;
/// Exit code: the snapshot was written, but files changed content without a change of size
/// or modification time (damage on the source disk); also `verify-source`'s.
pub const EXIT_SOURCE_DAMAGED: u8 = 15;

pub fn run(ctx: &Context, args: BackupArgs) -> Result<u8, CliError> {
    let time = args.time.as_deref().map(parse_time).transpose()?;
    let repo = ctx.open_indexed()?;
    let parent = if args.force {
        ParentChoice::None
    } else if let Some(spec) = &args.parent {
        ParentChoice::Snapshot(repo.find_snapshot(spec)?.id)
    } else {
        ParentChoice::Latest
    };
    let mut options = BackupOptions::default().parent(parent);
    options.host = args.host;
    options.tags = args.tags;
    options.excludes = args.excludes;
    options.threads = args.threads;
    if let Some(time) = time {
        options = options.time(time);
    }
    options = options
        .verify_unchanged(
            match (args.verify_unchanged, args.verify_unchanged_fraction) {
                (true, _) => 100.0,
                (false, Some(percent)) => percent,
                (false, None) => 0.0,
            },
        )
        .mass_deletion_threshold(args.mass_deletion_threshold)
        .thumbnails(!args.no_thumbnails);

    let progress = Progress::new(ctx.global.json, ctx.global.quiet, "backup");
    let outcome = repo.backup(&args.paths, &options, &progress);
    progress.finish();
    let outcome = outcome?;
    let s = &outcome.summary;
    if ctx.global.json {
        crate::print_json(&json!({
            "message_type": "summary",
            "snapshot_id": outcome.snapshot_id.to_hex(),
            "files_new": s.files_new, "files_changed": s.files_changed, "files_unmodified": s.files_unmodified,
            "dirs": s.dirs, "total_files_processed": s.total_files, "total_bytes_processed": s.total_bytes,
            "bytes_read": s.bytes_read, "blobs_added": s.blobs_added, "data_added": s.data_added,
            "data_added_stored": s.data_added_stored, "errors": s.errors, "total_duration": s.duration_seconds,
            "thumbnails_added": s.thumbnails_added, "thumbnail_bytes_added": s.thumbnail_bytes_added,
            "files_moved": outcome.files_moved, "files_verified": outcome.files_verified,
            "source_damaged": outcome.source_damaged.iter().map(|r| r.path.display().to_string()).collect::<Vec<_>>(),
            "mass_deletion": outcome.disappearance.as_ref().map(disappearance_json),
        }));
    } else {
        if !ctx.global.quiet {
            println!(
                "Files:  {:>8} new, {:>8} changed, {:>8} unmodified",
                s.files_new, s.files_changed, s.files_unmodified
            );
            println!("Dirs:   {:>8}", s.dirs);
            println!(
                "Added to the repository: {} ({} stored), {} thumbnail(s)",
                progress::bytes(s.data_added),
                progress::bytes(s.data_added_stored),
                s.thumbnails_added
            );
            println!(
                "processed {} files, {} in {:.1}s",
                s.total_files,
                progress::bytes(s.total_bytes),
                s.duration_seconds
            );
        }
        println!("snapshot {} saved", outcome.snapshot_id.short());
    }
    let mut code = 0;
    if !outcome.errors.is_empty() {
        eprintln!(
            "Warning: {} source file(s) could not be read; the snapshot holds everything else",
            outcome.errors.len()
        );
        code = 3;
    }
    if !outcome.source_damaged.is_empty() {
        let good = outcome
            .snapshot
            .parent
            .map(|p| p.short())
            .unwrap_or_default();
        eprintln!(
            "DAMAGED SOURCE FILES: {} file(s) changed content although their size and modification \
             time did not, which is almost always damage on the source disk (named above). Their \
             good versions are in snapshot {good}: check the disk, then restore them from it \
             (`pvault restore {good}:PATH --target ...`).",
            outcome.source_damaged.len()
        );
        code = EXIT_SOURCE_DAMAGED;
    }
    if let Some(gone) = outcome.disappearance.as_ref().filter(|d| d.alarm) {
        say_mass_deletion(gone, outcome.snapshot.parent);
        code = EXIT_MASS_DELETION;
    }
    Ok(code)
}

fn disappearance_json(d: &photovault_core::Disappearance) -> serde_json::Value {
    json!({
        "alarm": d.alarm, "parent_files": d.parent_files, "gone": d.gone,
        "truncated": d.truncated, "percent": d.percent, "threshold_percent": d.threshold_percent,
        "folders": d.folders.iter().map(|(path, files)| json!({"path": path.display().to_string(), "files": files})).collect::<Vec<_>>(),
    })
}

/// The prominent notice of a library that is disappearing.
fn say_mass_deletion(
    d: &photovault_core::Disappearance,
    parent: Option<photovault_core::SnapshotId>,
) {
    let parent = parent.map(|p| p.short()).unwrap_or_default();
    eprintln!();
    eprintln!(
        "*** MASS DELETION: {:.1}% of the files of the previous snapshot {parent} are gone \
         ({} gone, {} truncated to zero bytes, of {}; threshold {}%) ***",
        d.percent, d.gone, d.truncated, d.parent_files, d.threshold_percent
    );
    eprintln!(
        "The new snapshot was written; snapshot {parent} still holds every file. If you did not \
         delete them (a sync service, an unmounted disk), do not run `forget` until they are back \
         (`pvault restore {parent} --target ...`)."
    );
    eprintln!("Most affected folders:");
    for (folder, files) in &d.folders {
        eprintln!(
            "  {files:>8} files  {}",
            crate::terminal::safe(&folder.display().to_string())
        );
    }
}
/// `--time`: RFC 3339 (`2021-06-01T12:00:00+02:00`), or restic's `2021-06-01 12:00:00` in
/// this machine's local time (an hour that a clock change repeats is read as the earlier).
fn parse_time(text: &str) -> Result<DateTime<FixedOffset>, CliError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time);
    }
    let bad = || {
        CliError::usage(format!(
            "--time: '{text}' is not a time: use RFC 3339 like 2021-06-01T12:00:00+02:00, or local time like \"2021-06-01 12:00:00\""
        ))
    };
    let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").map_err(|_| bad())?;
    match Local.from_local_datetime(&naive) {
        LocalResult::Single(time) | LocalResult::Ambiguous(time, _) => Ok(time.fixed_offset()),
        LocalResult::None => Err(CliError::usage(format!(
            "--time: {text} does not exist in local time (the clocks skipped it)"
        ))),
    }
}
