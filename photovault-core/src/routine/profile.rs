//! The profile file: one TOML document describing a user's whole set-up (what to back up,
//! where to, with which passwords, how long to keep, how much to verify, when to alert).
//!
//! The file is read in two steps, so that every mistake is reported where it is:
//! serde parses the TOML into the `Raw*` structs below, which refuse unknown keys and
//! wrong types (toml gives the byte span, turned into `file:line:column` and the key);
//! then [`Profile::from_raw`] checks what TOML cannot (a location that does not parse, two
//! primaries, a count that is not a count) and names the key's line in the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::duration::Age;
use super::error::ProfileError;
use super::secret::PasswordSource;
use crate::backend::{BackendOptions, Location};
use crate::check::ReadData;
use crate::forget::{Count, GroupBy, Period, Policy, Within};
use crate::prune::MaxUnused;

/// A loaded and validated profile.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Profile {
    /// The profile's name: its file name without `.toml`.
    pub name: String,
    /// The file it was read from.
    pub file: PathBuf,
    /// What to back up.
    pub source: Source,
    /// Where to, primary first, then by name.
    pub repositories: Vec<RepositoryProfile>,
    /// Which snapshots to keep, and when to prune (`None`: keep everything).
    pub retention: Option<Retention>,
    /// How much to verify per run.
    pub verify: Verify,
    /// What `status` demands.
    pub rule: Rule,
    /// Whom to tell.
    pub alerts: Alerts,
}

/// The `[source]` table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Source {
    /// Folders and files to back up (absolute; `~` expanded, relative ones taken from the
    /// profile's folder).
    pub paths: Vec<PathBuf>,
    /// Exclude patterns, as `backup --exclude`.
    pub excludes: Vec<String>,
    /// Tags of every snapshot.
    pub tags: Vec<String>,
    /// The host name recorded (default: this machine's).
    pub host: Option<String>,
    /// The medium the originals are on, counted by `status` as one copy (default `computer`).
    pub medium: String,
    /// Percent of the unchanged files each backup reads again to catch bit rot
    /// (`backup --verify-unchanged-fraction`; default 0).
    pub verify_unchanged_percent: f64,
    /// Percent of the previous snapshot's files gone above which a backup raises the
    /// mass-deletion alarm (`backup --mass-deletion-threshold`; default backup's).
    pub mass_deletion_percent: Option<f64>,
}

/// How a repository receives its snapshots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    /// Backed up from the sources (the primary always is).
    Backup,
    /// Copies of another repository's snapshots (named).
    CopyFrom(String),
}

/// One `[repositories.NAME]` table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RepositoryProfile {
    /// Its name in the profile (`--repo-name`).
    pub name: String,
    /// Its location, as `-r` takes it.
    pub location: String,
    /// Backend options (`-o`).
    pub options: BTreeMap<String, String>,
    /// Environment the backend reads credentials from, on top of the process's.
    pub env: BTreeMap<String, String>,
    /// Where its password comes from.
    pub password: PasswordSource,
    /// `disk`, `nas`, `cloud`, … (lower case).
    pub medium: String,
    /// Whether it is away from the computer (another building).
    pub offsite: bool,
    /// Whether it is the primary (backed up first; `-P` without `--repo-name` means it).
    pub primary: bool,
    /// How it receives snapshots.
    pub feed: Feed,
}

impl RepositoryProfile {
    /// The backend options of this repository, with `extra` (`-o` flags) on top.
    pub fn backend_options(&self, extra: &BackendOptions) -> BackendOptions {
        let mut options = BackendOptions::default();
        options.options = self.options.clone();
        options
            .options
            .extend(extra.options.iter().map(|(k, v)| (k.clone(), v.clone())));
        options.retry = extra.retry;
        options
    }

    /// A value of the environment as this repository sees it: its `env` table first.
    pub fn env_var(&self, name: &str) -> Option<String> {
        self.env
            .get(name)
            .cloned()
            .or_else(|| std::env::var(name).ok())
    }
}

/// The `[retention]` table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Retention {
    /// The policy (`keep-*` keys).
    pub policy: Policy,
    /// `group-by` (default host,paths).
    pub group_by: GroupBy,
    /// Prune when the last prune is older than this (`prune-every`, default 7d); `None`:
    /// never prune.
    pub prune_every: Option<Age>,
    /// `max-unused` for prune (default 5%).
    pub max_unused: MaxUnused,
}

