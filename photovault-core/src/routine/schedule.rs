//! Running the routine on its own: a systemd user service and timer (or, where there is no
//! systemd, a crontab line) that run `pvault -P PROFILE run`. Overlapping runs cannot
//! happen: systemd does not start a service that is still running, and `run` itself holds
//! the profile's run lock (see [`super::state::StateDir::lock_run`]), which also covers cron
//! and a run started by hand.
//!
//! This module only writes the text; `pvault schedule` puts it in place and asks systemctl
//! or crontab to use it.

use std::path::Path;
use std::str::FromStr;

/// How often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Every {
    /// Once a day (systemd's `daily`, cron's `m h * * *`).
    Daily,
    /// Once an hour.
    Hourly,
    /// A five-field cron expression: minute hour day-of-month month day-of-week.
    Cron(String),
}

impl FromStr for Every {
    type Err = String;

    fn from_str(text: &str) -> Result<Every, String> {
        match text.trim() {
            "daily" => Ok(Every::Daily),
            "hourly" => Ok(Every::Hourly),
            cron => {
                let every = Every::Cron(cron.to_string());
                every.on_calendar()?;
                Ok(every)
            }
        }
    }
}

impl Every {
    /// systemd's `OnCalendar=` for it.
    pub fn on_calendar(&self) -> Result<String, String> {
        match self {
            Every::Daily => Ok("daily".into()),
            Every::Hourly => Ok("hourly".into()),
            Every::Cron(cron) => cron_to_calendar(cron),
        }
    }

    /// The five cron fields for it (`daily` at 03:17, `hourly` at minute 17: away from the
    /// full hour that everyone else's jobs start at).
    pub fn cron_fields(&self) -> String {
        match self {
            Every::Daily => "17 3 * * *".into(),
            Every::Hourly => "17 * * * *".into(),
            Every::Cron(cron) => cron.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }
}

/// A cron expression as an `OnCalendar=` value: numbers, `*`, lists `a,b`, ranges `a-b`
/// and steps `*/n` or `a-b/n`; days of the week as numbers (0 or 7 Sunday) or names.
fn cron_to_calendar(cron: &str) -> Result<String, String> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let bad = |why: &str| {
        format!("'{cron}' is not a schedule: {why}; use daily, hourly or five cron fields like \"30 2 * * *\"")
    };
    if fields.len() != 5 {
        return Err(bad("a cron expression has five fields"));
    }
    let limits = [(0, 59), (0, 23), (1, 31), (1, 12)];
    let mut out = Vec::new();
    for (field, (lo, hi)) in fields[..4].iter().zip(limits) {
        out.push(
            cron_field(field, lo, hi)
                .ok_or_else(|| bad(&format!("'{field}' is out of range {lo}-{hi} or malformed")))?,
        );
    }
    let dow = fields[4];
    let days = if dow == "*" {
        String::new()
    } else {
        const NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
        let mut list = Vec::new();
        for part in dow.split(',') {
            let day = |s: &str| -> Option<&str> {
                if let Ok(n) = s.parse::<usize>() {
                    return NAMES.get(n % 7).copied().filter(|_| n <= 7);
                }
                NAMES.iter().find(|n| n.eq_ignore_ascii_case(s)).copied()
            };
            match part.split_once('-') {
                Some((a, b)) => list.push(format!(
                    "{}..{}",
                    day(a).ok_or_else(|| bad("bad day of the week"))?,
                    day(b).ok_or_else(|| bad("bad day of the week"))?
                )),
                None => list.push(
                    day(part)
                        .ok_or_else(|| bad("bad day of the week"))?
                        .to_string(),
                ),
            }
        }
        format!("{} ", list.join(","))
    };
    Ok(format!(
        "{days}*-{}-{} {}:{}:00",
        out[3], out[2], out[1], out[0]
    ))
}

