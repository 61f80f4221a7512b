//! `pvault diff SNAPSHOT1 SNAPSHOT2 [PATH]`

use photovault_core::{Change, ChangeKind, NodeKind};
use serde_json::json;

use crate::cli::DiffArgs;
use crate::progress::bytes;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: DiffArgs) -> Result<u8, CliError> {
    let repo = ctx.open_indexed()?;
    let from = repo.find_snapshot(&args.snapshot1)?;
    let to = repo.find_snapshot(&args.snapshot2)?;
    let path = args.path.as_deref().unwrap_or("/");
    if ctx.verbose() {
        println!(
            "comparing snapshot {} to {}:",
            from.id.short(),
            to.id.short()
        );
    }
    let summary = repo.diff(&from.snapshot, &to.snapshot, path, &mut |change| {
        if ctx.global.json {
            crate::print_json(&change_json(change));
        } else if !ctx.global.quiet {
            println!("{}", change_line(change));
        }
    })?;
    if ctx.global.json {
        let mut stats = serde_json::to_value(summary).expect("summary serializes");
        stats["message_type"] = json!("statistics");
        stats["source_snapshot"] = json!(from.id.to_hex());
        stats["target_snapshot"] = json!(to.id.to_hex());
        crate::print_json(&stats);
    } else {
        let count = |c: photovault_core::EntryCounts| c.files + c.dirs + c.symlinks;
        println!(
            "{} added, {} removed, {} modified, {} metadata only; {} added, {} removed",
            count(summary.added),
            count(summary.removed),
            summary.modified,
            summary.metadata_changed,
            bytes(summary.bytes_added),
            bytes(summary.bytes_removed)
        );
    }
    Ok(0)
}

/// restic's markers: `+` added, `-` removed, `M` content modified, `U` metadata updated.
fn marker(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "+",
        ChangeKind::Removed => "-",
        ChangeKind::Modified => "M",
        ChangeKind::Metadata => "U",
    }
}

fn change_line(change: &Change) -> String {
    let node = change.new.as_ref().or(change.old.as_ref()).expect("a side");
    let mut path = change.path.display().to_string();
    if node.kind == NodeKind::Dir {
        path.push('/');
    }
    let size = |n: &Option<photovault_core::Node>| n.as_ref().map_or(0, |n| n.size);
    let detail = match change.kind {
        _ if node.kind == NodeKind::Dir && change.kind != ChangeKind::Metadata => String::new(),
        ChangeKind::Added => bytes(size(&change.new)),
        ChangeKind::Removed => bytes(size(&change.old)),
        ChangeKind::Modified => format!(
            "{} -> {}",
            bytes(size(&change.old)),
            bytes(size(&change.new))
        ),
        ChangeKind::Metadata => change.metadata.join(", "),
    };
    if detail.is_empty() {
        format!("{}  {}", marker(change.kind), safe(&path))
    } else {
        format!("{}  {}  ({detail})", marker(change.kind), safe(&path))
    }
}

fn change_json(change: &Change) -> serde_json::Value {
    let node = change.new.as_ref().or(change.old.as_ref()).expect("a side");
    json!({
        "message_type": "change",
        "path": change.path.display().to_string(),
        "modifier": marker(change.kind),
        "change": change.kind,
        "type": super::kind_name(node.kind),
        "old_size": change.old.as_ref().map(|n| n.size),
        "new_size": change.new.as_ref().map(|n| n.size),
        "metadata": change.metadata,
    })
}
