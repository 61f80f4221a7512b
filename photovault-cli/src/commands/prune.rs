//! `pvault prune [--dry-run] [--max-unused LIMIT] [--max-repack-size SIZE]`

use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressStyle};
use photovault_core::prune::{PrunePhase, PruneStats};
use photovault_core::{IndexedRepository, MaxUnused, PruneOptions, PruneProgress, PruneReport};
use serde_json::json;

use crate::cli::PruneArgs;
use crate::progress::bytes;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: PruneArgs) -> Result<u8, CliError> {
    let options = options(&args.max_unused, args.max_repack_size.as_deref())?;
    let repo = ctx.open_indexed()?;
    prune(ctx, &repo, &options, args.dry_run)
}

/// The options `--max-unused` and `--max-repack-size` ask for (also `forget --prune`'s).
pub fn options(max_unused: &str, max_repack_size: Option<&str>) -> Result<PruneOptions, CliError> {
    let max_unused: MaxUnused = max_unused
        .parse()
        .map_err(|e| CliError::usage(format!("--max-unused: {e}")))?;
    let max_repack = match max_repack_size {
        None => None,
        Some(size) => Some(photovault_core::prune::parse_size(size).ok_or_else(|| {
            CliError::usage(format!(
                "--max-repack-size: '{size}' is not a size (e.g. 500M, 2G)"
            ))
        })?),
    };
    Ok(PruneOptions::default()
        .max_unused(max_unused)
        .max_repack_bytes(max_repack))
}

/// Plans, shows and (unless `dry_run`) executes a prune.
pub fn prune(
    ctx: &Context,
    repo: &IndexedRepository,
    options: &PruneOptions,
    dry_run: bool,
) -> Result<u8, CliError> {
    let plan = repo.plan_prune(options)?;
    let stats = plan.stats().clone();
    if ctx.global.json {
        if dry_run {
            crate::print_json(
                &json!({"message_type": "prune_plan", "dry_run": true, "plan": stats}),
            );
            return Ok(0);
        }
    } else if !ctx.global.quiet {
        print_plan(&stats, dry_run);
    }
    if dry_run {
        return Ok(0);
    }
    let progress = Bars::new(ctx.verbose() && std::io::stderr().is_terminal());
    let report = plan.execute(&progress);
    progress.finish();
    let report = report?;
    if ctx.global.json {
        crate::print_json(
            &json!({"message_type": "summary", "dry_run": false, "plan": stats, "report": report}),
        );
    } else if !ctx.global.quiet {
        print_report(&report);
    }
    Ok(0)
}

fn print_plan(s: &PruneStats, dry_run: bool) {
    let would = if dry_run { "would " } else { "" };
    println!(
        "{} snapshots use {} blobs ({}); {} blobs ({}) are unused",
        s.snapshots,
        s.blobs_used,
        bytes(s.bytes_used),
        s.blobs_unused,
        bytes(s.bytes_unused)
    );
    println!("packs: {} ({}) in the repository", s.packs, bytes(s.bytes));
    println!(
        "  {would}delete  {:>6} packs {:>10}  (nothing in them is used)",
        s.packs_to_delete,
        bytes(s.bytes_to_delete)
    );
    println!(
        "  {would}repack  {:>6} packs {:>10}  (copying {} still used)",
        s.packs_to_repack,
        bytes(s.bytes_to_repack),
        bytes(s.bytes_to_copy)
    );
    println!(
        "  {would}keep    {:>6} packs {:>10}  ({} unused left in them)",
        s.packs_to_keep,
        bytes(s.bytes_to_keep),
        bytes(s.bytes_unused_kept)
    );
    if s.unindexed_packs > 0 {
        println!(
            "  {:>6} packs {:>10} no index lists (left by interrupted backups) {would}be deleted if no other process is running",
            s.unindexed_packs,
            bytes(s.unindexed_bytes)
        );
    }
    println!(
        "repository size: {} -> {}",
        bytes(s.bytes),
        bytes(s.bytes_after)
    );
}

fn print_report(r: &PruneReport) {
    if r.packs_repacked > 0 {
        println!(
            "repacked {} packs ({} blobs copied)",
            r.packs_repacked, r.blobs_repacked
        );
    }
    if r.packs_reindexed > 0 {
        println!(
            "indexed {} packs again: a backup that ran meanwhile uses them",
            r.packs_reindexed
        );
    }
    println!(
        "deleted {} packs ({}); index files: {} written, {} removed",
        r.packs_deleted,
        bytes(r.bytes_deleted),
        r.index_files_written,
        r.index_files_removed
    );
    if let Some(deferred) = &r.deletion_deferred {
        println!("unused packs are left for the next prune: {deferred}");
    }
}

/// A bar per phase on a terminal.
struct Bars {
    bar: Mutex<Option<ProgressBar>>,
    enabled: bool,
}

impl Bars {
    fn new(enabled: bool) -> Self {
        Bars {
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

impl PruneProgress for Bars {
    fn phase(&self, phase: PrunePhase) {
        if !self.enabled {
            return;
        }
        self.finish();
        let (name, total) = match phase {
            PrunePhase::Repacking { packs } => ("repack", packs),
            PrunePhase::RewritingIndex { files } => ("index", files),
            PrunePhase::Deleting { packs } => ("delete", packs),
            _ => ("prune", 0),
        };
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("prune {msg} {bar:30} {pos}/{len}")
                .expect("valid template"),
        );
        bar.set_message(name);
        *self.bar.lock().expect("bar") = Some(bar);
    }

    fn pack_done(&self) {
        if let Some(bar) = self.bar.lock().expect("bar").as_ref() {
            bar.inc(1);
        }
    }
}
