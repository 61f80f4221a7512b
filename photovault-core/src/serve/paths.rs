//! Paths in requests. A request names a file or folder by its path in the snapshot; before
//! anything is looked up, [`SnapshotPath::parse`] refuses every path that is not a plain
//! sequence of names: `..` and `.` components, NUL, backslashes (a Windows client's
//! separator) and over-long paths. What is left can only name entries of the snapshot's
//! own trees, as [`IndexedRepository::find_path`](crate::IndexedRepository::find_path) walks them.

use super::error::ServeError;

/// Longest path accepted, in bytes.
const MAX_PATH: usize = 4096;

/// A checked path inside a snapshot: names separated by `/`, none of them `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPath {
    components: Vec<String>,
}

impl SnapshotPath {
    /// Checks a path from a request. Empty or `/` is the snapshot's root; repeated and
    /// trailing slashes are ignored.
    pub fn parse(path: &str) -> Result<SnapshotPath, ServeError> {
        let refuse = |why| ServeError::PathRefused {
            path: path.chars().take(200).collect(),
            why,
        };
        if path.len() > MAX_PATH {
            return Err(refuse("it is too long"));
        }
        if path.contains('\0') {
            return Err(refuse("it holds a NUL character"));
        }
        if path.contains('\\') {
            return Err(refuse("it holds a backslash"));
        }
        let mut components = Vec::new();
        for c in path.split('/').filter(|c| !c.is_empty()) {
            if c == "." || c == ".." {
                return Err(refuse("'.' and '..' are not names in a snapshot"));
            }
            components.push(c.to_string());
        }
        Ok(SnapshotPath { components })
    }

    /// The path as [`IndexedRepository::find_path`](crate::IndexedRepository::find_path) takes it:
    /// `/a/b`, or `/` for the root.
    pub fn as_lookup(&self) -> String {
        format!("/{}", self.components.join("/"))
    }

    /// Its names, root first.
    pub fn components(&self) -> &[String] {
        &self.components
    }

    /// The last name (empty for the root).
    pub fn file_name(&self) -> &str {
        self.components.last().map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_are_accepted_and_normalised() {
        let p = SnapshotPath::parse("/home//ann/Photos/").unwrap();
        assert_eq!(p.as_lookup(), "/home/ann/Photos");
        assert_eq!(p.file_name(), "Photos");
        assert_eq!(SnapshotPath::parse("").unwrap().as_lookup(), "/");
        assert_eq!(SnapshotPath::parse("/").unwrap().components().len(), 0);
        // Dots inside names are fine.
        assert!(SnapshotPath::parse("/a/..b/c../.hidden").is_ok());
    }

    #[test]
    fn anything_that_could_leave_the_snapshot_is_refused() {
        for bad in [
            "..",
            "/..",
            "/a/../../etc/passwd",
            "a/./b",
            "/a/b/..",
            "a\\..\\b",
            "a\0b",
        ] {
            let refused = SnapshotPath::parse(bad);
            assert!(
                matches!(refused, Err(ServeError::PathRefused { .. })),
                "{bad:?}: {refused:?}"
            );
        }
        assert!(SnapshotPath::parse(&"a/".repeat(3000)).is_err());
    }
}
