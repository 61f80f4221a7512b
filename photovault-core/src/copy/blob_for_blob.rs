//! Copying between repositories that share blob ids: every tree and chunk keeps its id, so
//! only what the target lacks is read from the source and stored.

use std::collections::HashSet;

use rayon::prelude::*;

use crate::compress::ContentClass;
use crate::error::{Error, Result};
use crate::format::blob::BlobKind;
use crate::format::tree::Tree;
use crate::id::BlobId;
use crate::pack::BlobSaver;
use crate::repository::IndexedRepository;

use super::CopyProgress;

/// Stores in `target` every blob below the tree `root` of `source` that `target` lacks.
/// Returns the root, which keeps its id.
pub(super) fn copy_trees(
    target: &IndexedRepository,
    source: &IndexedRepository,
    saver: &BlobSaver,
    root: BlobId,
    progress: &dyn CopyProgress,
) -> Result<BlobId> {
    let target_index = target.index();
    let mut seen: HashSet<BlobId> = HashSet::new();
    let mut to_read = vec![root];
    seen.insert(root);
    while let Some(id) = to_read.pop() {
        let bytes = source.read_blob(&id)?;
        let tree = Tree::decode(&bytes).map_err(|damage| {
            Error::damaged(format!("tree {} in the source", id.short()), damage)
        })?;
        let missing: Vec<BlobId> = tree
            .nodes
            .iter()
            .flat_map(|n| n.content.iter())
            .filter(|c| seen.insert(**c))
            .copied()
            .filter(|c| !matches!(target_index.contains_kind(c, BlobKind::Data), Ok(true)))
            .collect();
        missing.par_iter().try_for_each(|blob| -> Result<()> {
            let plain = source.read_blob(blob)?;
            progress.bytes_read(plain.len() as u64);
            let class = match source.index().entry(blob)? {
                Some(entry) => ContentClass::of_stored(entry.compression),
                None => ContentClass::Try,
            };
            saver.save(BlobKind::Data, &plain, class)?;
            Ok(())
        })?;
        tree.nodes
            .par_iter()
            .filter(|n| !n.content.is_empty())
            .try_for_each(|n| {
                super::copy_thumbnail(target, source, saver, &n.content, &n.content)
            })?;
        for node in &tree.nodes {
            if let Some(subtree) = node.subtree {
                if seen.insert(subtree) {
                    to_read.push(subtree);
                }
            }
        }
        saver.save(BlobKind::Tree, &bytes, ContentClass::Try)?;
    }
    Ok(root)
}
