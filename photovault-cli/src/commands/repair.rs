//! `pvault repair index`

use serde_json::json;

use crate::cli::RepairCommand;
use crate::{CliError, Context};

pub fn run(ctx: &Context, cmd: RepairCommand) -> Result<u8, CliError> {
    let repo = ctx.open()?;
    match cmd {
        RepairCommand::Index => {
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
            Ok(if report.unreadable_packs.is_empty() { 0 } else { 1 })
        }
    }
}
