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

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::{Backend, LocalBackend, RetryPolicy};
use crate::error::{Error, Result};

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

/// The `-o` options, with `env:NAME` values resolved.
struct Options {
    values: BTreeMap<String, String>,
    connections: usize,
}

impl Options {
    fn new(options: &BackendOptions, env: &dyn Fn(&str) -> Option<String>) -> Result<Self> {
        let mut values = BTreeMap::new();
        for (key, value) in &options.options {
            let value = match value.strip_prefix("env:") {
                Some(name) => env(name).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "option {key}: environment variable {name} is not set"
                    ))
                })?,
                None => value.clone(),
            };
            values.insert(key.clone(), value);
        }
        let connections = [
            "connections",
            "s3.connections",
            "sftp.connections",
            "webdav.connections",
        ]
        .iter()
        .find_map(|k| values.get(*k))
        .map(|v| match v.parse::<usize>() {
            Ok(n) if (1..=128).contains(&n) => Ok(n),
            _ => Err(Error::InvalidArgument(format!(
                "option connections={v}: give a number from 1 to 128"
            ))),
        })
        .transpose()?
        .unwrap_or(DEFAULT_CONNECTIONS);
        Ok(Options {
            values,
            connections,
        })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }
}

fn sftp(location: &str, rest: &str, opts: &Options) -> Result<RemoteSpec> {
    // sftp://[user@]host[:port]/path, or sftp:[user@]host:/path (scp style).
    let (endpoint, root) = if let Some(url) = rest.strip_prefix("//") {
        let slash = url
            .find('/')
            .ok_or_else(|| bad(location, "no path after the host"))?;
        let (authority, path) = url.split_at(slash);
        (format!("ssh://{authority}"), path.to_string())
    } else {
        let (host, path) = rest
            .rsplit_once(':')
            .filter(|(h, _)| !h.is_empty())
            .ok_or_else(|| bad(location, "write sftp:[user@]host:/path"))?;
        (host.to_string(), path.to_string())
    };
    if !root.starts_with('/') {
        return Err(bad(
            location,
            "the path must be absolute (sftp:host:/home/ann/photos), relative paths are not supported",
        ));
    }
    let mut config = BTreeMap::from([
        ("endpoint".to_string(), endpoint),
        ("root".to_string(), root),
    ]);
    if let Some(key) = opts.get("sftp.key") {
        config.insert("key".into(), key.into());
    }
    let known = opts.get("sftp.known-hosts").unwrap_or("strict");
    if !matches!(known, "strict" | "accept" | "add") {
        return Err(bad(location, "sftp.known-hosts is strict, accept or add"));
    }
    config.insert("known_hosts_strategy".into(), known.into());
    Ok(RemoteSpec {
        service: "sftp".into(),
        config,
        shown: redact(location),
        connections: opts.connections,
        atomic_put: false,
    })
}

