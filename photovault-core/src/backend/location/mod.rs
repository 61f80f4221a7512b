//! Repository locations: the strings users type, in restic's forms, and the backend each
//! one opens.
//!
//! | location | backend |
//! |---|---|
//! | `/mnt/disk/photos`, `local:/mnt/disk/photos` | a local folder |
//! | `sftp:user@host:/srv/photos`, `sftp://user@host:2222/srv/photos` | SFTP through the `ssh` binary (the user's ssh config, agent and keys) |
//! | `s3:https://host[:port]/bucket[/prefix]`, `s3:host/bucket[/prefix]`, `s3:s3.amazonaws.com/bucket` | S3 and compatible stores |
//! | `webdav:http(s)://[user:password@]host[:port]/path` | WebDAV |
//! | `opendal:SERVICE` with `-o opendal.KEY=VALUE` options | any other service opendal offers in this build |
//!
//! Options (`-o key=value`): `connections` (parallel uploads, default 5), `retries`
//! (attempts after the first for a transient failure, default 9), `s3.region`,
//! `s3.bucket-lookup` (`path`, the default except on AWS, or `dns`), `s3.storage-class`,
//! `sftp.key` (a private key file), `sftp.known-hosts` (`strict`, the default, `accept`
//! or `add`). An option value `env:NAME` is read from the environment variable `NAME`, so
//! that secrets need not appear on a command line. Credentials come from the usual places:
//! `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` or
//! `AWS_DEFAULT_REGION`, `AWS_PROFILE` (and `~/.aws`) for S3; `PVAULT_WEBDAV_USER` and
//! `PVAULT_WEBDAV_PASSWORD` for WebDAV. Secrets never appear in [`Location`]'s display
//! form, which is what messages show.

mod schemes;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{Backend, LocalBackend, RetryPolicy};
use crate::error::{Error, Result};
use schemes::{generic, s3, sftp, webdav, Options};

/// What a location is opened with besides its string.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct BackendOptions {
    /// `-o key=value` options (see the module documentation).
    pub options: BTreeMap<String, String>,
    /// How network stores retry; `None` uses [`RetryPolicy::default`].
    pub retry: Option<RetryPolicy>,
}

impl BackendOptions {
    /// Options from `key=value` strings.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        let mut options = BTreeMap::new();
        for pair in pairs {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                Error::InvalidArgument(format!("option '{pair}' is not of the form key=value"))
            })?;
            options.insert(key.trim().to_string(), value.to_string());
        }
        Ok(BackendOptions {
            options,
            retry: None,
        })
    }
}

/// A parsed repository location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A folder on a local or mounted disk.
    Local(PathBuf),
    /// A network store, opened through opendal.
    Remote(RemoteSpec),
}

/// A network store: an opendal service and its configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct RemoteSpec {
    /// The opendal service (`s3`, `sftp`, `webdav`, ...).
    pub service: String,
    /// The service's configuration, secrets included.
    pub config: BTreeMap<String, String>,
    /// The location as messages show it, without secrets.
    pub shown: String,
    /// Uploads at once.
    pub connections: usize,
    /// Whether a write is atomic by itself (an object store's PUT); otherwise a write goes
    /// to a temporary name and is renamed into place.
    pub atomic_put: bool,
}

impl std::fmt::Debug for RemoteSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<&String> = self.config.keys().collect();
        f.debug_struct("RemoteSpec")
            .field("service", &self.service)
            .field("shown", &self.shown)
            .field("config keys", &keys)
            .field("connections", &self.connections)
            .finish()
    }
}

/// Uploads at once when `connections` is not given (restic's default too).
pub const DEFAULT_CONNECTIONS: usize = 5;

fn bad(location: &str, why: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("repository location '{}': {why}", redact(location)))
}

/// `location` with any `user:password@` reduced to `user@`.
fn redact(location: &str) -> String {
    match location.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{scheme}://{user}@{host}{path}")
                }
                None => location.to_string(),
            }
        }
        None => location.to_string(),
    }
}

impl Location {
    /// Parses `location`, taking credentials from the process environment.
    pub fn parse(location: &str, options: &BackendOptions) -> Result<Location> {
        Self::parse_with_env(location, options, &|name| std::env::var(name).ok())
    }

