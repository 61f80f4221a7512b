//! `pvault profile check [PROFILE]`: the profile parses and validates, and every repository
//! opens with its password (read-only: no lock, nothing written).

use photovault_core::routine::check_access;
use serde_json::json;

use crate::cli::ProfileCommand;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, cmd: ProfileCommand) -> Result<u8, CliError> {
    let ProfileCommand::Check { profile } = cmd;
    let profile = ctx.profile_named(profile.as_deref())?;
    let extra = ctx.backend_options()?;
    let open = ctx.open_options();
    let accesses: Vec<_> = profile
        .repositories
        .iter()
        .map(|r| check_access(r, &extra, &open))
        .collect();
    let code = accesses
        .iter()
        .find_map(|a| {
            a.failure
                .as_ref()
                .map(|f| u8::try_from(f.code).unwrap_or(1))
        })
        .unwrap_or(0);
    if ctx.global.json {
        crate::print_json(&json!({
            "message_type": "profile_check",
            "profile": profile.name,
            "file": profile.file,
            "valid": true,
            "repositories": accesses,
        }));
        return Ok(code);
    }
    println!(
        "profile {} ({}): valid; {} source path(s), {} repositories",
        safe(&profile.name),
        safe(&profile.file.display().to_string()),
        profile.source.paths.len(),
        profile.repositories.len()
    );
    for (r, a) in profile.repositories.iter().zip(&accesses) {
        let role = if r.primary { "primary" } else { "" };
        match (&a.snapshots, &a.failure) {
            (Some(n), _) => println!(
                "  {:<12} {:<8} ok, {n} snapshot(s)  {}",
                safe(&r.name),
                role,
                safe(&r.location)
            ),
            (None, Some(f)) => {
                println!("  {:<12} {:<8} FAILED", safe(&r.name), role);
                eprintln!("pvault: {}", safe(&f.to_string()));
            }
            (None, None) => unreachable!("an access either opens or fails"),
        }
    }
    Ok(code)
}
