//! What can be wrong with a profile, said with the file, the line and the key, so that the
//! user can go straight to it.

use std::fmt;
use std::path::{Path, PathBuf};

/// A profile that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// No file for the name.
    #[error("no profile '{name}': looked for {}; write one (see README, \"Protect a photo library in five minutes\") or give a path", looked.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and "))]
    NotFound {
        /// The name asked for.
        name: String,
        /// Where it was looked for.
        looked: Vec<PathBuf>,
    },
    /// The file cannot be read.
    #[error("cannot read profile {}: {message}", file.display())]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// Why.
        message: String,
    },
    /// A mistake in the file, placed.
    #[error("{0}")]
    Invalid(Box<Mistake>),
    /// `--repo-name` names no repository of the profile.
    #[error("profile '{profile}' has no repository '{name}'; it has: {}", known.join(", "))]
    NoSuchRepository {
        /// The profile.
        profile: String,
        /// The name asked for.
        name: String,
        /// The names it has.
        known: Vec<String>,
    },
}

/// Where a mistake is in a profile, and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mistake {
    /// The file.
    pub file: PathBuf,
    /// Its line (1-based), when known.
    pub line: Option<usize>,
    /// Its column (1-based), when known.
    pub column: Option<usize>,
    /// The table (`repositories.cloud`), empty for the top level.
    pub table: String,
    /// The key, when known.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": ")?;
        match (self.table.is_empty(), self.key.is_empty()) {
            (true, true) => {}
            (true, false) => write!(f, "key '{}': ", self.key)?,
            (false, true) => write!(f, "[{}]: ", self.table)?,
            (false, false) => write!(f, "[{}] key '{}': ", self.table, self.key)?,
        }
        write!(f, "{}", self.message)
    }
}

impl ProfileError {
    /// A TOML or type error from serde, placed by its byte span.
    pub(crate) fn from_toml(file: &Path, text: &str, e: &toml::de::Error) -> Self {
        let message = e.message().trim().to_string();
        let Some(span) = e.span() else {
            return ProfileError::Invalid(Box::new(Mistake {
                file: file.to_path_buf(),
                line: None,
                column: None,
                table: String::new(),
                key: String::new(),
                message,
            }));
        };
        let start = span.start.min(text.len());
        let line_start = text[..start].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        let line_text = text[line_start..].lines().next().unwrap_or("");
        let (mut table, mut key) = (String::new(), String::new());
        for l in text[..line_start].lines() {
            if let Some(h) = header(l) {
                table = h;
            }
        }
        if let Some(h) = header(line_text) {
            table = h;
        } else if let Some(k) = key_of(line_text) {
            key = k;
        }
        // serde names the missing field but points at the table: say which.
        if key.is_empty() {
            if let Some(k) = message
                .strip_prefix("missing field `")
                .and_then(|m| m.split('`').next())
            {
                key = k.to_string();
            }
        }
        ProfileError::Invalid(Box::new(Mistake {
            file: file.to_path_buf(),
            line: Some(line),
            column: Some(column),
            table,
            key,
            message,
        }))
    }

    /// A mistake found after parsing, in `key` of `table`: its line is looked up.
    pub(crate) fn invalid(
        file: &Path,
        text: &str,
        table: &str,
        key: &str,
        message: String,
    ) -> Self {
        let mut current = String::new();
        let mut table_line = None;
        let mut found = None;
        for (i, l) in text.lines().enumerate() {
            if let Some(h) = header(l) {
                current = h;
                if current == table && table_line.is_none() {
                    table_line = Some(i + 1);
                }
                continue;
            }
            if current == table && !key.is_empty() && key_of(l).as_deref() == Some(key) {
                found = Some(i + 1);
                break;
            }
        }
        ProfileError::Invalid(Box::new(Mistake {
            file: file.to_path_buf(),
            line: found.or(table_line),
            column: None,
            table: table.to_string(),
            key: key.to_string(),
            message,
        }))
    }
}

/// `[a.b]` or `[[a.b]]` → `a.b`.
fn header(line: &str) -> Option<String> {
    let t = line.split('#').next().unwrap_or("").trim();
    let inner = t.strip_prefix('[')?.strip_suffix(']')?;
    let inner = inner.trim_start_matches('[').trim_end_matches(']');
    Some(
        inner
            .split('.')
            .map(|p| p.trim().trim_matches('"'))
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// `key = value` → `key`.
fn key_of(line: &str) -> Option<String> {
    let (k, _) = line.split_once('=')?;
    let k = k.trim().trim_matches('"');
    (!k.is_empty() && !k.starts_with('#')).then(|| k.to_string())
}
