//! `pvault snapshots`

use serde_json::Value;

use crate::cli::SnapshotsArgs;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: SnapshotsArgs) -> Result<u8, CliError> {
    let repo = ctx.open()?;
    let (all, errors) = repo.snapshots_and_errors()?;
    for (name, error) in &errors {
        eprintln!(
            "warning: snapshot {name} cannot be read: {}",
            safe(&error.to_string())
        );
    }
    let snapshots = repo.select_from(all, &args.snapshots, &args.filter.filter())?;
    if ctx.global.json {
        let list: Vec<Value> = snapshots
            .iter()
            .map(|s| super::snapshot_json(&s.id, &s.snapshot))
            .collect();
        println!("{}", Value::Array(list));
        return Ok(0);
    }
    println!(
        "{:<10} {:<20} {:<16} {:<16} {:>10}  Paths",
        "ID", "Time", "Host", "Tags", "Size"
    );
    println!("{}", "-".repeat(90));
    for s in &snapshots {
        let size = s
            .snapshot
            .summary
            .as_ref()
            .map(|x| crate::progress::bytes(x.total_bytes))
            .unwrap_or_default();
        println!(
            "{:<10} {:<20} {:<16} {:<16} {:>10}  {}",
            s.id.short(),
            s.snapshot.time.format("%Y-%m-%d %H:%M:%S"),
            safe(&s.snapshot.hostname),
            safe(&s.snapshot.tags.join(",")),
            size,
            safe(&s.snapshot.paths.join(", "))
        );
    }
    println!("{}", "-".repeat(90));
    println!("{} snapshots", snapshots.len());
    Ok(0)
}
