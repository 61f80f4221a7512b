//! `pvault verify-source [PATH...]`

use photovault_core::SourceChange;
use serde_json::json;

use super::backup::EXIT_SOURCE_DAMAGED;
use crate::cli::VerifySourceArgs;
use crate::progress::bytes;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: VerifySourceArgs) -> Result<u8, CliError> {
    let repo = ctx.open_indexed()?;
    let chosen = repo.find_snapshot(&args.snapshot)?;
    let paths = args
        .paths
        .iter()
        .map(|p| {
            std::path::absolute(p).map_err(|e| CliError::usage(format!("{}: {e}", p.display())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let summary = repo.verify_source(&chosen.snapshot, &paths, &mut |d| {
        let path = d.path.display().to_string();
        if ctx.global.json {
            crate::print_json(&json!({
                "message_type": "difference", "path": path, "change": d.change,
            }));
        } else if d.change == SourceChange::Damaged {
            eprintln!(
                "DAMAGED {}: content differs from snapshot {} although size and modification time \
                 do not (restore it with `pvault restore {}:{} --target ...`)",
                safe(&path),
                chosen.id.short(),
                chosen.id.short(),
                safe(&path)
            );
        } else if !ctx.global.quiet {
            let word = match d.change {
                SourceChange::Modified => "modified",
                SourceChange::Missing => "missing",
                SourceChange::New => "new",
                SourceChange::Unreadable => "unreadable",
                SourceChange::Damaged => unreachable!("printed above"),
            };
            println!("{word:<10} {}", safe(&path));
        }
    })?;
    if ctx.global.json {
        let mut v = serde_json::to_value(&summary).expect("summary serializes");
        v["message_type"] = json!("summary");
        v["snapshot"] = json!(chosen.id.to_hex());
        crate::print_json(&v);
    } else if !ctx.global.quiet {
        println!(
            "compared {} files ({} hashed) with snapshot {}: {} damaged, {} modified, {} missing, {} new, {} unreadable",
            summary.files_compared,
            bytes(summary.bytes_hashed),
            chosen.id.short(),
            summary.damaged,
            summary.modified,
            summary.missing,
            summary.new,
            summary.unreadable
        );
    }
    Ok(if summary.damaged > 0 {
        EXIT_SOURCE_DAMAGED
    } else {
        0
    })
}
