//! The second step of reading a profile: what TOML cannot check (a location that does not
//! parse, two primaries, a copy-from chain that goes round, a count that is not a count),
//! each mistake named at its key's line. One function per table of the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::raw::{
    RawAlerts, RawProfile, RawRepository, RawRetention, RawRule, RawSource, RawVerify,
};
use super::{
    expand_path, AlertEvent, Alerts, Feed, Profile, RepositoryProfile, Retention, Rule, Source,
    UrlStyle, Verify,
};
use crate::backend::{BackendOptions, Location};
use crate::check::ReadData;
use crate::forget::{Count, GroupBy, Period, Policy, Within};
use crate::prune::MaxUnused;
use crate::routine::duration::Age;
use crate::routine::error::ProfileError;
use crate::routine::secret::PasswordSource;

/// Makes the error for a bad value: `at(table, key, message)`, located at the key's line.
type At<'a> = dyn Fn(&str, &str, String) -> ProfileError + 'a;

impl Profile {
    pub(super) fn from_raw(
        file: &Path,
        text: &str,
        raw: RawProfile,
    ) -> Result<Profile, ProfileError> {
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
        Ok(Profile {
            name,
            file: file.to_path_buf(),
            source: source(&base, raw.source, &at)?,
            repositories: repositories(&base, &raw.repositories, &at)?,
            retention: raw
                .retention
                .map(|r| retention(&r).map_err(|(key, m)| at("retention", key, m)))
                .transpose()?,
            verify: verify(raw.verify.unwrap_or_default(), &at)?,
            rule: rule(raw.rule.unwrap_or_default(), &at)?,
            alerts: alerts(raw.alerts.unwrap_or_default(), &at)?,
        })
    }
}

fn source(base: &Path, raw: RawSource, at: &At) -> Result<Source, ProfileError> {
    if raw.paths.is_empty() {
        return Err(at(
            "source",
            "paths",
            "give at least one folder to back up: paths = [\"~/Pictures\"]".into(),
        ));
    }
    Ok(Source {
        paths: raw.paths.iter().map(|p| expand_path(base, p)).collect(),
        excludes: raw.excludes,
        tags: raw.tags,
        host: raw.host,
        medium: medium(raw.medium.as_deref().unwrap_or("computer")),
        verify_unchanged_percent: percent_key(
            raw.verify_unchanged_fraction,
            "verify-unchanged-fraction",
            at,
        )?
        .unwrap_or(0.0),
        mass_deletion_percent: percent_key(
            raw.mass_deletion_threshold,
            "mass-deletion-threshold",
            at,
        )?,
        thumbnails: raw.thumbnails.unwrap_or(true),
    })
}

/// Every `[repositories.NAME]`, primary first, then by name.
fn repositories(
    base: &Path,
    raw: &BTreeMap<String, RawRepository>,
    at: &At,
) -> Result<Vec<RepositoryProfile>, ProfileError> {
    let primary = primary_name(raw, at)?;
    let mut repositories = raw
        .iter()
        .map(|(name, r)| repository(base, name, r, raw, &primary, at))
        .collect::<Result<Vec<_>, _>>()?;
    check_copy_chains(&repositories, at)?;
    repositories.sort_by(|a, b| b.primary.cmp(&a.primary).then(a.name.cmp(&b.name)));
    Ok(repositories)
}

/// The repository marked `primary = true`, or the only one.
fn primary_name(raw: &BTreeMap<String, RawRepository>, at: &At) -> Result<String, ProfileError> {
    if raw.is_empty() {
        return Err(at(
            "",
            "repositories",
            "the profile names no repository: add a [repositories.NAME] table with a location"
                .into(),
        ));
    }
    let primaries: Vec<&String> = raw
        .iter()
        .filter(|(_, r)| r.primary)
        .map(|(n, _)| n)
        .collect();
    match (primaries.as_slice(), raw.len()) {
        ([one], _) => Ok((*one).clone()),
        ([], 1) => Ok(raw.keys().next().cloned().expect("one")),
        ([], _) => {
            let first = raw.keys().next().expect("some").clone();
            Err(at(
                &format!("repositories.{first}"),
                "primary",
                "with several repositories, mark the one backed up first with primary = true"
                    .into(),
            ))
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
            Err(errors
                .max_by_key(|e| match e {
                    ProfileError::Invalid(m) => m.line,
                    _ => None,
                })
                .expect("two or more"))
        }
    }
}

