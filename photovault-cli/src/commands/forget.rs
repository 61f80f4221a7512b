//! `pvault forget`: prints the plan (what is kept and why, what is removed, which files
//! would be lost), then, unless `--dry-run`, carries it out.

use photovault_core::forget::{
    Count, ForgetOptions, ForgetPlan, GroupBy, Period, Policy, Reason, Within,
};
use photovault_core::{Error, SnapshotEntry, SnapshotId};
use serde_json::{json, Value};

use crate::cli::ForgetArgs;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: ForgetArgs) -> Result<u8, CliError> {
    let options = options(&args)?;
    let prune_options = if args.prune {
        Some(super::prune::options(
            &args.max_unused,
            args.max_repack_size.as_deref(),
        )?)
    } else {
        None
    };
    let repo = ctx.open_indexed()?;
    let plan = repo.plan_forget(&options)?;
    if ctx.global.json {
        let mut document = plan_json(&plan);
        document["dry_run"] = json!(args.dry_run);
        let removed = if args.dry_run {
            Ok(Vec::new())
        } else {
            repo.forget(&plan, args.allow_last_copy_loss)
        };
        let ids: Vec<String> = removed.iter().flatten().map(SnapshotId::to_hex).collect();
        document["removed"] = json!(ids);
        crate::print_json(&document);
        removed?;
        return match &prune_options {
            Some(prune) if !args.dry_run => super::prune::prune(ctx, &repo, prune, false),
            _ => Ok(0),
        };
    }
    if !ctx.global.quiet {
        print_plan(&plan);
    }
    if !plan.last_copies.is_empty() {
        print_last_copies(&plan);
    }
    if args.dry_run {
        println!(
            "would remove {} snapshot(s) (dry run)",
            plan.removed().count()
        );
        if prune_options.is_some() {
            println!("and then prune (run `pvault prune --dry-run` after forgetting to see what)");
        }
        return Ok(0);
    }
    let removed = repo.forget(&plan, args.allow_last_copy_loss)?;
    if !ctx.global.quiet {
        for id in &removed {
            println!("removed snapshot {}", id.short());
        }
        if prune_options.is_none() {
            println!(
                "{} snapshot(s) removed; their data stays until prune",
                removed.len()
            );
        } else {
            println!("{} snapshot(s) removed; pruning", removed.len());
        }
    }
    match &prune_options {
        Some(prune) => super::prune::prune(ctx, &repo, prune, false),
        None => Ok(0),
    }
}

/// The core's options for these flags; a bad count, duration or grouping is a usage error
/// naming the flag.
fn options(args: &ForgetArgs) -> Result<ForgetOptions, CliError> {
    let usage = |flag: &str, e: Error| CliError::usage(format!("{flag}: {e}"));
    let mut policy = Policy::default();
    let counts = [
        ("--keep-last", Period::Last, &args.keep_last),
        ("--keep-hourly", Period::Hourly, &args.keep_hourly),
        ("--keep-daily", Period::Daily, &args.keep_daily),
        ("--keep-weekly", Period::Weekly, &args.keep_weekly),
        ("--keep-monthly", Period::Monthly, &args.keep_monthly),
        ("--keep-yearly", Period::Yearly, &args.keep_yearly),
    ];
    for (flag, period, value) in counts {
        if let Some(value) = value {
            let count: Count = value.parse().map_err(|e| usage(flag, e))?;
            policy = policy.keep(period, count);
        }
    }
    let withins = [
        ("--keep-within", Period::Last, &args.keep_within),
        (
            "--keep-within-hourly",
            Period::Hourly,
            &args.keep_within_hourly,
        ),
        (
            "--keep-within-daily",
            Period::Daily,
            &args.keep_within_daily,
        ),
        (
            "--keep-within-weekly",
            Period::Weekly,
            &args.keep_within_weekly,
        ),
        (
            "--keep-within-monthly",
            Period::Monthly,
            &args.keep_within_monthly,
        ),
        (
            "--keep-within-yearly",
            Period::Yearly,
            &args.keep_within_yearly,
        ),
    ];
    for (flag, period, value) in withins {
        if let Some(value) = value {
            let within: Within = value.parse().map_err(|e| usage(flag, e))?;
            policy = policy.keep_within(period, within);
        }
    }
    for group in &args.keep_tags {
        policy = policy.keep_tag(group);
    }
    let group_by: GroupBy = args.group_by.parse().map_err(|e| usage("--group-by", e))?;
    if !args.snapshots.is_empty() && !policy.is_empty() {
        return Err(CliError::usage(
            "snapshot ids and --keep-* rules cannot be combined: name the snapshots to remove, or give the rules to keep by".into(),
        ));
    }
    if args.snapshots.is_empty() && policy.is_empty() && !args.unsafe_allow_remove_all {
        return Err(CliError::usage(
            "nothing to do: name the snapshots to remove, or give at least one --keep-* rule (--unsafe-allow-remove-all removes every snapshot the filters select)".into(),
        ));
    }
    let mut options = ForgetOptions::default()
        .policy(policy)
        .filter(args.filter.filter())
        .group_by(group_by)
        .allow_remove_all(args.unsafe_allow_remove_all);
    options.snapshots = args.snapshots.clone();
    Ok(options)
}

