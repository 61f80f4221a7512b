//! `pvault -P PROFILE run`: the routine (see `photovault_core::routine::run`), its summary
//! table, and the alerts the profile asks for.

use photovault_core::routine::profile::AlertEvent;
use photovault_core::routine::run::{
    self as routine_run, RunOptions, RunProgress, RunReport, Severity,
};
use photovault_core::routine::state::StateDir;
use photovault_core::routine::{alert, status, Profile};
use serde_json::{json, Value};

use crate::cli::RunArgs;
use crate::progress::bytes;
use crate::terminal::safe;
use crate::{CliError, Context};

/// Exit code of a run in which some repository failed (the others did their part).
pub const EXIT_RUN_FAILED: u8 = 16;

pub fn run(ctx: &Context, args: RunArgs) -> Result<u8, CliError> {
    let profile = ctx.profile_named(None)?;
    let state = StateDir::for_profile(&profile.name);
    let mut options = RunOptions::default();
    options.backend_options = ctx.backend_options()?;
    options.open = ctx.open_options();
    options.threads = args.threads;
    let alerts = !args.no_alerts;
    let report = routine_run::run(
        &profile,
        &state,
        &options,
        &Steps {
            ctx,
            profile: &profile,
            alerts,
        },
    )
    .map_err(|e| CliError {
        code: match e {
            routine_run::RunError::AlreadyRunning { .. } => 11,
            _ => 1,
        },
        message: e.to_string(),
    })?;
    let code = exit_code(&report);
    let summary = summary_json(&report, code);
    if ctx.global.json {
        crate::print_json(&summary);
    } else if !ctx.global.quiet || code != 0 {
        print_table(&report);
    }
    if alerts {
        let (event, text) = match report.result() {
            "ok" => (AlertEvent::Success, "run succeeded".to_string()),
            "warning" => (AlertEvent::Warning, problems_text(&report)),
            _ => (AlertEvent::Failure, problems_text(&report)),
        };
        report_alert(ctx, alert::send(&profile, event, &summary, &text));
        if event == AlertEvent::Failure {
            if let Some((_, sent)) = alert::overdue(&profile, &state) {
                report_alert(ctx, sent);
            }
        }
        rule_alert(ctx, &profile, &state, options);
    }
    Ok(code)
}

/// After a run, when the profile wants to hear that the rule broke: look.
fn rule_alert(ctx: &Context, profile: &Profile, state: &StateDir, options: RunOptions) {
    let a = &profile.alerts;
    if !a.on.contains(&AlertEvent::RuleBroken) || (a.command.is_none() && a.url.is_none()) {
        return;
    }
    let mut status_options = status::StatusOptions::default();
    status_options.backend_options = options.backend_options;
    status_options.open = options.open;
    let report = status::status(profile, state, &status_options);
    let summary = serde_json::to_value(&report).expect("serializes");
    if let Some(sent) = alert::rule_checked(profile, state, report.holds, &summary, &report.verdict)
    {
        report_alert(ctx, sent);
    }
}

/// Prints what alerting did (failures always, on stderr).
pub fn report_alert(ctx: &Context, sent: alert::Sent) {
    for m in sent.failed {
        eprintln!("warning: {}", safe(&m));
    }
    if ctx.verbose() {
        for m in sent.done {
            eprintln!("{}", safe(&m));
        }
    }
}

fn exit_code(report: &RunReport) -> u8 {
    match report.result() {
        "ok" => 0,
        "warning" => 3,
        _ => EXIT_RUN_FAILED,
    }
}

fn problems_text(report: &RunReport) -> String {
    let mut lines = Vec::new();
    for r in &report.repositories {
        for p in &r.problems {
            let kind = match p.severity {
                Severity::Failure => "FAILED",
                Severity::Warning => "warning",
            };
            lines.push(format!(
                "{} {kind} ({}): {}",
                r.repository, p.stage, p.message
            ));
        }
    }
    lines.join("\n")
}

fn summary_json(report: &RunReport, code: u8) -> Value {
    let mut v = serde_json::to_value(report).expect("serializes");
    v["message_type"] = json!("summary");
    v["result"] = json!(report.result());
    v["failed"] = json!(report.failed());
    v["exit_code"] = json!(code);
    v
}

fn print_table(report: &RunReport) {
    println!(
        "{:<12} {:<10} {:>6} {:>10} {:>7} {:>10} {:<18} {:>7}  problems",
        "repository", "snapshot", "copied", "added", "removed", "reclaimed", "verified", "time"
    );
    for r in &report.repositories {
        let verified = match &r.verified {
            None => "-".to_string(),
            Some(v) if v.full => format!("all ({} packs)", v.packs_read),
            Some(v) => {
                let share = if v.packs == 0 {
                    1.0
                } else {
                    v.packs_read as f64 / v.packs as f64
                };
                match v.slice {
                    Some((n, m)) => format!("{n}/{m} ({:.0}%)", share * 100.0),
                    None => format!("{:.0}%", share * 100.0),
                }
            }
        };
        let problems = if r.problems.is_empty() {
            "-".to_string()
        } else if r.failed() {
            "FAILED".to_string()
        } else {
            format!("{} warning(s)", r.problems.len())
        };
        println!(
            "{:<12} {:<10} {:>6} {:>10} {:>7} {:>10} {:<18} {:>6.1}s  {}",
            safe(&r.repository),
            r.snapshot.as_deref().map(|s| &s[..8]).unwrap_or("-"),
            r.snapshots_copied,
            bytes(r.bytes_added),
            r.snapshots_removed,
            if r.pruned {
                bytes(r.bytes_reclaimed)
            } else {
                "-".into()
            },
            verified,
            r.duration_seconds,
            problems
        );
    }
    for r in &report.repositories {
        for p in &r.problems {
            let kind = match p.severity {
                Severity::Failure => "error",
                Severity::Warning => "warning",
            };
            eprintln!(
                "{kind}: repository '{}' ({}): {}",
                safe(&r.repository),
                p.stage,
                safe(&p.message)
            );
        }
    }
    match report.result() {
        "ok" => println!(
            "profile {}: every repository is done",
            safe(&report.profile)
        ),
        "warning" => println!(
            "profile {}: done, with warnings (above)",
            safe(&report.profile)
        ),
        _ => println!(
            "profile {}: FAILED for {} (the others are done)",
            safe(&report.profile),
            report.failed().join(", ")
        ),
    }
}

struct Steps<'a> {
    ctx: &'a Context,
    profile: &'a Profile,
    alerts: bool,
}

impl RunProgress for Steps<'_> {
    /// healthchecks' `/start`, once the run holds the lock (a run refused because another
    /// is running pings nothing).
    fn started(&self) {
        if self.alerts {
            let sent = alert::send(self.profile, AlertEvent::Start, &json!({}), "run started");
            report_alert(self.ctx, sent);
        }
    }

    fn step(&self, repository: &str, step: &str) {
        if self.ctx.verbose() {
            eprintln!("{}: {step}", safe(repository));
        }
    }
}
