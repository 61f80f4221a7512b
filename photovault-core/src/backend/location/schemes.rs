//! One parser per kind of location (`sftp:`, `s3:`, `webdav:`, `opendal:`), each turning the
//! text after its prefix and the `-o` options into the service and configuration opendal
//! opens, with every mistake named against the location as the user typed it.

use std::collections::BTreeMap;

use super::{bad, redact, BackendOptions, RemoteSpec, DEFAULT_CONNECTIONS};
use crate::error::{Error, Result};

/// The `-o` options, with `env:NAME` values resolved.
pub(super) struct Options {
    values: BTreeMap<String, String>,
    connections: usize,
}

impl Options {
    pub(super) fn new(
        options: &BackendOptions,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self> {
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

pub(super) fn sftp(location: &str, rest: &str, opts: &Options) -> Result<RemoteSpec> {
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

pub(super) fn s3(
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

pub(super) fn webdav(
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

pub(super) fn generic(location: &str, service: &str, opts: &Options) -> Result<RemoteSpec> {
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
