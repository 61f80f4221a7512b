//! `pvault find PATTERN...`, `find --blob ID...`, `find --tree ID...`

use chrono::{Local, NaiveDate, NaiveDateTime, TimeZone};
use photovault_core::{FindQuery, SnapshotId, Timestamp};
use serde_json::json;

use crate::cli::FindArgs;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: FindArgs) -> Result<u8, CliError> {
    let mut query = if args.blob {
        FindQuery::blobs(&args.patterns)?
    } else if args.tree {
        FindQuery::trees(&args.patterns)?
    } else {
        FindQuery::names(&args.patterns, args.ignore_case)?
    };
    if let Some(text) = &args.newest {
        query = query.newest(parse_time(text, "--newest")?);
    }
    if let Some(text) = &args.oldest {
        query = query.oldest(parse_time(text, "--oldest")?);
    }
    let repo = ctx.open_indexed()?;
    let snapshots = repo.select_snapshots(&args.snapshots, &args.filter.filter())?;
    let mut current: Option<SnapshotId> = None;
    let mut matches = 0u64;
    let mut in_snapshots = 0u64;
    repo.find(&snapshots, &query, &mut |found| {
        matches += 1;
        if current != Some(found.snapshot) {
            current = Some(found.snapshot);
            in_snapshots += 1;
            if !ctx.global.json {
                let time = snapshots
                    .iter()
                    .find(|s| s.id == found.snapshot)
                    .map(|s| s.snapshot.time.format("%Y-%m-%d %H:%M:%S").to_string())
                    .unwrap_or_default();
                println!("found in snapshot {} of {time}:", found.snapshot.short());
            }
        }
        let n = &found.node;
        let mtime = super::mtime(n.mtime);
        if ctx.global.json {
            crate::print_json(&json!({
                "message_type": "match",
                "snapshot": found.snapshot.to_hex(),
                "path": found.path.display().to_string(),
                "type": super::kind_name(n.kind),
                "size": n.size,
                "mode": n.mode,
                "mtime": mtime.to_rfc3339(),
                "blob": found.blob.map(|b| b.to_hex()),
                "pack": found.pack.map(|p| p.to_hex()),
            }));
            return;
        }
        let mut line = format!(
            "  {:>7o} {:>12} {} {}",
            n.mode & 0o7777,
            n.size,
            mtime.format("%Y-%m-%d %H:%M:%S"),
            safe(&found.path.display().to_string())
        );
        if let Some(blob) = found.blob {
            let pack = found
                .pack
                .map_or("no pack (not in the index)".to_string(), |p| {
                    format!("pack {p}")
                });
            line.push_str(&format!(
                "  [{} {blob} in {pack}]",
                if args.tree { "tree" } else { "blob" }
            ));
        }
        println!("{line}");
    })?;
    if ctx.global.json {
        crate::print_json(&json!({
            "message_type": "summary",
            "matches": matches,
            "snapshots_with_matches": in_snapshots,
            "snapshots_searched": snapshots.len(),
        }));
    } else if ctx.verbose() {
        println!(
            "{matches} match(es) in {in_snapshots} of {} snapshot(s) searched",
            snapshots.len()
        );
    }
    Ok(0)
}

/// A time as restic's `--newest` and `--oldest` take it, in the local time zone unless it
/// carries an offset: `2024-05-01`, `2024-05-01 14:30`, `2024-05-01 14:30:15`, or RFC 3339.
pub fn parse_time(text: &str, flag: &str) -> Result<Timestamp, CliError> {
    let from_naive = |t: NaiveDateTime| Local.from_local_datetime(&t).earliest();
    let parsed = chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| Some((t.timestamp(), t.timestamp_subsec_nanos())))
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
                .or_else(|| {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                })
                .map(|t| from_naive(t).map(|t| (t.timestamp(), t.timestamp_subsec_nanos())))
        })
        .flatten();
    match parsed {
        Some((secs, nanos)) => Ok(Timestamp { secs, nanos }),
        None => Err(CliError::usage(format!(
            "{flag} '{text}' is not a time: use 2024-05-01, '2024-05-01 14:30[:00]' or RFC 3339"
        ))),
    }
}