/// The `[verify]` table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Verify {
    /// The data read by each run (`subset`: `1/30` rotates through thirty slices, `5%`, `2G`);
    /// `None`: structure only.
    pub subset: Option<ReadData>,
    /// Read everything when the last full verification is older than this (`full-every`).
    pub full_every: Option<Age>,
    /// The window `status` sums verified shares over (`window`, default 30d).
    pub window: Age,
}

/// The `[rule]` table: what `status` calls safe.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Rule {
    /// Copies every file needs, the original included (default 3).
    pub copies: u32,
    /// Kinds of medium they must be on (default 2).
    pub media: u32,
    /// Off-site copies (default 1).
    pub offsite: u32,
    /// An off-site repository counts only if its newest snapshot is younger (default 14d).
    pub offsite_max_age: Age,
}

/// When an alert goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertEvent {
    /// A run begins (healthchecks' `/start`).
    Start,
    /// A run ended without problems.
    Success,
    /// A run ended with warnings (unreadable files, last-copy guard, …).
    Warning,
    /// A repository failed.
    Failure,
    /// `status` found the 3-2-1 rule broken.
    RuleBroken,
    /// No successful run for longer than `overdue-after`.
    Overdue,
}

impl AlertEvent {
    /// The name in profiles and JSON.
    pub fn name(self) -> &'static str {
        match self {
            AlertEvent::Start => "start",
            AlertEvent::Success => "success",
            AlertEvent::Warning => "warning",
            AlertEvent::Failure => "failure",
            AlertEvent::RuleBroken => "rule-broken",
            AlertEvent::Overdue => "overdue",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [
            AlertEvent::Start,
            AlertEvent::Success,
            AlertEvent::Warning,
            AlertEvent::Failure,
            AlertEvent::RuleBroken,
            AlertEvent::Overdue,
        ]
        .into_iter()
        .find(|e| e.name() == name)
    }
}

/// How the alert URL is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlStyle {
    /// healthchecks.io: POST `URL/start` when a run begins, `URL` on success, `URL/fail`
    /// on failure or a broken rule; the body is the summary.
    Healthchecks,
    /// ntfy / Gotify: one POST of a short text message, only for problems.
    Message,
}

/// The `[alerts]` table.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Alerts {
    /// Run through `sh -c` with the JSON summary on its standard input.
    pub command: Option<String>,
    /// POSTed to.
    pub url: Option<String>,
    /// How (`style`).
    pub style: UrlStyle,
    /// Which events the command hears (`on`, default failure, warning, rule-broken, overdue);
    /// a healthchecks URL hears start, success and failure whatever this says.
    pub on: Vec<AlertEvent>,
    /// "No successful run for" this long is an alert (`overdue-after`, default 3d).
    pub overdue_after: Age,
}

