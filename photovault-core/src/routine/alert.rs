//! Telling someone: a command that gets the summary as JSON on its standard input, and/or
//! a URL. A healthchecks.io-style URL hears every run (`/start` when it begins, the URL
//! itself on success, `/fail` on failure, on a warning the profile listens to, and when the
//! 3-2-1 rule is broken), so that the service also notices runs that stopped happening. An
//! ntfy-style URL gets one short text message, only for the events the profile lists.
//!
//! "No successful run for a while" ([`overdue`]) is noticed by the next `run` or `status`,
//! once per spell.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use serde_json::{json, Value};

use super::profile::{AlertEvent, Profile, UrlStyle};
use super::state::StateDir;

/// What sending an alert did: one line per action, and the failures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// What was done (`command exited 0`, `POST https://… 200`).
    pub done: Vec<String>,
    /// What failed.
    pub failed: Vec<String>,
}

/// Sends `event` of `profile`, with `summary` (the run's or the status's JSON), to
/// whatever the profile's `[alerts]` names.
pub fn send(profile: &Profile, event: AlertEvent, summary: &Value, text: &str) -> Sent {
    let alerts = &profile.alerts;
    let mut sent = Sent::default();
    let listened = alerts.on.contains(&event);
    let body = json!({
        "event": event.name(),
        "profile": profile.name,
        "message": text,
        "summary": summary,
    });
    if let (Some(command), true) = (&alerts.command, listened) {
        match run_command(command, profile, event, &body) {
            Ok(m) => sent.done.push(m),
            Err(m) => sent.failed.push(m),
        }
    }
    if let Some(url) = &alerts.url {
        let target = match alerts.style {
            UrlStyle::Healthchecks => match event {
                AlertEvent::Start => Some(format!("{}/start", url.trim_end_matches('/'))),
                AlertEvent::Success => Some(url.clone()),
                AlertEvent::Warning if !listened => Some(url.clone()),
                AlertEvent::Warning | AlertEvent::Failure | AlertEvent::RuleBroken => {
                    Some(format!("{}/fail", url.trim_end_matches('/')))
                }
                AlertEvent::Overdue => None,
            },
            UrlStyle::Message => listened.then(|| url.clone()),
        };
        if let Some(target) = target {
            let (payload, title) = match alerts.style {
                UrlStyle::Healthchecks => (body.to_string(), None),
                UrlStyle::Message => (
                    text.to_string(),
                    Some(format!("pvault {}: {}", profile.name, event.name())),
                ),
            };
            match post(&target, payload, title, event) {
                Ok(m) => sent.done.push(m),
                Err(m) => sent.failed.push(m),
            }
        }
    }
    sent
}

fn run_command(
    command: &str,
    profile: &Profile,
    event: AlertEvent,
    body: &Value,
) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("PVAULT_EVENT", event.name())
        .env("PVAULT_PROFILE", &profile.name)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("alert command `{command}` could not start: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is fine.
        let _ = stdin.write_all(body.to_string().as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let status = child
        .wait()
        .map_err(|e| format!("alert command `{command}`: {e}"))?;
    if status.success() {
        Ok(format!("alert command ran ({})", event.name()))
    } else {
        Err(format!("alert command `{command}` failed ({status})"))
    }
}

fn post(
    url: &str,
    body: String,
    title: Option<String>,
    event: AlertEvent,
) -> Result<String, String> {
    crate::tls::install_provider();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("photovault/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("alert POST {url}: {e}"))?;
    let mut request = client.post(url).body(body);
    if let Some(title) = title {
        request = request.header("Title", title);
        if matches!(
            event,
            AlertEvent::Failure | AlertEvent::RuleBroken | AlertEvent::Overdue
        ) {
            request = request.header("Priority", "high");
        }
    }
    let response = request
        .send()
        .map_err(|e| format!("alert POST {url} failed: {e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(format!("alert POST {url}: {}", status.as_u16()))
    } else {
        Err(format!("alert POST {url} answered {status}"))
    }
}

/// Whether the last successful run of `profile` is older than `overdue-after` (or there
/// never was one and the first remembered run is); if so, and no overdue alert went out
/// since that success, sends one. Returns the message when overdue.
pub fn overdue(profile: &Profile, state_dir: &StateDir) -> Option<(String, Sent)> {
    let mut state = state_dir.load();
    let now = Utc::now();
    let limit = profile.alerts.overdue_after;
    let since = state
        .last_success
        .or_else(|| state.runs.first().map(|r| r.started))?;
    if now - since < limit.0 {
        return None;
    }
    let message = match state.last_success {
        Some(t) => format!(
            "no successful run of profile '{}' for {} (since {})",
            profile.name,
            limit.shown(),
            t.format("%Y-%m-%d %H:%M UTC")
        ),
        None => format!(
            "no successful run of profile '{}' since runs began ({})",
            profile.name,
            since.format("%Y-%m-%d %H:%M UTC")
        ),
    };
    if state.overdue_alerted.is_some_and(|t| t >= since) {
        return Some((message, Sent::default()));
    }
    let sent = send(
        profile,
        AlertEvent::Overdue,
        &json!({"last_success": state.last_success}),
        &message,
    );
    state.overdue_alerted = Some(now);
    let _ = state_dir.save(&state);
    Some((message, sent))
}

/// Records whether the rule holds; sends a rule-broken alert when it stops holding (or
/// is found broken the first time). Returns what was sent.
pub fn rule_checked(
    profile: &Profile,
    state_dir: &StateDir,
    holds: bool,
    summary: &Value,
    verdict: &str,
) -> Option<Sent> {
    let mut state = state_dir.load();
    let before = state.rule_holds;
    state.rule_holds = Some(holds);
    let _ = state_dir.save(&state);
    (!holds && before != Some(false))
        .then(|| send(profile, AlertEvent::RuleBroken, summary, verdict))
}
