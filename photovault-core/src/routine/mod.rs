//! The 3-2-1 routine: one profile file describes the user's sources and repositories, and
//! [`run`] does the whole job (back up, copy to the other repositories, apply retention,
//! prune when due, verify a slice), [`status`] tells from the snapshots alone whether every
//! file has three copies on two kinds of medium with one off-site, and [`alert`] tells
//! someone when that stops being so. `pvault run`, `pvault status`, `pvault profile check`
//! and `pvault schedule` are thin layers over this module; other programs can embed it.
//!
//! Needs the cargo feature `routine`.

pub mod alert;
mod duration;
mod error;
pub mod open;
pub mod profile;
pub mod run;
pub mod schedule;
mod secret;
pub mod state;
pub mod status;

use std::path::{Path, PathBuf};

pub use duration::Age;
pub use error::{Mistake, ProfileError};
pub use open::{check_access, open_repository, Access, RepositoryFailure};
pub use profile::{Profile, RepositoryProfile};
pub use secret::PasswordSource;

/// The folder profiles are looked for in: `$XDG_CONFIG_HOME/photovault`.
pub fn profile_dir() -> PathBuf {
    dirs::config_dir()
        .or_else(|| dirs::home_dir().map(|h| h.join(".config")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("photovault")
}

/// The file of the profile `spec`: a path (it has a `/` or ends in `.toml`), or a name
/// looked up as `$XDG_CONFIG_HOME/photovault/NAME.toml`.
pub fn find_profile(spec: &str) -> Result<PathBuf, ProfileError> {
    let as_path = Path::new(spec);
    if spec.contains('/') || spec.ends_with(".toml") {
        if as_path.is_file() {
            return Ok(as_path.to_path_buf());
        }
        return Err(ProfileError::NotFound {
            name: spec.to_string(),
            looked: vec![as_path.to_path_buf()],
        });
    }
    let file = profile_dir().join(format!("{spec}.toml"));
    if file.is_file() {
        Ok(file)
    } else {
        Err(ProfileError::NotFound {
            name: spec.to_string(),
            looked: vec![file],
        })
    }
}

/// Finds and loads the profile `spec` (see [`find_profile`]).
pub fn load_profile(spec: &str) -> Result<Profile, ProfileError> {
    Profile::load(&find_profile(spec)?)
}
