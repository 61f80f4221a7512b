//! Repositories on network stores: SFTP, S3 and WebDAV servers that `.ci/servers.sh`
//! starts on loopback, found through `PVAULT_TEST_*` variables. Where a server is absent the
//! tests that need it say so loudly and pass without running, so that `cargo test` still
//! works on a laptop; CI always has them.

mod bad_input;
mod conformance;
mod faults;
mod outages;
mod relay;
mod repair;
mod round_trip;
mod ssh_processes;
mod traffic;

use std::collections::BTreeMap;
use std::sync::Arc;

use photovault_core::backend::{Backend, BackendOptions, Location, RetryPolicy};

use crate::support::{Pvault, Scratch, PASSWORD};

/// A server the tests can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    Sftp,
    S3,
    WebDav,
}

impl Server {
    fn base_variable(self) -> &'static str {
        match self {
            Server::Sftp => "PVAULT_TEST_SFTP_BASE",
            Server::S3 => "PVAULT_TEST_S3_BASE",
            Server::WebDav => "PVAULT_TEST_WEBDAV_BASE",
        }
    }

    /// The server's base location, or `None` after a loud notice that the test is skipped.
    pub fn base(self) -> Option<String> {
        let found = std::env::var(self.base_variable()).ok();
        if found.is_none() {
            eprintln!(
                "\n*** SKIPPED: no {self:?} server ({} is not set). Start the test servers with \
                 `.ci/servers.sh start` and source the env file it prints. ***\n",
                self.base_variable()
            );
        }
        found
    }

    /// Credentials the server needs, as environment variables of a `pvault` run.
    pub fn env(self) -> Vec<(String, String)> {
        let var = |name: &str| std::env::var(name).unwrap_or_default();
        match self {
            Server::Sftp => Vec::new(),
            Server::S3 => vec![
                ("AWS_ACCESS_KEY_ID".into(), var("PVAULT_TEST_S3_ACCESS_KEY")),
                (
                    "AWS_SECRET_ACCESS_KEY".into(),
                    var("PVAULT_TEST_S3_SECRET_KEY"),
                ),
                ("AWS_DEFAULT_REGION".into(), var("PVAULT_TEST_S3_REGION")),
            ],
            Server::WebDav => vec![
                ("PVAULT_WEBDAV_USER".into(), var("PVAULT_TEST_WEBDAV_USER")),
                (
                    "PVAULT_WEBDAV_PASSWORD".into(),
                    var("PVAULT_TEST_WEBDAV_PASSWORD"),
                ),
            ],
        }
    }

    /// A fresh, empty repository location on the server, unique to this call.
    pub fn fresh_location(self, label: &str) -> Option<String> {
        let base = self.base()?;
        let mut suffix = [0u8; 6];
        getrandom(&mut suffix);
        Some(format!(
            "{}/{label}-{}",
            base.trim_end_matches('/'),
            hex::encode(suffix)
        ))
    }

    /// The backend of `location` as the library opens it, with this server's credentials.
    pub fn open(self, location: &str, retry: RetryPolicy) -> Arc<dyn Backend> {
        let env: BTreeMap<String, String> = self.env().into_iter().collect();
        let mut options = BackendOptions::default();
        options.retry = Some(retry);
        Location::parse_with_env(location, &options, &|k| env.get(k).cloned())
            .and_then(|l| l.open(&options))
            .unwrap_or_else(|e| panic!("open {location}: {e}"))
    }

    /// A `pvault` runner for `location`, with its credentials and a scratch cache.
    pub fn pvault(self, scratch: &Scratch, location: &str) -> Pvault {
        let mut pv = Pvault::new(
            env!("CARGO_BIN_EXE_pvault"),
            location,
            scratch.path("cache"),
            PASSWORD,
        );
        for (key, value) in self.env() {
            pv = pv.with_env(key, value);
        }
        pv
    }
}

fn getrandom(bytes: &mut [u8]) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let mixed = blake3::hash(
        &[
            nanos.to_le_bytes().as_slice(),
            &std::process::id().to_le_bytes(),
            &COUNTER
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .to_le_bytes(),
        ]
        .concat(),
    );
    bytes.copy_from_slice(&mixed.as_bytes()[..bytes.len()]);
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
