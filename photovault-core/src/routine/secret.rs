//! Where a repository's password comes from. A profile names a source, never (unless the
//! user insists with `allow-password-in-profile = true`) the password itself, so that the
//! profile can be shared, kept in a dotfiles repository, or printed in a bug report.

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// One of `password-file`, `password-command`, `password-env` or `password`.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PasswordSource {
    /// The first line of this file.
    File(PathBuf),
    /// The first line this command (run by `sh -c`) prints, like `pass show photovault`.
    Command(String),
    /// This environment variable.
    Env(String),
    /// Written in the profile (`allow-password-in-profile = true`).
    Inline(String),
}

impl std::fmt::Debug for PasswordSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordSource::Inline(_) => write!(f, "Inline(<hidden>)"),
            other => write!(f, "{}", other.describe()),
        }
    }
}

impl PasswordSource {
    /// The source from the profile's keys; an error names the key to fix.
    pub(crate) fn from_keys(
        file: Option<PathBuf>,
        command: Option<String>,
        env: Option<String>,
        inline: Option<String>,
        allow_inline: bool,
    ) -> Result<Self, (&'static str, String)> {
        if inline.is_some() && !allow_inline {
            return Err((
                "password",
                "a password written in the profile is readable by anyone who reads the file: use password-file, password-command or password-env (or add allow-password-in-profile = true if you really mean it)".into(),
            ));
        }
        let given = [
            file.is_some(),
            command.is_some(),
            env.is_some(),
            inline.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if given > 1 {
            return Err((
                "password-file",
                "give only one of password-file, password-command, password-env and password"
                    .into(),
            ));
        }
        if let Some(file) = file {
            return Ok(PasswordSource::File(file));
        }
        if let Some(command) = command {
            return Ok(PasswordSource::Command(command));
        }
        if let Some(env) = env {
            return Ok(PasswordSource::Env(env));
        }
        match inline {
            Some(p) => Ok(PasswordSource::Inline(p)),
            None => Err((
                "password-file",
                "say where the password comes from: password-file, password-command or password-env".into(),
            )),
        }
    }

    /// What the source is, for messages (never the password).
    pub fn describe(&self) -> String {
        match self {
            PasswordSource::File(p) => format!("password file {}", p.display()),
            PasswordSource::Command(c) => format!("password command `{c}`"),
            PasswordSource::Env(v) => format!("environment variable {v}"),
            PasswordSource::Inline(_) => "the password in the profile".into(),
        }
    }

    /// The password; an error says which source failed and how.
    pub fn read(&self) -> Result<Vec<u8>, String> {
        let first_line = |bytes: &[u8]| {
            let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
            line.strip_suffix(b"\r").unwrap_or(line).to_vec()
        };
        match self {
            PasswordSource::File(p) => std::fs::read(p)
                .map(|b| first_line(&b))
                .map_err(|e| format!("cannot read password file {}: {e}", p.display())),
            PasswordSource::Command(c) => {
                let out = Command::new("sh")
                    .arg("-c")
                    .arg(c)
                    .stdin(Stdio::null())
                    .stderr(Stdio::inherit())
                    .output()
                    .map_err(|e| format!("cannot run password command `{c}`: {e}"))?;
                if !out.status.success() {
                    return Err(format!("password command `{c}` failed ({})", out.status));
                }
                Ok(first_line(&out.stdout))
            }
            PasswordSource::Env(v) => std::env::var(v)
                .map(String::into_bytes)
                .map_err(|_| format!("environment variable {v} (the password) is not set")),
            PasswordSource::Inline(p) => Ok(p.clone().into_bytes()),
        }
    }
}
