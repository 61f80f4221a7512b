//! Finding entries across snapshots: by name or path pattern and mtime, or, for forensics,
//! by the id of a blob a file holds or of the tree a folder is.
//!
//! Patterns are globs with restic's rules: one without `/` matches an entry's name, one with
//! `/` its whole path (an absolute pattern from the root, a relative one at any depth).

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use globset::{GlobBuilder, GlobMatcher};

use crate::error::{Error, Result};
use crate::format::tree::{Node, NodeKind, Timestamp};
use crate::id::{BlobId, PackId, SnapshotId};
use crate::repository::{IndexedRepository, SnapshotEntry};

/// The fewest hex characters of a blob or tree id that [`FindQuery::blobs`] and
/// [`FindQuery::trees`] accept.
pub const MIN_ID_PREFIX: usize = 8;

/// What to look for ([`IndexedRepository::find`]).
#[derive(Debug, Clone)]
pub struct FindQuery {
    what: Target,
    newest: Option<Timestamp>,
    oldest: Option<Timestamp>,
}

#[derive(Debug, Clone)]
enum Target {
    /// Entries whose name (or, for patterns with `/`, path) matches any pattern.
    Names(Vec<(GlobMatcher, bool)>),
    /// Files holding a blob with one of these id prefixes.
    Blobs(Vec<IdPrefix>),
    /// Folders whose tree has one of these id prefixes.
    Trees(Vec<IdPrefix>),
}

impl FindQuery {
    /// Entries matching any of `patterns` (globs: `*`, `?`, `[...]`, `**` across folders).
    /// Fails with [`Error::BadPattern`] for a pattern that is not a valid glob.
    pub fn names(patterns: &[String], ignore_case: bool) -> Result<FindQuery> {
        let mut matchers = Vec::with_capacity(patterns.len());
        for pattern in patterns {
            let whole_path = pattern.contains('/');
            let glob = if whole_path && !pattern.starts_with('/') {
                format!("**/{pattern}")
            } else {
                pattern.clone()
            };
            let matcher = GlobBuilder::new(&glob)
                .case_insensitive(ignore_case)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| Error::BadPattern {
                    pattern: pattern.clone(),
                    reason: e.kind().to_string(),
                })?
                .compile_matcher();
            matchers.push((matcher, whole_path));
        }
        Ok(Self::new(Target::Names(matchers)))
    }

    /// Files that hold a blob whose id starts with one of `prefixes` (at least
    /// [`MIN_ID_PREFIX`] hex characters); each match names the blob and its pack.
    pub fn blobs(prefixes: &[String]) -> Result<FindQuery> {
        Ok(Self::new(Target::Blobs(parse_prefixes(prefixes)?)))
    }

    /// Folders whose tree id starts with one of `prefixes` (at least [`MIN_ID_PREFIX`] hex
    /// characters); each match names the tree and its pack.
    pub fn trees(prefixes: &[String]) -> Result<FindQuery> {
        Ok(Self::new(Target::Trees(parse_prefixes(prefixes)?)))
    }

    /// Only entries modified at or before `time`.
    pub fn newest(mut self, time: Timestamp) -> Self {
        self.newest = Some(time);
        self
    }

    /// Only entries modified at or after `time`.
    pub fn oldest(mut self, time: Timestamp) -> Self {
        self.oldest = Some(time);
        self
    }

    fn new(what: Target) -> Self {
        FindQuery {
            what,
            newest: None,
            oldest: None,
        }
    }

    fn in_time_range(&self, node: &Node) -> bool {
        self.newest.is_none_or(|t| node.mtime <= t) && self.oldest.is_none_or(|t| node.mtime >= t)
    }
}

/// One entry found.
#[derive(Debug, Clone)]
pub struct FindMatch {
    /// The snapshot it is in.
    pub snapshot: SnapshotId,
    /// Its path there, named as [`IndexedRepository::ls`] names it.
    pub path: PathBuf,
    /// The entry.
    pub node: Node,
    /// For a blob or tree search: the id that matched.
    pub blob: Option<BlobId>,
    /// For a blob or tree search: the pack the index places that blob in (`None` when the
    /// index does not have it).
    pub pack: Option<PackId>,
}