fn s3(
    location: &str,
    rest: &str,
    opts: &Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RemoteSpec> {
    let (scheme, rest) = match rest.split_once("://") {
        Some((scheme @ ("http" | "https"), rest)) => (scheme, rest),
        Some((other, _)) => {
            return Err(bad(location, format!("'{other}://' is not http or https")))
        }
        None => ("https", rest),
    };
    let mut parts = rest.splitn(3, '/');
    let host = parts.next().filter(|h| !h.is_empty());
    let bucket = parts.next().filter(|b| !b.is_empty());
    let (Some(host), Some(bucket)) = (host, bucket) else {
        return Err(bad(location, "write s3:https://host/bucket[/prefix]"));
    };
    if host.contains('@') {
        return Err(bad(
            location,
            "credentials do not belong in the location; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        ));
    }
    let prefix = parts.next().unwrap_or("").trim_matches('/');
    let aws = host == "s3.amazonaws.com" || host.ends_with(".amazonaws.com");
    let region = opts
        .get("s3.region")
        .map(str::to_string)
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".into());
    let mut config = BTreeMap::from([
        ("bucket".to_string(), bucket.to_string()),
        ("root".to_string(), format!("/{prefix}")),
        ("region".to_string(), region),
    ]);
    if !(aws && host == "s3.amazonaws.com") {
        config.insert("endpoint".into(), format!("{scheme}://{host}"));
    }
    let lookup = opts
        .get("s3.bucket-lookup")
        .unwrap_or(if aws { "dns" } else { "path" });
    match lookup {
        "dns" => {
            config.insert("enable_virtual_host_style".into(), "true".into());
        }
        "path" | "auto" => {}
        other => {
            return Err(bad(
                location,
                format!("s3.bucket-lookup={other}: use path or dns"),
            ))
        }
    }
    for (var, key) in [
        ("AWS_ACCESS_KEY_ID", "access_key_id"),
        ("AWS_SECRET_ACCESS_KEY", "secret_access_key"),
        ("AWS_SESSION_TOKEN", "session_token"),
        ("AWS_PROFILE", "profile"),
    ] {
        if let Some(value) = env(var).filter(|v| !v.is_empty()) {
            config.insert(key.into(), value);
        }
    }
    if let Some(class) = opts.get("s3.storage-class") {
        config.insert("default_storage_class".into(), class.into());
    }
    Ok(RemoteSpec {
        service: "s3".into(),
        config,
        shown: format!(
            "s3:{scheme}://{host}/{bucket}{}",
            if prefix.is_empty() {
                String::new()
            } else {
                format!("/{prefix}")
            }
        ),
        connections: opts.connections,
        atomic_put: true,
    })
}

fn webdav(
    location: &str,
    rest: &str,
    opts: &Options,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<RemoteSpec> {
    let (scheme, url) = rest
        .split_once("://")
        .filter(|(s, _)| matches!(*s, "http" | "https"))
        .ok_or_else(|| bad(location, "write webdav:http(s)://host[:port]/path"))?;
    let slash = url.find('/').unwrap_or(url.len());
    let (authority, path) = url.split_at(slash);
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(bad(location, "no host"));
    }
    let mut config = BTreeMap::from([
        ("endpoint".to_string(), format!("{scheme}://{host}")),
        (
            "root".to_string(),
            if path.is_empty() {
                "/".into()
            } else {
                path.to_string()
            },
        ),
    ]);
    let (user, password) = match userinfo {
        Some(info) => match info.split_once(':') {
            Some((u, p)) => (Some(u.to_string()), Some(p.to_string())),
            None => (Some(info.to_string()), None),
        },
        None => (None, None),
    };
    let user = user.or_else(|| env("PVAULT_WEBDAV_USER"));
    let password = password.or_else(|| env("PVAULT_WEBDAV_PASSWORD"));
    if let Some(user) = user {
        config.insert("username".into(), user);
    }
    if let Some(password) = password {
        config.insert("password".into(), password);
    }
    Ok(RemoteSpec {
        service: "webdav".into(),
        config,
        shown: redact(location),
        connections: opts.connections,
        atomic_put: false,
    })
}

/// Object stores whose PUT replaces an object atomically.
const OBJECT_STORES: &[&str] = &["s3", "gcs", "azblob", "b2", "oss", "obs", "cos"];

fn generic(location: &str, service: &str, opts: &Options) -> Result<RemoteSpec> {
    if service.is_empty()
        || !service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(bad(
            location,
            "write opendal:SERVICE, with -o opendal.KEY=VALUE options",
        ));
    }
    let config: BTreeMap<String, String> = opts
        .values
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("opendal.")?.to_string(), v.clone())))
        .collect();
    Ok(RemoteSpec {
        service: service.to_string(),
        config,
        shown: location.to_string(),
        connections: opts.connections,
        atomic_put: OBJECT_STORES.contains(&service),
    })
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
mod tests {
    use super::*;

    fn parse(location: &str, pairs: &[&str], env: &[(&str, &str)]) -> Result<Location> {
        let options = BackendOptions::from_pairs(pairs.iter().copied()).unwrap();
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Location::parse_with_env(location, &options, &|k| env.get(k).cloned())
    }

    fn remote(location: &str, pairs: &[&str], env: &[(&str, &str)]) -> RemoteSpec {
        match parse(location, pairs, env).unwrap() {
            Location::Remote(spec) => spec,
            other => panic!("{location} parsed as {other:?}"),
        }
    }

    #[test]
    fn paths_are_local_folders() {
        for (text, path) in [
            ("/mnt/disk/photos", "/mnt/disk/photos"),
            ("relative/repo", "relative/repo"),
            ("local:/mnt/x", "/mnt/x"),
            ("C:/odd but local", "C:/odd but local"),
        ] {
            assert_eq!(
                parse(text, &[], &[]).unwrap(),
                Location::Local(PathBuf::from(path))
            );
        }
    }

