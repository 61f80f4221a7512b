//! `pvault repair index|packs|snapshots`

use std::collections::BTreeSet;

use photovault_core::{
    CheckOptions, IndexedRepository, PackId, Problem, ReadData, RepairSnapshotsOptions, Repository,
};
use serde_json::json;

use crate::cli::RepairCommand;
use crate::{CliError, Context};

pub fn run(ctx: &Context, cmd: RepairCommand) -> Result<u8, CliError> {
    // Rebuilding the index reads pack headers, not the index it replaces.
    match cmd {
        RepairCommand::Index => index(ctx, &ctx.open()?),
        RepairCommand::Packs { packs } => packs_cmd(ctx, &ctx.open_indexed()?, &packs),
        RepairCommand::Snapshots { dry_run, forget } => {
            snapshots(ctx, &ctx.open_indexed()?, dry_run, forget)
        }
    }
}

fn index(ctx: &Context, repo: &Repository) -> Result<u8, CliError> {
    let report = repo.repair_index()?;
    if ctx.global.json {
        crate::print_json(&json!({"message_type": "summary", "report": report}));
    } else {
        for (pack, error) in &report.unreadable_packs {
            eprintln!("error: pack {pack}: {error} (its blobs are not indexed)");
        }
        if !ctx.global.quiet {
            println!(
                "indexed {} blobs in {} packs; wrote {} index files, removed {} old ones",
                report.blobs, report.packs, report.index_files_written, report.index_files_removed
            );
        }
    }
    Ok(if report.unreadable_packs.is_empty() {
        0
    } else {
        1
    })
}

fn packs_cmd(ctx: &Context, repo: &IndexedRepository, given: &[String]) -> Result<u8, CliError> {
    let packs: Vec<PackId> = if given.is_empty() {
        if ctx.verbose() {
            println!("reading all data to find damaged packs...");
        }
        let report = repo.check(&CheckOptions::default().read_data(ReadData::All), &())?;
        let damaged: BTreeSet<PackId> = report
            .problems
            .iter()
            .filter_map(|p| match p {
                Problem::BlobDamaged { pack, .. }
                | Problem::PackHash { pack }
                | Problem::PackHeader { pack, .. } => Some(*pack),
                _ => None,
            })
            .collect();
        damaged.into_iter().collect()
    } else {
        given
            .iter()
            .map(|s| {
                s.parse::<PackId>()
                    .map_err(|e| CliError::usage(e.to_string()))
            })
            .collect::<Result<_, _>>()?
    };
    if packs.is_empty() {
        if !ctx.global.quiet {
            println!("no damaged packs");
        }
        return Ok(0);
    }
    let report = repo.repair_packs(&packs)?;
    if ctx.global.json {
        crate::print_json(&json!({"message_type": "summary", "report": report}));
    } else if !ctx.global.quiet {
        for (blob, reason) in &report.blobs_lost {
            println!("lost blob {blob}: {reason}");
        }
        println!(
            "rewrote {} pack(s): {} blobs salvaged, {} lost; back up the same folders again to store lost data that the source still has, then run `pvault repair snapshots`",
            report.packs_removed.len(),
            report.blobs_salvaged,
            report.blobs_lost.len()
        );
    }
    Ok(0)
}

fn snapshots(
    ctx: &Context,
    repo: &IndexedRepository,
    dry_run: bool,
    forget: bool,
) -> Result<u8, CliError> {
    let mut options = RepairSnapshotsOptions::default();
    options.dry_run = dry_run;
    options.forget = forget;
    let report = repo.repair_snapshots(&options)?;
    if ctx.global.json {
        crate::print_json(&json!({"message_type": "summary", "report": report}));
        return Ok(0);
    }
    for r in &report.repaired {
        match r.repaired {
            Some(new) => println!(
                "snapshot {} repaired as {} ({} path(s) lost):",
                r.original.short(),
                new.short(),
                r.lost.len()
            ),
            None => println!(
                "snapshot {} would be repaired ({} path(s) lost):",
                r.original.short(),
                r.lost.len()
            ),
        }
        for path in &r.lost {
            println!("  lost {}", crate::terminal::safe(path));
        }
    }
    if !ctx.global.quiet {
        println!(
            "{} snapshot(s) intact, {} repaired{}",
            report.intact,
            report.repaired.len(),
            if dry_run { " (dry run)" } else { "" }
        );
    }
    Ok(0)
}