    /// Parses `location`, taking credentials from `env`.
    pub fn parse_with_env(
        location: &str,
        options: &BackendOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Location> {
        let opts = Options::new(options, env)?;
        if location.is_empty() {
            return Err(Error::InvalidArgument(
                "no repository location given".into(),
            ));
        }
        if let Some(path) = location.strip_prefix("local:") {
            return Ok(Location::Local(PathBuf::from(path)));
        }
        let remote = if let Some(rest) = location.strip_prefix("sftp:") {
            sftp(location, rest, &opts)?
        } else if let Some(rest) = location.strip_prefix("s3:") {
            s3(location, rest, &opts, env)?
        } else if let Some(rest) = location.strip_prefix("webdav:") {
            webdav(location, rest, &opts, env)?
        } else if let Some(rest) = location.strip_prefix("opendal:") {
            generic(location, rest, &opts)?
        } else if let Some((scheme, _)) = location.split_once("://").filter(|(s, _)| {
            !s.contains('/') && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '+')
        }) {
            return Err(bad(
                location,
                format!(
                    "'{scheme}://' is not a location photovault knows; use a path, sftp:, s3:, webdav: or opendal:"
                ),
            ));
        } else if let Some((scheme, _)) = location
            .split_once(':')
            .filter(|(s, _)| matches!(*s, "rest" | "rclone" | "b2" | "azure" | "gs" | "swift"))
        {
            return Err(bad(
                location,
                format!(
                    "'{scheme}:' locations are not supported; use opendal:SERVICE with -o opendal.KEY=VALUE options"
                ),
            ));
        } else {
            return Ok(Location::Local(PathBuf::from(location)));
        };
        Ok(Location::Remote(remote))
    }

    /// The location as messages show it.
    pub fn shown(&self) -> String {
        match self {
            Location::Local(path) => path.display().to_string(),
            Location::Remote(spec) => spec.shown.clone(),
        }
    }
}

/// Opens the backend a location string names, with default options.
pub fn open_location(location: &str) -> Result<Arc<dyn Backend>> {
    open_location_with(location, &BackendOptions::default())
}

/// Opens the backend `location` names. A network store comes wrapped in
/// [`Retrying`](super::Retrying).
pub fn open_location_with(location: &str, options: &BackendOptions) -> Result<Arc<dyn Backend>> {
    Location::parse(location, options)?.open(options)
}

impl Location {
    /// Opens the backend. A network store comes wrapped in [`Retrying`](super::Retrying),
    /// with the policy of `options` (or the `retries=N` option's number of attempts).
    pub fn open(self, options: &BackendOptions) -> Result<Arc<dyn Backend>> {
        match self {
            Location::Local(path) => Ok(Arc::new(LocalBackend::new(path))),
            Location::Remote(spec) => open_remote(spec, options),
        }
    }
}

/// The retry policy `options` ask for.
fn retry_policy(options: &BackendOptions) -> Result<RetryPolicy> {
    let mut policy = options.retry.unwrap_or_default();
    if let Some(value) = options.options.get("retries") {
        policy.attempts = match value.parse::<u32>() {
            Ok(n) if n <= 100 => n + 1,
            _ => {
                return Err(Error::InvalidArgument(format!(
                    "option retries={value}: give a number from 0 to 100"
                )))
            }
        };
    }
    Ok(policy)
}

#[cfg(feature = "remote")]
fn open_remote(spec: RemoteSpec, options: &BackendOptions) -> Result<Arc<dyn Backend>> {
    let policy = retry_policy(options)?;
    let remote = super::RemoteBackend::open(spec)?;
    Ok(Arc::new(super::Retrying::new(Arc::new(remote), policy)))
}

#[cfg(not(feature = "remote"))]
fn open_remote(spec: RemoteSpec, options: &BackendOptions) -> Result<Arc<dyn Backend>> {
    retry_policy(options)?;
    Err(Error::InvalidArgument(format!(
        "{}: this build of photovault has no network backends (the `remote` feature)",
        spec.shown
    )))
}

#[cfg(test)]
mod tests;
