//! `pvault schedule install|remove|show [PROFILE]`: systemd user units (or a crontab line)
//! that run the profile's routine. The text comes from `photovault_core::routine::schedule`;
//! this puts it in place and asks systemctl or crontab to use it. `PVAULT_SYSTEMCTL` and
//! `PVAULT_CRONTAB` name other programs to call (tests use recorders).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use photovault_core::routine::schedule::{cron_line, cron_marker, systemd_units, unit_name, Every};
use photovault_core::routine::state::StateDir;
use photovault_core::routine::Profile;

use crate::cli::ScheduleCommand;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, cmd: ScheduleCommand) -> Result<u8, CliError> {
    match cmd {
        ScheduleCommand::Install {
            profile,
            every,
            cron,
            no_activate,
        } => {
            let profile = ctx.profile_named(profile.as_deref())?;
            let every: Every = every
                .parse()
                .map_err(|m| CliError::usage(format!("--every: {m}")))?;
            let file = std::path::absolute(&profile.file).unwrap_or(profile.file.clone());
            let exe = std::env::current_exe()
                .map_err(|e| CliError::usage(format!("cannot tell where pvault is: {e}")))?;
            if cron || !has_systemd() {
                install_cron(&profile, &file, &exe, &every)
            } else {
                install_systemd(&profile, &file, &exe, &every, no_activate)
            }
        }
        ScheduleCommand::Remove { profile } => {
            let profile = ctx.profile_named(profile.as_deref())?;
            remove(&profile)
        }
        ScheduleCommand::Show { profile } => {
            let profile = ctx.profile_named(profile.as_deref())?;
            show(&profile)
        }
    }
}

fn unit_dir() -> PathBuf {
    dirs_config().join("systemd/user")
}

fn dirs_config() -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from(".config"))
}

/// systemd is the init system (its runtime folder exists), or a test names a systemctl.
fn has_systemd() -> bool {
    std::env::var_os("PVAULT_SYSTEMCTL").is_some() || Path::new("/run/systemd/system").is_dir()
}

fn systemctl(args: &[&str]) -> Result<String, CliError> {
    let program = std::env::var("PVAULT_SYSTEMCTL").unwrap_or_else(|_| "systemctl".into());
    let out = Command::new(&program)
        .arg("--user")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| CliError::usage(format!("cannot run {program}: {e}")))?;
    if !out.status.success() {
        return Err(CliError::usage(format!(
            "`{program} --user {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn install_systemd(
    profile: &Profile,
    file: &Path,
    exe: &Path,
    every: &Every,
    no_activate: bool,
) -> Result<u8, CliError> {
    let units = systemd_units(&profile.name, file, exe, every).map_err(CliError::usage)?;
    let dir = unit_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| CliError::usage(format!("cannot create {}: {e}", dir.display())))?;
    for (ext, text) in [("service", &units.service), ("timer", &units.timer)] {
        let path = dir.join(format!("{}.{ext}", units.name));
        std::fs::write(&path, text)
            .map_err(|e| CliError::usage(format!("cannot write {}: {e}", path.display())))?;
        println!("wrote {}", safe(&path.display().to_string()));
    }
    if no_activate {
        println!("not activated; to start it: systemctl --user daemon-reload && systemctl --user enable --now {}.timer", units.name);
        return Ok(0);
    }
    systemctl(&["daemon-reload"])?;
    systemctl(&["enable", "--now", &format!("{}.timer", units.name)])?;
    println!(
        "timer {}.timer enabled: profile {} runs {} (to run while logged out: loginctl enable-linger)",
        units.name,
        safe(&profile.name),
        every.on_calendar().unwrap_or_default()
    );
    Ok(0)
}

fn crontab_program() -> String {
    std::env::var("PVAULT_CRONTAB").unwrap_or_else(|_| "crontab".into())
}

fn read_crontab() -> Result<String, CliError> {
    let program = crontab_program();
    let out = Command::new(&program)
        .arg("-l")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| CliError::usage(format!("cannot run {program}: {e}")))?;
    // `crontab -l` fails when the user has no crontab yet: that is an empty one.
    Ok(if out.status.success() {
        String::from_utf8_lossy(&out.stdout).into_owned()
    } else {
        String::new()
    })
}

fn write_crontab(text: &str) -> Result<(), CliError> {
    let program = crontab_program();
    let mut child = Command::new(&program)
        .arg("-")
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| CliError::usage(format!("cannot run {program}: {e}")))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(text.as_bytes())
        .map_err(|e| CliError::usage(format!("{program}: {e}")))?;
    let status = child
        .wait()
        .map_err(|e| CliError::usage(format!("{program}: {e}")))?;
    if !status.success() {
        return Err(CliError::usage(format!("`{program} -` failed ({status})")));
    }
    Ok(())
}

