//! `pvault tag --add T | --remove T | --set T [SNAPSHOT...]`

use photovault_core::TagChange;
use serde_json::json;

use crate::cli::TagArgs;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: TagArgs) -> Result<u8, CliError> {
    let adds_or_removes = !args.add.is_empty() || !args.remove.is_empty();
    if !args.set.is_empty() && adds_or_removes {
        return Err(CliError::usage(
            "--set replaces every tag; it cannot be combined with --add or --remove".into(),
        ));
    }
    if args.set.is_empty() && !adds_or_removes {
        return Err(CliError::usage(
            "nothing to do: give --add, --remove or --set".into(),
        ));
    }
    let mut change = TagChange::default();
    for tags in &args.set {
        change = change.set_tags(tags);
    }
    for tags in &args.add {
        change = change.add_tags(tags);
    }
    for tags in &args.remove {
        change = change.remove_tags(tags);
    }
    let repo = ctx.open()?;
    let snapshots = repo.select_snapshots(&args.snapshots, &args.filter.filter())?;
    let changed = repo.tag(&snapshots, &change)?;
    if ctx.global.json {
        let list: Vec<_> = changed
            .iter()
            .map(|r| json!({"old": r.old.to_hex(), "new": r.new.to_hex(), "tags": r.tags}))
            .collect();
        crate::print_json(&json!({
            "message_type": "summary",
            "changed": changed.len(),
            "unchanged": snapshots.len() - changed.len(),
            "snapshots": list,
        }));
        return Ok(0);
    }
    if ctx.verbose() {
        for r in &changed {
            println!(
                "snapshot {} is now {} (tags: {})",
                r.old.short(),
                r.new.short(),
                safe(&r.tags.join(","))
            );
        }
    }
    println!("{} snapshot(s) changed", changed.len());
    Ok(0)
}
