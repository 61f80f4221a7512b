//! The profile file as serde reads it: keys are kebab-case, unknown keys and wrong types
//! are refused (toml reports where). Nothing here is checked beyond what TOML can say;
//! `validate` does the rest.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawProfile {
    pub(super) source: RawSource,
    #[serde(default)]
    pub(super) repositories: BTreeMap<String, RawRepository>,
    pub(super) retention: Option<RawRetention>,
    pub(super) verify: Option<RawVerify>,
    pub(super) rule: Option<RawRule>,
    pub(super) alerts: Option<RawAlerts>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawSource {
    #[serde(default)]
    pub(super) paths: Vec<String>,
    #[serde(default)]
    pub(super) excludes: Vec<String>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) host: Option<String>,
    pub(super) medium: Option<String>,
    pub(super) verify_unchanged_fraction: Option<f64>,
    pub(super) mass_deletion_threshold: Option<f64>,
    pub(super) thumbnails: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRepository {
    pub(super) location: String,
    #[serde(default)]
    pub(super) options: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) env: BTreeMap<String, String>,
    pub(super) password_file: Option<String>,
    pub(super) password_command: Option<String>,
    pub(super) password_env: Option<String>,
    pub(super) password: Option<String>,
    #[serde(default)]
    pub(super) allow_password_in_profile: bool,
    pub(super) medium: Option<String>,
    pub(super) offsite: Option<bool>,
    #[serde(default)]
    pub(super) primary: bool,
    pub(super) copy_from: Option<String>,
    #[serde(default)]
    pub(super) backup: bool,
}

/// A count: a number or `"unlimited"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawCount {
    Number(u32),
    Text(String),
}

impl RawCount {
    pub(super) fn text(&self) -> String {
        match self {
            RawCount::Number(n) => n.to_string(),
            RawCount::Text(t) => t.clone(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRetention {
    pub(super) keep_last: Option<RawCount>,
    pub(super) keep_hourly: Option<RawCount>,
    pub(super) keep_daily: Option<RawCount>,
    pub(super) keep_weekly: Option<RawCount>,
    pub(super) keep_monthly: Option<RawCount>,
    pub(super) keep_yearly: Option<RawCount>,
    pub(super) keep_within: Option<String>,
    pub(super) keep_within_hourly: Option<String>,
    pub(super) keep_within_daily: Option<String>,
    pub(super) keep_within_weekly: Option<String>,
    pub(super) keep_within_monthly: Option<String>,
    pub(super) keep_within_yearly: Option<String>,
    #[serde(default)]
    pub(super) keep_tag: Vec<String>,
    pub(super) group_by: Option<String>,
    pub(super) prune_every: Option<String>,
    pub(super) max_unused: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawVerify {
    pub(super) subset: Option<String>,
    pub(super) full_every: Option<String>,
    pub(super) window: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawRule {
    pub(super) copies: Option<u32>,
    pub(super) media: Option<u32>,
    pub(super) offsite: Option<u32>,
    pub(super) offsite_max_age: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(super) struct RawAlerts {
    pub(super) command: Option<String>,
    pub(super) url: Option<String>,
    pub(super) style: Option<String>,
    pub(super) on: Option<Vec<String>>,
    pub(super) overdue_after: Option<String>,
}