    #[test]
    fn sftp_takes_scp_and_url_forms() {
        let spec = remote("sftp:ann@nas:/srv/photos", &[], &[]);
        assert_eq!(spec.service, "sftp");
        assert_eq!(spec.config["endpoint"], "ann@nas");
        assert_eq!(spec.config["root"], "/srv/photos");
        assert_eq!(spec.config["known_hosts_strategy"], "strict");
        assert!(!spec.atomic_put);

        let spec = remote(
            "sftp://ann@nas:2222/srv/photos",
            &["sftp.key=/k", "connections=3"],
            &[],
        );
        assert_eq!(spec.config["endpoint"], "ssh://ann@nas:2222");
        assert_eq!(spec.config["root"], "/srv/photos");
        assert_eq!(spec.config["key"], "/k");
        assert_eq!(spec.connections, 3);

        assert!(parse("sftp:nas:relative/path", &[], &[]).is_err());
        assert!(parse("sftp:nas", &[], &[]).is_err());
        assert!(parse("sftp:nas:/x", &["sftp.known-hosts=maybe"], &[]).is_err());
    }

    #[test]
    fn s3_takes_endpoints_buckets_prefixes_and_the_aws_environment() {
        let env = [
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "very secret"),
            ("AWS_DEFAULT_REGION", "garage"),
        ];
        let spec = remote("s3:http://127.0.0.1:3900/photos/laptop/2024", &[], &env);
        assert_eq!(spec.config["endpoint"], "http://127.0.0.1:3900");
        assert_eq!(spec.config["bucket"], "photos");
        assert_eq!(spec.config["root"], "/laptop/2024");
        assert_eq!(spec.config["region"], "garage");
        assert_eq!(spec.config["access_key_id"], "AKID");
        assert!(!spec.config.contains_key("enable_virtual_host_style"));
        assert!(spec.atomic_put);
        assert!(!format!("{spec:?}").contains("very secret"));
        assert!(!spec.shown.contains("very secret"));

        let spec = remote(
            "s3:s3.amazonaws.com/photos",
            &[],
            &[("AWS_REGION", "eu-west-1")],
        );
        assert!(!spec.config.contains_key("endpoint"));
        assert_eq!(spec.config["region"], "eu-west-1");
        assert_eq!(spec.config["enable_virtual_host_style"], "true");
        assert_eq!(spec.config["root"], "/");

        let spec = remote(
            "s3:minio.lan:9000/b",
            &["s3.region=x", "s3.bucket-lookup=dns"],
            &[],
        );
        assert_eq!(spec.config["endpoint"], "https://minio.lan:9000");
        assert_eq!(spec.config["region"], "x");
        assert_eq!(spec.config["enable_virtual_host_style"], "true");

        assert!(parse("s3:http://host", &[], &[]).is_err());
        assert!(parse("s3:ftp://host/b", &[], &[]).is_err());
        assert!(parse("s3:http://key:secret@host/b", &[], &[])
            .is_err_and(|e| !e.to_string().contains("secret@")));
    }

    #[test]
    fn webdav_credentials_come_from_the_url_or_the_environment_and_are_never_shown() {
        let spec = remote(
            "webdav:https://ann:hunter2@dav.example/backups/photos",
            &[],
            &[],
        );
        assert_eq!(spec.config["endpoint"], "https://dav.example");
        assert_eq!(spec.config["root"], "/backups/photos");
        assert_eq!(spec.config["username"], "ann");
        assert_eq!(spec.config["password"], "hunter2");
        assert_eq!(spec.shown, "webdav:https://ann@dav.example/backups/photos");

        let spec = remote(
            "webdav:http://127.0.0.1:8080/",
            &[],
            &[("PVAULT_WEBDAV_USER", "u"), ("PVAULT_WEBDAV_PASSWORD", "p")],
        );
        assert_eq!(spec.config["username"], "u");
        assert_eq!(spec.config["password"], "p");
    }

    #[test]
    fn any_opendal_service_takes_its_configuration_from_options() {
        let spec = remote(
            "opendal:b2",
            &[
                "opendal.bucket=photos",
                "opendal.application_key=env:B2_KEY",
                "connections=8",
            ],
            &[("B2_KEY", "k")],
        );
        assert_eq!(spec.service, "b2");
        assert_eq!(spec.config["bucket"], "photos");
        assert_eq!(spec.config["application_key"], "k");
        assert_eq!(spec.connections, 8);
        assert!(spec.atomic_put);
        assert!(parse("opendal:b2", &["opendal.application_key=env:MISSING"], &[]).is_err());
    }

    #[test]
    fn unknown_schemes_and_bad_options_are_refused_by_name() {
        let e = parse("ftp://host/x", &[], &[]).unwrap_err().to_string();
        assert!(e.contains("'ftp://'"), "{e}");
        let e = parse("rest:http://host/", &[], &[])
            .unwrap_err()
            .to_string();
        assert!(e.contains("opendal:SERVICE"), "{e}");
        assert!(parse("", &[], &[]).is_err());
        assert!(parse("/x", &["connections=0"], &[]).is_err());
        assert!(BackendOptions::from_pairs(["novalue"]).is_err());
    }
}