fn cron_field(field: &str, lo: u32, hi: u32) -> Option<String> {
    let num = |s: &str| s.parse::<u32>().ok().filter(|n| (lo..=hi).contains(n));
    let mut parts = Vec::new();
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s.parse::<u32>().ok().filter(|s| *s > 0)?)),
            None => (part, None),
        };
        let text = match (range, step) {
            ("*", None) => "*".to_string(),
            ("*", Some(s)) => format!("{lo:02}/{s}"),
            (r, s) => {
                let base = match r.split_once('-') {
                    Some((a, b)) => format!("{:02}..{:02}", num(a)?, num(b)?),
                    None => format!("{:02}", num(r)?),
                };
                match s {
                    Some(s) => format!("{base}/{s}"),
                    None => base,
                }
            }
        };
        parts.push(text);
    }
    Some(parts.join(","))
}

/// The unit files of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Units {
    /// `pvault-PROFILE` (the files are `NAME.service` and `NAME.timer`).
    pub name: String,
    /// The service unit.
    pub service: String,
    /// The timer unit.
    pub timer: String,
}

/// systemd's quoting of one word of `ExecStart=`.
fn quote(word: &str) -> String {
    if word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@".contains(c))
    {
        word.to_string()
    } else {
        format!(
            "\"{}\"",
            word.replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('%', "%%")
        )
    }
}

/// The service and timer running `pvault -P PROFILE_FILE run` for `profile`.
pub fn systemd_units(
    profile: &str,
    profile_file: &Path,
    pvault: &Path,
    every: &Every,
) -> Result<Units, String> {
    let calendar = every.on_calendar()?;
    let exec = [
        pvault.display().to_string(),
        "--profile".into(),
        profile_file.display().to_string(),
        "run".into(),
    ]
    .iter()
    .map(|w| quote(w))
    .collect::<Vec<_>>()
    .join(" ");
    let service = format!(
        "# Written by `pvault schedule install`; `pvault schedule remove {profile}` removes it.\n\
[Unit]\n\
Description=photovault 3-2-1 routine for profile {profile}\n\
Wants=network-online.target\n\
After=network-online.target\n\
\n\
[Service]\n\
Type=oneshot\n\
ExecStart={exec}\n\
Nice=10\n\
IOSchedulingClass=idle\n"
    );
    let timer = format!(
        "# Written by `pvault schedule install`; `pvault schedule remove {profile}` removes it.\n\
[Unit]\n\
Description=photovault 3-2-1 routine for profile {profile} ({calendar})\n\
\n\
[Timer]\n\
OnCalendar={calendar}\n\
Persistent=true\n\
RandomizedDelaySec=5min\n\
\n\
[Install]\n\
WantedBy=timers.target\n"
    );
    Ok(Units {
        name: unit_name(profile),
        service,
        timer,
    })
}

/// `pvault-PROFILE`, with characters systemd does not like in names replaced.
pub fn unit_name(profile: &str) -> String {
    let clean: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("pvault-{clean}")
}

/// The marker ending the crontab line of `profile`, so that it can be found again.
pub fn cron_marker(profile: &str) -> String {
    format!("# pvault schedule {}", unit_name(profile))
}

/// The crontab line for `profile`.
pub fn cron_line(profile: &str, profile_file: &Path, pvault: &Path, every: &Every) -> String {
    let sh = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    format!(
        "{} {} --profile {} --quiet run {}",
        every.cron_fields(),
        sh(&pvault.display().to_string()),
        sh(&profile_file.display().to_string()),
        cron_marker(profile)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions_become_calendar_events() {
        let cal = |c: &str| c.parse::<Every>().unwrap().on_calendar().unwrap();
        assert_eq!(cal("30 2 * * *"), "*-*-* 02:30:00");
        assert_eq!(cal("*/15 * * * *"), "*-*-* *:00/15:00");
        assert_eq!(cal("0 9-17 * * 1-5"), "Mon..Fri *-*-* 09..17:00:00");
        assert_eq!(cal("0 3 1 */2 0"), "Sun *-01/2-01 03:00:00");
        for bad in ["", "61 * * * *", "* * * *", "a b c d e", "0 0 * * 9"] {
            assert!(bad.parse::<Every>().is_err(), "{bad}");
        }
    }
}
