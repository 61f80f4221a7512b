//! The 3-2-1 routine: profiles, `run`, `status`, alerts and schedules. Each test builds a
//! small photo folder and a profile in a scratch `$XDG_CONFIG_HOME`, with its own
//! `$XDG_STATE_HOME`, so nothing of the user's is read or written.

mod alerts;
mod cli;
mod profile;
mod remote;
mod run;
mod schedule;
mod status;

use std::fs;
use std::path::PathBuf;

use crate::support::*;

/// A scratch set-up: photos, a password file, config and state folders, and a runner
/// without `-r` whose environment points at them.
pub struct Setup {
    pub s: Scratch,
    pub pv: Pvault,
    pub photos: PathBuf,
    pub password_file: PathBuf,
}

impl Setup {
    pub fn new() -> Self {
        let s = Scratch::new();
        let photos = s.path("Photos");
        for i in 0..6u64 {
            let sub = photos.join(["2023", "2024"][(i % 2) as usize]);
            fs::create_dir_all(&sub).unwrap();
            write_random_file(
                &sub.join(format!("IMG_{i:04}.JPG")),
                20_000 + i * 7_000,
                40 + i,
            );
        }
        let password_file = s.path("password");
        fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
        fs::create_dir_all(s.path("config/photovault")).unwrap();
        let pv =
            s.pv.without_repo_flag()
                .with_password(None)
                .with_env("XDG_CONFIG_HOME", s.path("config"))
                .with_env("XDG_STATE_HOME", s.path("state"));
        Setup {
            s,
            pv,
            photos,
            password_file,
        }
    }

    /// Writes `config/photovault/NAME.toml`; returns its path.
    pub fn profile(&self, name: &str, text: &str) -> PathBuf {
        let path = self.s.path(&format!("config/photovault/{name}.toml"));
        fs::write(&path, text).unwrap();
        path
    }

    /// A profile with a primary disk repository `disk` and `cloud`, a second local folder
    /// marked as an off-site cloud, both with the test password; `extra` is appended.
    pub fn two_local(&self, extra: &str) -> PathBuf {
        let text = format!(
            r#"[source]
paths = ["{photos}"]
host = "testhost"

[repositories.disk]
location = "{disk}"
password-file = "{pw}"
medium = "disk"
primary = true

[repositories.cloud]
location = "{cloud}"
password-file = "{pw}"
medium = "cloud"
offsite = true
{extra}"#,
            photos = self.photos.display(),
            disk = self.s.path("disk").display(),
            cloud = self.s.path("cloud").display(),
            pw = self.password_file.display(),
        );
        self.profile("photos", &text)
    }

    /// `pvault -P PROFILE --repo-name NAME init` with cheap Argon2.
    pub fn init(&self, profile: &str, repo: &str) {
        self.pv.ok(["-P", profile, "--repo-name", repo, "init"]
            .iter()
            .chain(&FAST_KDF));
    }

    /// The profile's state file.
    pub fn state_file(&self, profile: &str) -> PathBuf {
        self.s
            .path(&format!("state/photovault/{profile}/state.json"))
    }
}

/// The 1-based line of `needle` in `text`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in the profile"))
        + 1
}