fn repository(
    base: &Path,
    name: &str,
    r: &RawRepository,
    all: &BTreeMap<String, RawRepository>,
    primary: &str,
    at: &At,
) -> Result<RepositoryProfile, ProfileError> {
    let table = format!("repositories.{name}");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(at(
            &table,
            "",
            format!("repository name '{name}': use letters, digits, '-' and '_'"),
        ));
    }
    let location = if r.location.contains("://") || r.location.contains(':') {
        r.location.clone()
    } else {
        expand_path(base, &r.location).display().to_string()
    };
    let mut options = BackendOptions::default();
    options.options = r.options.clone();
    let env = r.env.clone();
    Location::parse_with_env(&location, &options, &|k| {
        env.get(k).cloned().or_else(|| std::env::var(k).ok())
    })
    .map_err(|e| at(&table, "location", e.to_string()))?;
    let password = PasswordSource::from_keys(
        r.password_file.as_deref().map(|p| expand_path(base, p)),
        r.password_command.clone(),
        r.password_env.clone(),
        r.password.clone(),
        r.allow_password_in_profile,
    )
    .map_err(|(key, message)| at(&table, key, message))?;
    let is_primary = name == primary;
    let feed =
        match (&r.copy_from, r.backup, is_primary) {
            (Some(_), _, true) => return Err(at(
                &table,
                "copy-from",
                "the primary is backed up from the sources; it cannot copy from another repository"
                    .into(),
            )),
            (Some(_), true, _) => {
                return Err(at(
                    &table,
                    "backup",
                    "backup = true and copy-from cannot be combined".into(),
                ))
            }
            (Some(from), false, false) => {
                if !all.contains_key(from) || from == name {
                    return Err(at(
                        &table,
                        "copy-from",
                        format!("'{from}' is not another repository of this profile"),
                    ));
                }
                Feed::CopyFrom(from.clone())
            }
            (None, _, true) | (None, true, _) => Feed::Backup,
            (None, false, false) => Feed::CopyFrom(primary.to_string()),
        };
    let medium_name = medium(r.medium.as_deref().unwrap_or("disk"));
    Ok(RepositoryProfile {
        name: name.to_string(),
        location,
        options: r.options.clone(),
        env: r.env.clone(),
        password,
        offsite: r.offsite.unwrap_or(medium_name == "cloud"),
        medium: medium_name,
        primary: is_primary,
        feed,
    })
}

/// A chain of copy-from must end at a repository that is backed up.
fn check_copy_chains(repositories: &[RepositoryProfile], at: &At) -> Result<(), ProfileError> {
    for r in repositories {
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
                .expect("checked when the repository was read");
        }
    }
    Ok(())
}

fn verify(raw: RawVerify, at: &At) -> Result<Verify, ProfileError> {
    Ok(Verify {
        subset: raw
            .subset
            .as_deref()
            .map(|s| s.parse::<ReadData>().map_err(|m| at("verify", "subset", m)))
            .transpose()?,
        full_every: age_key(&raw.full_every, "verify", "full-every", at)?,
        window: age_key(&raw.window, "verify", "window", at)?.unwrap_or(Age::days(30)),
    })
}

fn rule(raw: RawRule, at: &At) -> Result<Rule, ProfileError> {
    Ok(Rule {
        copies: raw.copies.unwrap_or(3),
        media: raw.media.unwrap_or(2),
        offsite: raw.offsite.unwrap_or(1),
        offsite_max_age: age_key(&raw.offsite_max_age, "rule", "offsite-max-age", at)?
            .unwrap_or(Age::days(14)),
    })
}

fn alerts(raw: RawAlerts, at: &At) -> Result<Alerts, ProfileError> {
    let style = match raw.style.as_deref() {
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
    let on = match &raw.on {
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
    if let Some(url) = &raw.url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(at(
                "alerts",
                "url",
                format!("'{url}' is not an http:// or https:// URL"),
            ));
        }
    }
    Ok(Alerts {
        command: raw.command,
        url: raw.url,
        style,
        on,
        overdue_after: age_key(&raw.overdue_after, "alerts", "overdue-after", at)?
            .unwrap_or(Age::days(3)),
    })
}

/// An age (`30d`, `12h`) under `table`.`key`.
fn age_key(
    value: &Option<String>,
    table: &str,
    key: &str,
    at: &At,
) -> Result<Option<Age>, ProfileError> {
    value
        .as_deref()
        .map(|v| v.parse::<Age>().map_err(|m| at(table, key, m)))
        .transpose()
}

/// A percentage of `[source]`, from 0 to 100.
fn percent_key(value: Option<f64>, key: &str, at: &At) -> Result<Option<f64>, ProfileError> {
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