impl IndexedRepository {
    /// Calls `each` for every entry of `snapshots` (in their order) that `query` matches,
    /// depth first in name order within a snapshot. A file holding several matching blobs
    /// is reported once per blob.
    pub fn find(
        &self,
        snapshots: &[SnapshotEntry],
        query: &FindQuery,
        each: &mut dyn FnMut(FindMatch),
    ) -> Result<()> {
        let index = self.index();
        let pack_of = |id: &BlobId| -> Result<Option<PackId>> {
            Ok(index.lookup(id)?.map(|location| location.pack))
        };
        for entry in snapshots {
            let snapshot = entry.id;
            if let Target::Trees(prefixes) = &query.what {
                if prefixes.iter().any(|p| p.matches(&entry.snapshot.tree)) {
                    let root = crate::repository::root_node(entry.snapshot.tree);
                    each(FindMatch {
                        snapshot,
                        path: PathBuf::from("/"),
                        node: root,
                        blob: Some(entry.snapshot.tree),
                        pack: pack_of(&entry.snapshot.tree)?,
                    });
                }
            }
            let mut failed = None;
            self.ls(&entry.snapshot, "/", &mut |listed| {
                if failed.is_some() || !query.in_time_range(&listed.node) {
                    return;
                }
                let node = &listed.node;
                let ids: Vec<BlobId> = match &query.what {
                    Target::Names(matchers) => {
                        let name = OsStr::from_bytes(&node.name);
                        if matchers.iter().any(|(m, whole_path)| {
                            if *whole_path {
                                m.is_match(&listed.path)
                            } else {
                                m.is_match(name)
                            }
                        }) {
                            each(FindMatch {
                                snapshot,
                                path: listed.path,
                                node: listed.node,
                                blob: None,
                                pack: None,
                            });
                        }
                        return;
                    }
                    Target::Blobs(prefixes) if node.kind == NodeKind::File => {
                        let mut ids: Vec<BlobId> = node
                            .content
                            .iter()
                            .filter(|id| prefixes.iter().any(|p| p.matches(id)))
                            .copied()
                            .collect();
                        ids.dedup();
                        ids
                    }
                    Target::Trees(prefixes) => node
                        .subtree
                        .filter(|id| {
                            node.kind == NodeKind::Dir && prefixes.iter().any(|p| p.matches(id))
                        })
                        .into_iter()
                        .collect(),
                    Target::Blobs(_) => return,
                };
                for id in ids {
                    match pack_of(&id) {
                        Ok(pack) => each(FindMatch {
                            snapshot,
                            path: listed.path.clone(),
                            node: listed.node.clone(),
                            blob: Some(id),
                            pack,
                        }),
                        Err(e) => {
                            failed = Some(e);
                            return;
                        }
                    }
                }
            })?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Ok(())
    }
}

/// The leading hex characters of an id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IdPrefix {
    /// The whole bytes the prefix gives.
    bytes: Vec<u8>,
    /// The high nibble of the next byte, for a prefix of odd length.
    nibble: Option<u8>,
}

impl IdPrefix {
    fn parse(text: &str) -> Result<IdPrefix> {
        let bad =
            |why: &str| Error::InvalidArgument(format!("'{text}' is not a blob or tree id: {why}"));
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("ids are hex"));
        }
        if text.len() < MIN_ID_PREFIX || text.len() > 64 {
            return Err(bad(&format!(
                "give between {MIN_ID_PREFIX} and 64 hex characters"
            )));
        }
        let even = text.len() / 2 * 2;
        let bytes = hex::decode(&text[..even]).map_err(|_| bad("ids are hex"))?;
        let nibble = text[even..]
            .chars()
            .next()
            .and_then(|c| c.to_digit(16))
            .map(|d| d as u8);
        Ok(IdPrefix { bytes, nibble })
    }

    fn matches(&self, id: &BlobId) -> bool {
        let raw = id.as_bytes();
        raw.starts_with(&self.bytes)
            && self
                .nibble
                .is_none_or(|n| raw.get(self.bytes.len()).is_some_and(|b| b >> 4 == n))
    }
}

fn parse_prefixes(texts: &[String]) -> Result<Vec<IdPrefix>> {
    texts.iter().map(|t| IdPrefix::parse(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_prefix_matches_by_whole_bytes_and_a_last_nibble() {
        let id = BlobId::from_hex(&format!("abcdef0123{}", "0".repeat(54))).unwrap();
        assert!(IdPrefix::parse("abcdef01").unwrap().matches(&id));
        assert!(IdPrefix::parse("ABCDEF012").unwrap().matches(&id));
        assert!(!IdPrefix::parse("abcdef013").unwrap().matches(&id));
        assert!(IdPrefix::parse(&id.to_hex()).unwrap().matches(&id));
    }

    #[test]
    fn short_or_non_hex_prefixes_are_refused() {
        assert!(IdPrefix::parse("abcdef0").is_err());
        assert!(IdPrefix::parse("abcdefgh").is_err());
        assert!(IdPrefix::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn a_bad_glob_is_named() {
        match FindQuery::names(&["IMG_[0-9.jpg".into()], false) {
            Err(Error::BadPattern { pattern, .. }) => assert_eq!(pattern, "IMG_[0-9.jpg"),
            other => panic!("{other:?}"),
        }
    }
}
