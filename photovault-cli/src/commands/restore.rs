//! `pvault restore`

use photovault_core::{Overwrite, RestoreOptions};
use serde_json::json;

use crate::cli::RestoreArgs;
use crate::progress::{self, Progress};
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: RestoreArgs) -> Result<u8, CliError> {
    let repo = ctx.open_indexed()?;
    let (spec, subpath) = match args.snapshot.split_once(':') {
        Some((spec, sub)) => (spec, sub),
        None => (args.snapshot.as_str(), ""),
    };
    let entry = repo.find_snapshot(spec)?;
    if ctx.verbose() {
        println!(
            "restoring snapshot {} of {} to {}",
            entry.id.short(),
            crate::terminal::safe(&entry.snapshot.paths.join(", ")),
            args.target.display()
        );
    }
    let mut options = RestoreOptions::default();
    options.include = args.include;
    options.threads = args.threads;
    options.overwrite = args
        .overwrite
        .parse::<Overwrite>()
        .map_err(|e| CliError::usage(format!("--overwrite: {e}")))?;
    options.delete = args.delete;
    options.dry_run = args.dry_run;
    options.verify = args.verify;
    if args.delete && !options.include.is_empty() {
        return Err(CliError::usage(
            "--delete cannot be combined with --include: it would delete everything not included"
                .into(),
        ));
    }
    let progress = Progress::new(ctx.global.json, ctx.global.quiet, "restore");
    progress.stop_on_ctrl_c();
    let outcome = repo.restore(&entry.snapshot, subpath, &args.target, &options, &progress);
    progress.finish();
    let outcome = outcome?;
    if ctx.global.json {
        crate::print_json(&json!({
            "message_type": "summary", "dry_run": args.dry_run,
            "files_restored": outcome.files, "bytes_restored": outcome.bytes,
            "files_skipped": outcome.files_skipped, "bytes_skipped": outcome.bytes_skipped,
            "deleted": outcome.deleted, "debris_removed": outcome.debris_removed,
            "verified": outcome.verified,
            "dirs": outcome.dirs, "symlinks": outcome.symlinks, "errors": outcome.errors.len(),
        }));
    } else if !ctx.global.quiet {
        let (wrote, deleted) = if args.dry_run {
            ("would write", "would delete")
        } else {
            ("restored", "deleted")
        };
        println!(
            "{wrote} {} files ({}), {} folders, {} symlinks; {} files ({}) already there left alone",
            outcome.files,
            progress::bytes(outcome.bytes),
            outcome.dirs,
            outcome.symlinks,
            outcome.files_skipped,
            progress::bytes(outcome.bytes_skipped)
        );
        if outcome.deleted > 0 || args.delete {
            println!(
                "{deleted} {} entries the snapshot does not have",
                outcome.deleted
            );
        }
        if outcome.debris_removed > 0 {
            println!(
                "removed {} temporary files of an interrupted restore",
                outcome.debris_removed
            );
        }
        if args.verify {
            println!("verified {} files by reading them back", outcome.verified);
        }
    }
    if outcome.errors.is_empty() {
        Ok(0)
    } else {
        Err(photovault_core::Error::PartialRestore {
            failed: outcome.errors.len() as u64,
        }
        .into())
    }
}
