//! Path patterns, for `backup --exclude` and `restore --include`.
//!
//! A pattern without `/` matches a file or folder name anywhere (`*.tmp`, `.DS_Store`); a
//! pattern with `/` matches the whole absolute path (for restore: the path inside the snapshot) (`/home/*/Photos/cache`, `**/Previews`).
//! `*` and `?` stay within one path component; `**` crosses them. An excluded folder is not
//! entered; an included folder brings everything below it.

use std::path::Path;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::{Error, Result};

/// A compiled set of patterns.
#[derive(Debug, Clone)]
pub struct PathPatterns {
    by_name: GlobSet,
    by_path: GlobSet,
    empty: bool,
}

impl PathPatterns {
    /// Compiles `patterns`; an invalid one is an error naming it.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self> {
        let mut by_name = GlobSetBuilder::new();
        let mut by_path = GlobSetBuilder::new();
        for p in patterns {
            let p = p.as_ref();
            let glob = GlobBuilder::new(p)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| Error::InvalidArgument(format!("invalid pattern '{p}': {e}")))?;
            if p.contains('/') {
                by_path.add(glob);
            } else {
                by_name.add(glob);
            }
        }
        let build =
            |b: GlobSetBuilder| b.build().map_err(|e| Error::InvalidArgument(e.to_string()));
        Ok(PathPatterns {
            by_name: build(by_name)?,
            by_path: build(by_path)?,
            empty: patterns.is_empty(),
        })
    }

    /// Whether no pattern was given.
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// Whether `path` (absolute) matches a pattern.
    pub fn matches(&self, path: &Path) -> bool {
        if self.empty {
            return false;
        }
        if let Some(name) = path.file_name() {
            if self.by_name.is_match(Path::new(name)) {
                return true;
            }
        }
        self.by_path.is_match(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_anywhere_and_paths_match_whole() {
        let ex = PathPatterns::new(&["*.tmp", "/data/*/cache", "**/Previews"]).unwrap();
        assert!(ex.matches(Path::new("/a/b/x.tmp")));
        assert!(!ex.matches(Path::new("/a/b/x.jpg")));
        assert!(ex.matches(Path::new("/data/ann/cache")));
        assert!(!ex.matches(Path::new("/data/ann/sub/cache")));
        assert!(ex.matches(Path::new("/home/ann/Lib/Previews")));
        assert!(PathPatterns::new(&["a["]).is_err());
    }
}
