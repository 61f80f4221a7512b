//! The profile file: one TOML document describing a user's whole set-up (what to back up,
//! where to, with which passwords, how long to keep, how much to verify, when to alert).
//!
//! The file is read in two steps, so that every mistake is reported where it is:
//! serde parses the TOML into the structs of `raw`, which refuse unknown keys and wrong
//! types (toml gives the byte span, turned into `file:line:column` and the key); then
//! `validate` checks what TOML cannot (a location that does not parse, two primaries, a
//! count that is not a count) and names the key's line in the same way. This file holds
//! what the rest of the crate sees: the validated profile.

mod raw;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::duration::Age;
use super::error::ProfileError;
use super::secret::PasswordSource;
use crate::backend::BackendOptions;
use crate::check::ReadData;
use crate::forget::{GroupBy, Policy};
use crate::prune::MaxUnused;
use raw::RawProfile;

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
    /// Whether backups store thumbnails of new photos and videos (`thumbnails = false`:
    /// `backup --no-thumbnails`; default true).
    pub thumbnails: bool,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn with_source(lines: &str) -> Profile {
        let text = format!(
            "[source]\npaths = [\"/photos\"]\n{lines}\n\n[repositories.disk]\nlocation = \"/disk\"\n\
             password-env = \"PW\"\nprimary = true\n"
        );
        Profile::parse(Path::new("/p/photos.toml"), &text).expect("a valid profile")
    }

    #[test]
    fn backups_store_thumbnails_unless_the_profile_says_no() {
        assert!(with_source("").source.thumbnails);
        assert!(!with_source("thumbnails = false").source.thumbnails);
    }
}
