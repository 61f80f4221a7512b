//! `pvault -P PROFILE status`: the 3-2-1 verdict (see `photovault_core::routine::status`).

use chrono::{DateTime, Utc};
use photovault_core::routine::alert;
use photovault_core::routine::state::StateDir;
use photovault_core::routine::status::{self, thousands, StatusOptions};
use serde_json::json;

use crate::cli::StatusArgs;
use crate::progress::bytes;
use crate::terminal::safe;
use crate::{CliError, Context};

/// Exit code when the 3-2-1 rule does not hold (or cannot be shown to).
pub const EXIT_RULE_BROKEN: u8 = 17;

pub fn run(ctx: &Context, args: StatusArgs) -> Result<u8, CliError> {
    let profile = ctx.profile_named(None)?;
    let state = StateDir::for_profile(&profile.name);
    let mut options = StatusOptions::default();
    options.backend_options = ctx.backend_options()?;
    options.open = ctx.open_options();
    let report = status::status(&profile, &state, &options);
    let mut summary = serde_json::to_value(&report).expect("serializes");
    summary["message_type"] = json!("status");
    if ctx.global.json {
        crate::print_json(&summary);
    } else {
        print(&report, args.limit, profile.rule.copies);
    }
    if !args.no_alerts {
        if let Some(sent) =
            alert::rule_checked(&profile, &state, report.holds, &summary, &report.verdict)
        {
            super::run::report_alert(ctx, sent);
        }
        if let Some((message, sent)) = alert::overdue(&profile, &state) {
            if !ctx.global.json {
                println!("warning: {}", safe(&message));
            }
            super::run::report_alert(ctx, sent);
        }
    }
    Ok(if report.holds { 0 } else { EXIT_RULE_BROKEN })
}

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| {
        t.with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    })
    .unwrap_or_else(|| "never".into())
}

fn print(report: &status::StatusReport, limit: usize, copies: u32) {
    match &report.source_snapshot {
        Some(s) => println!(
            "profile {}: {} files in snapshot {} of '{}' ({})",
            safe(&report.profile),
            thousands(report.files),
            &s.id[..8],
            safe(&s.repository),
            s.time.format("%Y-%m-%d %H:%M")
        ),
        None => println!("profile {}: no snapshot yet", safe(&report.profile)),
    }
    println!(
        "{:<12} {:<8} {:<8} {:>9} {:<17} {:<17} {:<17} {:<17} {:>9} {:>10}",
        "repository",
        "medium",
        "off-site",
        "snapshots",
        "newest",
        "last backup",
        "last copy",
        "full verify",
        "verified",
        "files held"
    );
    for r in &report.repositories {
        if let Some(e) = &r.error {
            println!(
                "{:<12} {:<8} {:<8} UNREADABLE: {}",
                safe(&r.repository),
                safe(&r.medium),
                if r.offsite { "yes" } else { "no" },
                safe(&e.message)
            );
            continue;
        }
        println!(
            "{:<12} {:<8} {:<8} {:>9} {:<17} {:<17} {:<17} {:<17} {:>8.0}% {:>10}",
            safe(&r.repository),
            safe(&r.medium),
            match (r.offsite, r.fresh) {
                (false, _) => "no",
                (true, true) => "yes",
                (true, false) => "yes,stale",
            },
            r.snapshots,
            when(r.newest_snapshot.map(|t| t.with_timezone(&Utc))),
            when(r.last_backup),
            when(r.last_copy),
            when(r.last_full_verification),
            r.verified_share * 100.0,
            thousands(r.files_held)
        );
    }
    if !report.copies.is_empty() {
        let parts: Vec<String> = report
            .copies
            .iter()
            .rev()
            .map(|(c, n)| format!("{} with {c}", thousands(*n)))
            .collect();
        println!("copies (the original included): {}", parts.join(", "));
    }
    println!("{}", safe(&report.verdict));
    let short: Vec<_> = report
        .files_at_risk
        .iter()
        .filter(|f| report.source_snapshot.is_some() && f.copies < copies)
        .collect();
    if !short.is_empty() {
        println!("files with fewer than {copies} copies:");
        for f in short.iter().take(limit) {
            let mut where_: Vec<String> = f.repositories.clone();
            if f.original {
                where_.insert(0, "original".into());
            }
            println!(
                "  {}  {:>9}  {}  ({})",
                f.copies,
                bytes(f.size),
                safe(&f.path),
                safe(&where_.join(", "))
            );
        }
        if short.len() > limit {
            println!(
                "  and {} more (--json lists them all)",
                thousands((short.len() - limit) as u64)
            );
        }
    }
}
