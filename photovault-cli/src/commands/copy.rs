//! `pvault -r TARGET copy --from-repo SOURCE [SNAPSHOT...]`

use photovault_core::{CopyMethod, CopyProgress, Snapshot, SnapshotId};
use serde_json::json;

use crate::cli::CopyArgs;
use crate::progress::bytes;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: CopyArgs) -> Result<u8, CliError> {
    let from = args.from_repo.clone().ok_or_else(|| {
        CliError::usage(
            "no source repository given: use --from-repo or set PVAULT_FROM_REPOSITORY".into(),
        )
    })?;
    let source = ctx.open_source(&from, args.from.from_password_file.as_deref())?;
    let target = ctx.open_indexed()?;
    let chosen = source
        .select_snapshots(&args.snapshots, &args.filter.filter())
        .map_err(|e| {
            let mut err = CliError::from(e);
            err.message = format!("source repository {from}: {}", err.message);
            err
        })?;
    let report = target.copy_from(
        &source,
        &chosen,
        &Shown {
            verbose: ctx.verbose(),
        },
    )?;
    if ctx.global.json {
        crate::print_json(&json!({"message_type": "summary", "report": report}));
        return Ok(0);
    }
    if !ctx.global.quiet {
        let how = match report.method {
            CopyMethod::BlobForBlob => "blob for blob (the repositories share chunker parameters)",
            CopyMethod::Recut => "cutting files again (unrelated repositories)",
        };
        for (from, to) in &report.copied {
            println!("snapshot {} copied as {}", from.short(), to.short());
        }
        for skipped in &report.skipped {
            println!("snapshot {} is already there", skipped.short());
        }
        println!(
            "copied {} snapshot(s), {} already there; stored {} blobs ({}, {} packed), {how}",
            report.copied.len(),
            report.skipped.len(),
            report.blobs_stored,
            bytes(report.bytes_stored),
            bytes(report.bytes_stored_packed)
        );
    }
    Ok(0)
}

struct Shown {
    verbose: bool,
}

impl CopyProgress for Shown {
    fn snapshot(&self, source: &SnapshotId, snapshot: &Snapshot) {
        if self.verbose {
            eprintln!(
                "copying snapshot {} of {} ({})",
                source.short(),
                safe(&snapshot.paths.join(", ")),
                snapshot.time.format("%Y-%m-%d %H:%M:%S")
            );
        }
    }
}
