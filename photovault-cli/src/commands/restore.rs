//! `pvault restore`

use photovault_core::RestoreOptions;
use serde_json::json;

use crate::cli::RestoreArgs;
use crate::progress::{self, Progress};
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: RestoreArgs) -> Result<u8, CliError> {
    let repo = ctx.open()?;
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
    let progress = Progress::new(ctx.global.json, ctx.global.quiet, "restore");
    progress.stop_on_ctrl_c();
    let outcome = repo.restore(&entry.snapshot, subpath, &args.target, &options, &progress);
    progress.finish();
    let outcome = outcome?;
    if ctx.global.json {
        crate::print_json(&json!({
            "message_type": "summary", "files_restored": outcome.files, "bytes_restored": outcome.bytes,
            "dirs": outcome.dirs, "symlinks": outcome.symlinks, "errors": outcome.errors.len(),
        }));
    } else if !ctx.global.quiet {
        println!(
            "restored {} files ({}), {} folders, {} symlinks",
            outcome.files,
            progress::bytes(outcome.bytes),
            outcome.dirs,
            outcome.symlinks
        );
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
