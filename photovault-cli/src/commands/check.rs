//! `pvault check [--read-data | --read-data-subset S]`

use std::collections::{BTreeMap, BTreeSet};
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use photovault_core::{CheckOptions, CheckProgress, ReadData};
use serde_json::json;

use crate::cli::CheckArgs;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: CheckArgs) -> Result<u8, CliError> {
    let read_data = match (&args.read_data_subset, args.read_data) {
        (Some(subset), _) => subset.parse::<ReadData>().map_err(CliError::usage)?,
        (None, true) => ReadData::All,
        (None, false) => ReadData::None,
    };
    let repo = ctx.open_indexed()?;
    let mut options = CheckOptions::default().read_data(read_data);
    options.threads = args.threads;
    let progress = Bar::new(ctx.verbose() && std::io::stderr().is_terminal());
    let report = repo.check(&options, &progress);
    progress.finish();
    let report = report?;

    if ctx.global.json {
        crate::print_json(
            &json!({"message_type": "summary", "ok": report.is_ok(), "report": report}),
        );
    } else {
        for problem in &report.problems {
            eprintln!("error: {}", safe(&problem.to_string()));
        }
        if !report.damaged_files.is_empty() {
            let mut by_path: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
            for f in &report.damaged_files {
                by_path
                    .entry(f.path.display().to_string())
                    .or_default()
                    .insert(f.snapshot.short());
            }
            let snapshots: BTreeSet<_> = report.damaged_files.iter().map(|f| f.snapshot).collect();
            let files = if by_path.len() == 1 {
                "1 file".to_string()
            } else {
                format!("{} files", by_path.len())
            };
            let snaps = if snapshots.len() == 1 {
                "1 snapshot".to_string()
            } else {
                format!("{} snapshots", snapshots.len())
            };
            eprintln!("{files} in {snaps} cannot be restored intact:");
            for (path, snaps) in &by_path {
                eprintln!(
                    "  {}  (snapshots {})",
                    safe(path),
                    snaps.iter().cloned().collect::<Vec<_>>().join(", ")
                );
            }
            if report.damaged_files_omitted > 0 {
                eprintln!("  and {} more, not listed", report.damaged_files_omitted);
            }
        }
        if !ctx.global.quiet {
            if !report.unused_packs.is_empty() {
                println!(
                    "{} unused pack(s), left by interrupted backups or by a prune that waited for other processes (harmless; `pvault prune` deletes them)",
                    report.unused_packs.len()
                );
            }
            println!(
                "checked {} snapshots, {} trees, {} packs; read {} packs ({} blobs, {})",
                report.snapshots,
                report.trees,
                report.packs,
                report.packs_read,
                report.blobs_read,
                crate::progress::bytes(report.bytes_read)
            );
            if report.is_ok() {
                println!("no errors were found");
            }
        }
    }
    if report.is_ok() {
        Ok(0)
    } else {
        Err(CliError::usage(format!(
            "{} problem(s) found; the repository needs repair",
            report.problems.len()
        )))
    }
}

/// A bar per phase on a terminal.
struct Bar {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
}

impl Bar {
    fn new(enabled: bool) -> Self {
        Bar {
            bar: Mutex::new(None),
            enabled,
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.lock().expect("bar").take() {
            bar.finish_and_clear();
        }
    }
}

impl CheckProgress for Bar {
    fn phase(&self, name: &'static str, total: u64) {
        if !self.enabled {
            return;
        }
        self.finish();
        let bar = ProgressBar::new(total);
        let template = if name == "data" {
            "check data {bar:30} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}"
        } else {
            "check {msg} {bar:30} {pos}/{len}"
        };
        bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
        bar.set_message(name);
        *self.bar.lock().expect("bar") = Some(bar);
    }

    fn advance(&self, amount: u64) {
        if let Some(bar) = self.bar.lock().expect("bar").as_ref() {
            bar.inc(amount);
        }
    }
}