fn time(entry: &SnapshotEntry) -> String {
    entry
        .snapshot
        .time
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

fn reasons(reasons: &[Reason]) -> Vec<String> {
    reasons.iter().map(Reason::to_string).collect()
}

fn print_plan(plan: &ForgetPlan) {
    for group in &plan.groups {
        println!("{}:", safe(&group.key.to_string()));
        let kept: Vec<_> = group.kept().collect();
        let removed: Vec<_> = group.removed().collect();
        if !kept.is_empty() {
            println!("  keep {} snapshot(s):", kept.len());
            for decision in kept {
                println!(
                    "    {}  {}  {}",
                    decision.entry.id.short(),
                    time(&decision.entry),
                    safe(&reasons(&decision.reasons).join(", "))
                );
            }
        }
        if !removed.is_empty() {
            println!("  remove {} snapshot(s):", removed.len());
            for entry in removed {
                println!("    {}  {}", entry.id.short(), time(entry));
            }
        }
    }
}

fn print_last_copies(plan: &ForgetPlan) {
    println!(
        "{} file(s) are held only by snapshots to remove (the last copy is in the snapshot named):",
        plan.last_copies.len()
    );
    for copy in &plan.last_copies {
        println!(
            "  {}  {}  {}",
            copy.snapshot.short(),
            crate::progress::bytes(copy.size),
            safe(&copy.path.to_string_lossy())
        );
    }
}

fn plan_json(plan: &ForgetPlan) -> Value {
    let snapshot = |entry: &SnapshotEntry| {
        json!({
            "id": entry.id.to_hex(),
            "short_id": entry.id.short(),
            "time": entry.snapshot.time.to_rfc3339(),
            "hostname": entry.snapshot.hostname,
            "paths": entry.snapshot.paths,
            "tags": entry.snapshot.tags,
        })
    };
    let groups: Vec<Value> = plan
        .groups
        .iter()
        .map(|group| {
            let keep: Vec<Value> = group
                .kept()
                .map(|d| {
                    let mut v = snapshot(&d.entry);
                    v["reasons"] = json!(reasons(&d.reasons));
                    v
                })
                .collect();
            let remove: Vec<Value> = group.removed().map(snapshot).collect();
            json!({ "group_key": group.key, "keep": keep, "remove": remove })
        })
        .collect();
    let last_copies: Vec<Value> = plan
        .last_copies
        .iter()
        .map(|c| {
            json!({
                "path": c.path.to_string_lossy(),
                "size": c.size,
                "snapshot": c.snapshot.to_hex(),
            })
        })
        .collect();
    json!({ "groups": groups, "last_copies": last_copies })
}
