//! `pvault thumbnails [SNAPSHOT...]`

use photovault_core::{SnapshotEntry, ThumbnailProgress};
use serde_json::json;

use crate::cli::ThumbnailsArgs;
use crate::progress::bytes;
use crate::{CliError, Context};

/// Counts what is done, for a line on a terminal.
struct Counter {
    quiet: bool,
    total: std::sync::atomic::AtomicU64,
    done: std::sync::atomic::AtomicU64,
}

impl ThumbnailProgress for Counter {
    fn found(&self, files: u64) {
        self.total
            .store(files, std::sync::atomic::Ordering::Relaxed);
    }

    fn done(&self, _path: &std::path::Path, _added: bool) {
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if !self.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) && done % 100 == 0 {
            eprint!(
                "\rthumbnails: {done} of {} looked at",
                self.total.load(std::sync::atomic::Ordering::Relaxed)
            );
        }
    }
}

pub fn run(ctx: &Context, args: ThumbnailsArgs) -> Result<u8, CliError> {
    let repo = ctx.open_indexed()?;
    let snapshots: Vec<SnapshotEntry> = if args.snapshots.is_empty() {
        repo.snapshots()?
    } else {
        args.snapshots
            .iter()
            .map(|spec| repo.find_snapshot(spec))
            .collect::<Result<_, _>>()?
    };
    let counter = Counter {
        quiet: ctx.global.quiet || ctx.global.json,
        total: Default::default(),
        done: Default::default(),
    };
    let report = repo.add_thumbnails(&snapshots, &counter)?;
    if !counter.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!();
    }
    if ctx.global.json {
        let mut v = serde_json::to_value(&report).expect("report serializes");
        v["message_type"] = json!("summary");
        v["snapshots"] = json!(snapshots.len());
        crate::print_json(&v);
    } else if !ctx.global.quiet {
        println!(
            "{} photos and videos in {} snapshot(s): {} thumbnails added, {} had one, {} are their own, {} without a source (read {})",
            report.media_files,
            snapshots.len(),
            report.added,
            report.present,
            report.small,
            report.without_source,
            bytes(report.bytes_read)
        );
    }
    Ok(0)
}