fn without_line(crontab: &str, profile: &str) -> String {
    let marker = cron_marker(profile);
    crontab
        .lines()
        .filter(|l| !l.trim_end().ends_with(&marker))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn install_cron(profile: &Profile, file: &Path, exe: &Path, every: &Every) -> Result<u8, CliError> {
    let line = cron_line(&profile.name, file, exe, every);
    let mut table = without_line(&read_crontab()?, &profile.name);
    table.push_str(&line);
    table.push('\n');
    write_crontab(&table)?;
    println!("crontab line installed:\n{}", safe(&line));
    Ok(0)
}

fn remove(profile: &Profile) -> Result<u8, CliError> {
    let name = unit_name(&profile.name);
    let dir = unit_dir();
    let timer = dir.join(format!("{name}.timer"));
    let mut removed = false;
    if timer.exists() {
        if has_systemd() {
            // Stopping a timer that is not loaded is not worth failing over.
            let _ = systemctl(&["disable", "--now", &format!("{name}.timer")]);
        }
        for ext in ["timer", "service"] {
            let path = dir.join(format!("{name}.{ext}"));
            if std::fs::remove_file(&path).is_ok() {
                println!("removed {}", safe(&path.display().to_string()));
            }
        }
        if has_systemd() {
            let _ = systemctl(&["daemon-reload"]);
        }
        removed = true;
    }
    let crontab = read_crontab().unwrap_or_default();
    let without = without_line(&crontab, &profile.name);
    if without != crontab && !crontab.is_empty() {
        write_crontab(&without)?;
        println!("removed the crontab line");
        removed = true;
    }
    if !removed {
        println!("no schedule installed for profile {}", safe(&profile.name));
    }
    Ok(0)
}

fn show(profile: &Profile) -> Result<u8, CliError> {
    let name = unit_name(&profile.name);
    let timer = unit_dir().join(format!("{name}.timer"));
    let mut any = false;
    if let Ok(text) = std::fs::read_to_string(&timer) {
        any = true;
        let calendar = text
            .lines()
            .find_map(|l| l.strip_prefix("OnCalendar="))
            .unwrap_or("?");
        println!(
            "systemd timer {} ({}): OnCalendar={calendar}",
            name,
            safe(&timer.display().to_string())
        );
        if has_systemd() {
            if let Ok(out) = systemctl(&[
                "show",
                &format!("{name}.timer"),
                "--property=ActiveState,LastTriggerUSec,NextElapseUSecRealtime",
            ]) {
                for l in out.lines() {
                    println!("  {}", safe(l));
                }
            }
        }
    }
    let marker = cron_marker(&profile.name);
    if let Some(line) = read_crontab()
        .unwrap_or_default()
        .lines()
        .find(|l| l.trim_end().ends_with(&marker))
    {
        any = true;
        println!("crontab: {}", safe(line));
    }
    if !any {
        println!(
            "no schedule installed for profile {} (`pvault schedule install {}`)",
            safe(&profile.name),
            safe(&profile.name)
        );
    }
    let state = StateDir::for_profile(&profile.name).load();
    match state.runs.last() {
        Some(run) => {
            println!(
                "last run: {} → {}: {}{}",
                run.started.format("%Y-%m-%d %H:%M:%S UTC"),
                run.finished.format("%H:%M:%S"),
                run.result,
                if run.failed.is_empty() {
                    String::new()
                } else {
                    format!(" ({} failed)", run.failed.join(", "))
                }
            );
            match state.last_success {
                Some(t) => println!("last successful run: {}", t.format("%Y-%m-%d %H:%M:%S UTC")),
                None => println!("no successful run yet"),
            }
        }
        None => println!("no run yet"),
    }
    Ok(0)
}
