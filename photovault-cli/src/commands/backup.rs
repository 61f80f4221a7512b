//! `pvault backup`

use chrono::{DateTime, FixedOffset, Local, LocalResult, NaiveDateTime, TimeZone};
use photovault_core::{BackupOptions, ParentChoice};
use serde_json::json;

use crate::cli::BackupArgs;
use crate::progress::{self, Progress};
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: BackupArgs) -> Result<u8, CliError> {
    let time = args.time.as_deref().map(parse_time).transpose()?;
    let repo = ctx.open()?;
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
        }));
    } else {
        if !ctx.global.quiet {
            println!(
                "Files:  {:>8} new, {:>8} changed, {:>8} unmodified",
                s.files_new, s.files_changed, s.files_unmodified
            );
            println!("Dirs:   {:>8}", s.dirs);
            println!(
                "Added to the repository: {} ({} stored)",
                progress::bytes(s.data_added),
                progress::bytes(s.data_added_stored)
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
    if outcome.errors.is_empty() {
        Ok(0)
    } else {
        eprintln!(
            "Warning: {} source file(s) could not be read; the snapshot holds everything else",
            outcome.errors.len()
        );
        Ok(3)
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
