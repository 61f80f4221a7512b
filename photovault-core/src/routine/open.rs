//! Opening a profile's repository: its location with its options and environment, its
//! password from its source, and errors that name the repository, so that a user with
//! three repositories knows which one is unreachable or has the wrong password.

use serde::Serialize;

use super::profile::RepositoryProfile;
use crate::backend::{BackendOptions, FileKind, Location};
use crate::error::Error;
use crate::repository::{OpenOptions, Repository};

/// A repository of a profile that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("repository '{repository}' ({location}): {message}")]
pub struct RepositoryFailure {
    /// Its name in the profile.
    pub repository: String,
    /// Its location.
    pub location: String,
    /// What was being done: `open`, `password`, `backup`, `copy`, `retention`, `prune`, `verify`.
    pub stage: String,
    /// What went wrong, and what to do.
    pub message: String,
    /// The exit code `pvault` would give for it alone (10 no repository, 12 wrong password…).
    pub code: i32,
}

impl RepositoryFailure {
    /// A failure of `repo` at `stage`.
    pub fn new(repo: &RepositoryProfile, stage: &str, message: String, code: i32) -> Self {
        RepositoryFailure {
            repository: repo.name.clone(),
            location: repo.location.clone(),
            stage: stage.into(),
            message,
            code,
        }
    }

    /// A library error of `repo` at `stage`, with advice where there is an obvious fix.
    pub fn from_error(repo: &RepositoryProfile, stage: &str, e: &Error) -> Self {
        let advice = match e {
            Error::RepositoryNotFound { .. } => {
                format!(
                    "; create it with `pvault -P PROFILE --repo-name {} init`",
                    repo.name
                )
            }
            Error::WrongPassword => {
                format!(" (the password came from {})", repo.password.describe())
            }
            Error::Locked { .. } => {
                "; if no other pvault is running, `pvault unlock` removes stale locks".into()
            }
            _ => String::new(),
        };
        Self::new(repo, stage, format!("{e}{advice}"), e.exit_code())
    }
}

/// The backend of `repo`, unopened: for `init`, and for [`open_repository`].
pub fn repository_backend(
    repo: &RepositoryProfile,
    extra: &BackendOptions,
) -> Result<std::sync::Arc<dyn crate::backend::Backend>, RepositoryFailure> {
    let options = repo.backend_options(extra);
    Location::parse_with_env(&repo.location, &options, &|k| repo.env_var(k))
        .and_then(|l| l.open(&options))
        .map_err(|e| RepositoryFailure::from_error(repo, "open", &e))
}

/// Opens `repo` with its password; `extra` are `-o` options on top of the profile's.
pub fn open_repository(
    repo: &RepositoryProfile,
    extra: &BackendOptions,
    open: &OpenOptions,
) -> Result<Repository, RepositoryFailure> {
    let backend = repository_backend(repo, extra)?;
    // "No repository" before the password: asking a password command for nothing is rude.
    match backend.list(FileKind::Config) {
        Ok(c) if c.is_empty() => {
            return Err(RepositoryFailure::from_error(
                repo,
                "open",
                &Error::RepositoryNotFound {
                    location: backend.location(),
                },
            ))
        }
        Ok(_) => {}
        Err(e) => {
            return Err(RepositoryFailure::new(
                repo,
                "open",
                format!("cannot be reached: {e}"),
                1,
            ))
        }
    }
    let password = repo
        .password
        .read()
        .map_err(|m| RepositoryFailure::new(repo, "password", m, 1))?;
    Repository::open(backend, &password, open)
        .map_err(|e| RepositoryFailure::from_error(repo, "open", &e))
}

/// What `profile check` found for one repository.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    /// Its name.
    pub repository: String,
    /// Its location.
    pub location: String,
    /// Snapshots in it, when it opened.
    pub snapshots: Option<usize>,
    /// Why it did not.
    pub failure: Option<RepositoryFailure>,
}

/// Opens `repo` read-only (no lock, nothing written to it) and counts its snapshots.
pub fn check_access(
    repo: &RepositoryProfile,
    extra: &BackendOptions,
    open: &OpenOptions,
) -> Access {
    let open = open.clone().no_lock(true);
    let result = open_repository(repo, extra, &open).and_then(|r| {
        r.snapshots()
            .map_err(|e| RepositoryFailure::from_error(repo, "open", &e))
    });
    Access {
        repository: repo.name.clone(),
        location: repo.location.clone(),
        snapshots: result.as_ref().ok().map(Vec::len),
        failure: result.err(),
    }
}
