//! The snapshot's root: the backed-up paths laid out under their absolute parents, the way
//! restic lays them out, so that `/home/ann/Photos` is found at `home/ann/Photos` in the
//! snapshot and restores to `TARGET/home/ann/Photos`.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use super::archiver::Archiver;
use crate::error::{Error, Result};
use crate::format::tree::{Node, NodeKind, Tree};
use crate::id::BlobId;
use crate::source::node_from_metadata;

/// Absolute, lexically normalised, existing, sorted paths, none inside another.
pub(super) fn absolute_sources(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if paths.is_empty() {
        return Err(Error::InvalidArgument(
            "nothing to back up: give at least one path".into(),
        ));
    }
    let mut out = Vec::new();
    for p in paths {
        let abs = std::path::absolute(p).map_err(|e| Error::Source {
            path: p.clone(),
            source: e,
        })?;
        let mut clean = PathBuf::from("/");
        for c in abs.components() {
            match c {
                Component::Normal(n) => clean.push(n),
                Component::ParentDir => {
                    clean.pop();
                }
                _ => {}
            }
        }
        fs::symlink_metadata(&clean).map_err(|e| Error::Source {
            path: clean.clone(),
            source: e,
        })?;
        out.push(clean);
    }
    out.sort();
    out.dedup();
    let mut kept: Vec<PathBuf> = Vec::new();
    for p in out {
        if !kept.iter().any(|k| p.starts_with(k)) {
            kept.push(p);
        }
    }
    Ok(kept)
}

enum Entry {
    Virtual(BTreeMap<Vec<u8>, Entry>),
    Source(PathBuf),
}

/// Archives every source and returns the root tree's id.
pub(super) fn archive_roots(
    archiver: &Archiver<'_>,
    sources: &[PathBuf],
    parent: Option<&Tree>,
) -> Result<BlobId> {
    if sources.len() == 1 && sources[0] == Path::new("/") {
        return archiver
            .archive_dir_tree(Path::new("/"), parent, false)?
            .ok_or_else(|| Error::Source {
                path: "/".into(),
                source: std::io::Error::other("the root folder cannot be listed"),
            });
    }
    let mut root: BTreeMap<Vec<u8>, Entry> = BTreeMap::new();
    for source in sources {
        let names: Vec<Vec<u8>> = source
            .components()
            .filter_map(|c| match c {
                Component::Normal(n) => Some(n.as_bytes().to_vec()),
                _ => None,
            })
            .collect();
        let mut level = &mut root;
        for (i, name) in names.iter().enumerate() {
            if i + 1 == names.len() {
                level.insert(name.clone(), Entry::Source(source.clone()));
            } else {
                let entry = level
                    .entry(name.clone())
                    .or_insert_with(|| Entry::Virtual(BTreeMap::new()));
                level = match entry {
                    Entry::Virtual(children) => children,
                    Entry::Source(_) => unreachable!("sources inside other sources were removed"),
                };
            }
        }
    }
    archive_level(archiver, Path::new("/"), &root, parent)
}

fn archive_level(
    archiver: &Archiver<'_>,
    at: &Path,
    level: &BTreeMap<Vec<u8>, Entry>,
    parent: Option<&Tree>,
) -> Result<BlobId> {
    let mut nodes = Vec::new();
    for (name, entry) in level {
        let parent_node = parent.and_then(|t| t.get(name));
        let path = at.join(std::ffi::OsStr::from_bytes(name));
        match entry {
            Entry::Source(source) => {
                if let Some(node) =
                    archiver.archive_path(source, name.clone(), parent_node, false)?
                {
                    nodes.push(node);
                }
            }
            Entry::Virtual(children) => {
                // A parent of a backed-up path is recorded as the folder it leads to, even
                // when it is reached through a symlink.
                let meta = fs::metadata(&path).map_err(|e| Error::Source {
                    path: path.clone(),
                    source: e,
                })?;
                let mut node: Node =
                    node_from_metadata(name.clone(), &meta).map_err(|reason| Error::Source {
                        path: path.clone(),
                        source: std::io::Error::other(reason),
                    })?;
                node.kind = NodeKind::Dir;
                node.mode = (node.mode & 0o7777) | libc::S_IFDIR;
                let parent_subtree = match parent_node {
                    Some(Node {
                        kind: NodeKind::Dir,
                        subtree: Some(id),
                        ..
                    }) => archiver.read_parent_tree(id),
                    _ => None,
                };
                node.subtree = Some(archive_level(
                    archiver,
                    &path,
                    children,
                    parent_subtree.as_ref(),
                )?);
                nodes.push(node);
            }
        }
    }
    archiver.save_tree(at, &Tree { nodes })
}
