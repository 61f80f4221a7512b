//! A selection (files and folders of one snapshot) as the list of files a zip archive or
//! a restore takes, with the names they get in the archive.

use std::sync::Arc;

use super::error::ServeError;
use super::paths::SnapshotPath;
use crate::browse::Browser;
use crate::format::snapshot::Snapshot;
use crate::format::tree::{Node, NodeKind};

/// The most files one selection may expand to.
pub const MAX_SELECTED_FILES: usize = 200_000;

/// A file of a selection.
#[derive(Debug, Clone)]
pub struct Selected {
    /// Its name in the archive: a selected file's own name, or a selected folder's name
    /// then the path below it (`Photos/2021/a.jpg`).
    pub archive_name: String,
    /// The file.
    pub node: Arc<Node>,
}

/// The files of `paths` in `snapshot`: selected files, and every file below selected
/// folders (symlinks are left out). Fails on the first path not in the snapshot.
pub fn expand_selection(
    browser: &Browser,
    snapshot: &Snapshot,
    paths: &[SnapshotPath],
) -> Result<Vec<Selected>, ServeError> {
    let mut out = Vec::new();
    for path in paths {
        let node = browser
            .repository()
            .find_path(snapshot, &path.as_lookup())?;
        let name = match path.file_name() {
            "" => "snapshot".to_string(),
            name => name.to_string(),
        };
        match (node.kind, node.subtree) {
            (NodeKind::File, _) => out.push(Selected {
                archive_name: name,
                node: Arc::new(node),
            }),
            (NodeKind::Dir, Some(tree)) => walk(browser, &tree, &name, &mut out, 0)?,
            _ => {}
        }
        if out.len() > MAX_SELECTED_FILES {
            return Err(ServeError::BadRequest(format!(
                "the selection holds more than {MAX_SELECTED_FILES} files: select less, or use `pvault restore`"
            )));
        }
    }
    Ok(out)
}

fn walk(
    browser: &Browser,
    tree: &crate::BlobId,
    prefix: &str,
    out: &mut Vec<Selected>,
    depth: usize,
) -> Result<(), ServeError> {
    if depth > crate::MAX_DEPTH {
        return Err(crate::Error::TooDeep {
            path: prefix.to_string(),
        }
        .into());
    }
    for node in browser.list(tree)?.entries {
        let name = format!("{prefix}/{}", node.display_name());
        match (node.kind, node.subtree) {
            (NodeKind::File, _) => out.push(Selected {
                archive_name: name,
                node: Arc::new(node),
            }),
            (NodeKind::Dir, Some(subtree)) => walk(browser, &subtree, &name, out, depth + 1)?,
            _ => {}
        }
        if out.len() > MAX_SELECTED_FILES {
            return Ok(());
        }
    }
    Ok(())
}