impl Profile {
    /// Reads and validates the profile in `file`; its name is the file name without `.toml`.
    pub fn load(file: &Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(file).map_err(|e| ProfileError::Unreadable {
            file: file.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::parse(file, &text)
    }

    /// Parses `text` as if read from `file`.
    pub fn parse(file: &Path, text: &str) -> Result<Profile, ProfileError> {
        let raw: RawProfile =
            toml::from_str(text).map_err(|e| ProfileError::from_toml(file, text, &e))?;
        Self::from_raw(file, text, raw)
    }

    /// The repository called `name`, or the primary for `None`.
    pub fn repository(&self, name: Option<&str>) -> Result<&RepositoryProfile, ProfileError> {
        match name {
            None => Ok(&self.repositories[0]),
            Some(name) => self
                .repositories
                .iter()
                .find(|r| r.name == name)
                .ok_or_else(|| ProfileError::NoSuchRepository {
                    profile: self.name.clone(),
                    name: name.to_string(),
                    known: self.repositories.iter().map(|r| r.name.clone()).collect(),
                }),
        }
    }

    fn from_raw(file: &Path, text: &str, raw: RawProfile) -> Result<Profile, ProfileError> {
        let at = |table: &str, key: &str, message: String| {
            ProfileError::invalid(file, text, table, key, message)
        };
        let base = file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "profile".into());

        let raw_source = raw.source;
        if raw_source.paths.is_empty() {
            return Err(at(
                "source",
                "paths",
                "give at least one folder to back up: paths = [\"~/Pictures\"]".into(),
            ));
        }
        let source = Source {
            paths: raw_source
                .paths
                .iter()
                .map(|p| expand_path(&base, p))
                .collect(),
            excludes: raw_source.excludes,
            tags: raw_source.tags,
            host: raw_source.host,
            medium: medium(raw_source.medium.as_deref().unwrap_or("computer")),
            verify_unchanged_percent: percent_key(
                raw_source.verify_unchanged_fraction,
                "verify-unchanged-fraction",
                &at,
            )?
            .unwrap_or(0.0),
            mass_deletion_percent: percent_key(
                raw_source.mass_deletion_threshold,
                "mass-deletion-threshold",
                &at,
            )?,
        };

        if raw.repositories.is_empty() {
            return Err(at(
                "",
                "repositories",
                "the profile names no repository: add a [repositories.NAME] table with a location"
                    .into(),
            ));
        }
        let primaries: Vec<&String> = raw
            .repositories
            .iter()
            .filter(|(_, r)| r.primary)
            .map(|(n, _)| n)
            .collect();
        let primary = match (primaries.as_slice(), raw.repositories.len()) {
            ([one], _) => (*one).clone(),
            ([], 1) => raw.repositories.keys().next().cloned().expect("one"),
            ([], _) => {
                let first = raw.repositories.keys().next().expect("some").clone();
                return Err(at(
                    &format!("repositories.{first}"),
                    "primary",
                    "with several repositories, mark the one backed up first with primary = true"
                        .into(),
                ));
            }
            (several, _) => {
                // Name the one written last: the first is the one the user meant.
                let errors = several.iter().map(|name| {
                    at(
                        &format!("repositories.{name}"),
                        "primary",
                        "only one repository can be primary".into(),
                    )
                });
                return Err(errors
                    .max_by_key(|e| match e {
                        ProfileError::Invalid(m) => m.line,
                        _ => None,
                    })
                    .expect("two or more"));
            }
        };
        let mut repositories = Vec::new();
        for (repo_name, r) in &raw.repositories {
            let table = format!("repositories.{repo_name}");
            if repo_name.is_empty()
                || !repo_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(at(
                    &table,
                    "",
                    format!("repository name '{repo_name}': use letters, digits, '-' and '_'"),
                ));
            }
            let location = if r.location.contains("://") || r.location.contains(':') {
                r.location.clone()
            } else {
                expand_path(&base, &r.location).display().to_string()
            };
            let mut options = BackendOptions::default();
            options.options = r.options.clone();
            let env = r.env.clone();
            Location::parse_with_env(&location, &options, &|k| {
                env.get(k).cloned().or_else(|| std::env::var(k).ok())
            })
            .map_err(|e| at(&table, "location", e.to_string()))?;
            let password = PasswordSource::from_keys(
                r.password_file.as_deref().map(|p| expand_path(&base, p)),
                r.password_command.clone(),
                r.password_env.clone(),
                r.password.clone(),
                r.allow_password_in_profile,
            )
            .map_err(|(key, message)| at(&table, key, message))?;
            let is_primary = *repo_name == primary;
            let feed = match (&r.copy_from, r.backup, is_primary) {
                (Some(_), _, true) => {
                    return Err(at(
                        &table,
                        "copy-from",
                        "the primary is backed up from the sources; it cannot copy from another repository".into(),
                    ))
                }
                (Some(_), true, _) => {
                    return Err(at(
                        &table,
                        "backup",
                        "backup = true and copy-from cannot be combined".into(),
                    ))
                }
                (Some(from), false, false) => {
                    if !raw.repositories.contains_key(from) || from == repo_name {
                        return Err(at(
                            &table,
                            "copy-from",
                            format!("'{from}' is not another repository of this profile"),
                        ));
                    }
                    Feed::CopyFrom(from.clone())
                }
                (None, _, true) | (None, true, _) => Feed::Backup,
                (None, false, false) => Feed::CopyFrom(primary.clone()),
            };
            let medium_name = medium(r.medium.as_deref().unwrap_or("disk"));
            repositories.push(RepositoryProfile {
                name: repo_name.clone(),
                location,
                options: r.options.clone(),
                env: r.env.clone(),
                password,
                offsite: r.offsite.unwrap_or(medium_name == "cloud"),
                medium: medium_name,
                primary: is_primary,
                feed,
            });
        }
        // A chain of copy-from must end at a repository that is backed up.
        for r in &repositories {
            let mut seen = vec![r.name.clone()];
            let mut current = r;
            while let Feed::CopyFrom(from) = &current.feed {
                if seen.contains(from) {
                    return Err(at(
                        &format!("repositories.{}", r.name),
                        "copy-from",
                        format!(
                            "copy-from goes round in a circle: {} → {from}",
                            seen.join(" → ")
                        ),
                    ));
                }
                seen.push(from.clone());
                current = repositories
                    .iter()
                    .find(|x| &x.name == from)
                    .expect("checked above");
            }
        }
        repositories.sort_by(|a, b| b.primary.cmp(&a.primary).then(a.name.cmp(&b.name)));

        let retention = raw
            .retention
            .map(|r| retention(&r).map_err(|(key, m)| at("retention", key, m)))
            .transpose()?;

        let rv = raw.verify.unwrap_or_default();
        let verify = Verify {
            subset: rv
                .subset
                .as_deref()
                .map(|s| s.parse::<ReadData>().map_err(|m| at("verify", "subset", m)))
                .transpose()?,
            full_every: age_key(&rv.full_every, "verify", "full-every", &at)?,
            window: age_key(&rv.window, "verify", "window", &at)?.unwrap_or(Age::days(30)),
        };

        let rr = raw.rule.unwrap_or_default();
        let rule = Rule {
            copies: rr.copies.unwrap_or(3),
            media: rr.media.unwrap_or(2),
            offsite: rr.offsite.unwrap_or(1),
            offsite_max_age: age_key(&rr.offsite_max_age, "rule", "offsite-max-age", &at)?
                .unwrap_or(Age::days(14)),
        };

        let ra = raw.alerts.unwrap_or_default();
        let style = match ra.style.as_deref() {
            None | Some("healthchecks") => UrlStyle::Healthchecks,
            Some("ntfy") | Some("gotify") | Some("message") => UrlStyle::Message,
            Some(other) => {
                return Err(at(
                    "alerts",
                    "style",
                    format!("'{other}' is not a style: use healthchecks or ntfy"),
                ))
            }
        };
        let on = match &ra.on {
            None => vec![
                AlertEvent::Failure,
                AlertEvent::Warning,
                AlertEvent::RuleBroken,
                AlertEvent::Overdue,
            ],
            Some(list) => list
                .iter()
                .map(|n| {
                    AlertEvent::parse(n).ok_or_else(|| {
                        at(
                            "alerts",
                            "on",
                            format!("'{n}' is not an event: use start, success, warning, failure, rule-broken or overdue"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        if let Some(url) = &ra.url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(at(
                    "alerts",
                    "url",
                    format!("'{url}' is not an http:// or https:// URL"),
                ));
            }
        }
        let alerts = Alerts {
            command: ra.command,
            url: ra.url,
            style,
            on,
            overdue_after: age_key(&ra.overdue_after, "alerts", "overdue-after", &at)?
                .unwrap_or(Age::days(3)),
        };

        Ok(Profile {
            name,
            file: file.to_path_buf(),
            source,
            repositories,
            retention,
            verify,
            rule,
            alerts,
        })
    }
}

fn age_key(
    value: &Option<String>,
    table: &str,
    key: &str,
    at: &dyn Fn(&str, &str, String) -> ProfileError,
) -> Result<Option<Age>, ProfileError> {
    value
        .as_deref()
        .map(|v| v.parse::<Age>().map_err(|m| at(table, key, m)))
        .transpose()
}

/// A percentage of `[source]`, from 0 to 100.
fn percent_key(
    value: Option<f64>,
    key: &str,
    at: &dyn Fn(&str, &str, String) -> ProfileError,
) -> Result<Option<f64>, ProfileError> {
    match value {
        Some(p) if !(0.0..=100.0).contains(&p) => Err(at(
            "source",
            key,
            format!("{p} is not a percentage: give a number from 0 to 100"),
        )),
        other => Ok(other),
    }
}

fn retention(r: &RawRetention) -> Result<Retention, (&'static str, String)> {
    let mut policy = Policy::default();
    let counts = [
        ("keep-last", Period::Last, &r.keep_last),
        ("keep-hourly", Period::Hourly, &r.keep_hourly),
        ("keep-daily", Period::Daily, &r.keep_daily),
        ("keep-weekly", Period::Weekly, &r.keep_weekly),
        ("keep-monthly", Period::Monthly, &r.keep_monthly),
        ("keep-yearly", Period::Yearly, &r.keep_yearly),
    ];
    for (key, period, value) in counts {
        if let Some(value) = value {
            let count: Count = value
                .text()
                .parse()
                .map_err(|e: crate::Error| (key, e.to_string()))?;
            policy = policy.keep(period, count);
        }
    }
    let withins = [
        ("keep-within", Period::Last, &r.keep_within),
        ("keep-within-hourly", Period::Hourly, &r.keep_within_hourly),
        ("keep-within-daily", Period::Daily, &r.keep_within_daily),
        ("keep-within-weekly", Period::Weekly, &r.keep_within_weekly),
        (
            "keep-within-monthly",
            Period::Monthly,
            &r.keep_within_monthly,
        ),
        ("keep-within-yearly", Period::Yearly, &r.keep_within_yearly),
    ];
    for (key, period, value) in withins {
        if let Some(value) = value {
            let within: Within = value
                .parse()
                .map_err(|e: crate::Error| (key, e.to_string()))?;
            policy = policy.keep_within(period, within);
        }
    }
    for group in &r.keep_tag {
        policy = policy.keep_tag(group);
    }
    if policy.is_empty() {
        return Err((
            "keep-last",
            "[retention] keeps nothing: give at least one keep-* rule, or remove the table to keep every snapshot".into(),
        ));
    }
    let group_by = match &r.group_by {
        Some(g) => g
            .parse()
            .map_err(|e: crate::Error| ("group-by", e.to_string()))?,
        None => GroupBy::default(),
    };
    let prune_every = match r.prune_every.as_deref() {
        None => Some(Age::days(7)),
        Some("never") => None,
        Some(text) => Some(text.parse().map_err(|m| ("prune-every", m))?),
    };
    let max_unused = match &r.max_unused {
        Some(m) => m.parse().map_err(|e: String| ("max-unused", e))?,
        None => MaxUnused::default(),
    };
    Ok(Retention {
        policy,
        group_by,
        prune_every,
        max_unused,
    })
}

fn medium(text: &str) -> String {
    text.trim().to_ascii_lowercase()
}

/// `~/x` → home/x; a relative path → from the profile's folder.
pub(crate) fn expand_path(base: &Path, text: &str) -> PathBuf {
    if let Some(rest) = text.strip_prefix("~/") {
        if let Some(home) = dirs::home_dir() {
            return home.join(rest);
        }
    }
    if text == "~" {
        if let Some(home) = dirs::home_dir() {
            return home;
        }
    }
    let path = PathBuf::from(text);
    if path.is_absolute() {
        path
    } else {
        base.join(path)
    }
}

// The file as serde reads it. Keys are kebab-case; unknown keys are refused.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProfile {
    source: RawSource,
    #[serde(default)]
    repositories: BTreeMap<String, RawRepository>,
    retention: Option<RawRetention>,
    verify: Option<RawVerify>,
    rule: Option<RawRule>,
    alerts: Option<RawAlerts>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSource {
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    excludes: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
    host: Option<String>,
    medium: Option<String>,
    verify_unchanged_fraction: Option<f64>,
    mass_deletion_threshold: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRepository {
    location: String,
    #[serde(default)]
    options: BTreeMap<String, String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    password_file: Option<String>,
    password_command: Option<String>,
    password_env: Option<String>,
    password: Option<String>,
    #[serde(default)]
    allow_password_in_profile: bool,
    medium: Option<String>,
    offsite: Option<bool>,
    #[serde(default)]
    primary: bool,
    copy_from: Option<String>,
    #[serde(default)]
    backup: bool,
}

/// A count: a number or `"unlimited"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawCount {
    Number(u32),
    Text(String),
}

impl RawCount {
    fn text(&self) -> String {
        match self {
            RawCount::Number(n) => n.to_string(),
            RawCount::Text(t) => t.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRetention {
    keep_last: Option<RawCount>,
    keep_hourly: Option<RawCount>,
    keep_daily: Option<RawCount>,
    keep_weekly: Option<RawCount>,
    keep_monthly: Option<RawCount>,
    keep_yearly: Option<RawCount>,
    keep_within: Option<String>,
    keep_within_hourly: Option<String>,
    keep_within_daily: Option<String>,
    keep_within_weekly: Option<String>,
    keep_within_monthly: Option<String>,
    keep_within_yearly: Option<String>,
    #[serde(default)]
    keep_tag: Vec<String>,
    group_by: Option<String>,
    prune_every: Option<String>,
    max_unused: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawVerify {
    subset: Option<String>,
    full_every: Option<String>,
    window: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    copies: Option<u32>,
    media: Option<u32>,
    offsite: Option<u32>,
    offsite_max_age: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawAlerts {
    command: Option<String>,
    url: Option<String>,
    style: Option<String>,
    on: Option<Vec<String>>,
    overdue_after: Option<String>,
}
