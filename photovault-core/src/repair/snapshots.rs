//! `repair snapshots`: rewrite snapshots that reference lost data so that everything still
//! intact stays restorable and what was lost is named.
//!
//! A file with any blob missing from the index is left out, as is a folder whose tree cannot
//! be read; each is recorded in the new snapshot's `lost` list, which is tagged `repaired`
//! and names its `original`. The original is kept unless `forget` is set. Blobs that are
//! present but damaged must first be dropped with `repair packs`.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;

use crate::depth::MAX_DEPTH;
use crate::error::{Error, Result};
use crate::format::blob::BlobKind;
use crate::format::tree::{NodeKind, Tree};
use crate::id::{BlobId, SnapshotId};
use crate::pack::BlobSaver;
use crate::repository::IndexedRepository;

/// How to repair snapshots.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RepairSnapshotsOptions {
    /// Only report what would change.
    pub dry_run: bool,
    /// Remove each original once its repaired snapshot is written.
    pub forget: bool,
}

/// One snapshot that needed repair.
#[derive(Debug, Clone, Serialize)]
pub struct RepairedSnapshot {
    /// The damaged snapshot.
    pub original: SnapshotId,
    /// Its replacement (`None` in a dry run).
    pub repaired: Option<SnapshotId>,
    /// Paths left out.
    pub lost: Vec<String>,
}

/// What `repair snapshots` did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepairSnapshotsReport {
    /// Snapshots that referenced lost data.
    pub repaired: Vec<RepairedSnapshot>,
    /// Snapshots that were intact.
    pub intact: u64,
}

type Rewritten = Option<(BlobId, Rc<Vec<PathBuf>>)>;

struct Rewriter<'a> {
    repo: &'a IndexedRepository,
    saver: Option<&'a BlobSaver>,
    memo: HashMap<BlobId, Rewritten>,
}

impl IndexedRepository {
    /// Rewrites every snapshot that references missing data; see the module documentation.
    pub fn repair_snapshots(
        &self,
        options: &RepairSnapshotsOptions,
    ) -> Result<RepairSnapshotsReport> {
        let _lock = self.lock(crate::repository::LockKind::Exclusive)?;
        let saver = if options.dry_run {
            None
        } else {
            Some(BlobSaver::new(self.clone())?)
        };
        let saver_ref = saver.as_ref();
        let (mut report, replacements) = crate::depth::on_deep_stack(|| -> Result<_> {
            let mut rewriter = Rewriter {
                repo: self,
                saver: saver_ref,
                memo: HashMap::new(),
            };
            let mut report = RepairSnapshotsReport::default();
            let mut replacements = Vec::new();
            for entry in self.snapshots()? {
                let (root, lost) = match rewriter.rewrite(&entry.snapshot.tree, 0)? {
                    Some((root, lost)) => (
                        root,
                        lost.iter()
                            .map(|p| format!("/{}", p.display()))
                            .collect::<Vec<_>>(),
                    ),
                    None => (rewriter.store(&Tree::default())?, vec!["/".to_string()]),
                };
                if lost.is_empty() {
                    report.intact += 1;
                    continue;
                }
                let mut snapshot = entry.snapshot.clone();
                snapshot.tree = root;
                snapshot.original = Some(entry.id);
                snapshot.lost = lost.clone();
                if !snapshot.tags.iter().any(|t| t == "repaired") {
                    snapshot.tags.push("repaired".into());
                }
                replacements.push((entry.id, snapshot));
                report.repaired.push(RepairedSnapshot {
                    original: entry.id,
                    repaired: None,
                    lost,
                });
            }
            Ok((report, replacements))
        })?;
        if let Some(saver) = saver {
            saver.finish()?; // trees first, snapshots after (write order)
            for ((original, snapshot), out) in replacements.iter().zip(report.repaired.iter_mut()) {
                out.repaired = Some(self.save_snapshot(snapshot)?);
                if options.forget {
                    self.remove_snapshot(original)?;
                }
            }
        }
        Ok(report)
    }
}

impl Rewriter<'_> {
    /// The tree's replacement and the paths (relative to it) it lost; `None` if unreadable.
    /// `depth`: how far below the snapshot's root the tree is; folders deeper than
    /// [`MAX_DEPTH`] are kept as they are, unread.
    fn rewrite(&mut self, id: &BlobId, depth: usize) -> Result<Rewritten> {
        if let Some(done) = self.memo.get(id) {
            return Ok(done.clone());
        }
        let Ok(mut tree) = self.repo.read_tree(id) else {
            self.memo.insert(*id, None);
            return Ok(None);
        };
        let index = self.repo.index();
        let mut lost = Vec::new();
        let mut kept = Vec::with_capacity(tree.nodes.len());
        for mut node in std::mem::take(&mut tree.nodes) {
            let name = Path::new(OsStr::from_bytes(&node.name)).to_path_buf();
            match (node.kind, node.subtree) {
                (NodeKind::File, _) => {
                    let mut intact = true;
                    for blob in &node.content {
                        if !index.contains(blob)? {
                            intact = false;
                            break;
                        }
                    }
                    if !intact {
                        lost.push(name);
                        continue;
                    }
                }
                (NodeKind::Dir, Some(_)) if depth >= MAX_DEPTH => {}
                (NodeKind::Dir, Some(sub)) => match self.rewrite(&sub, depth + 1)? {
                    Some((new_sub, sub_lost)) => {
                        node.subtree = Some(new_sub);
                        lost.extend(sub_lost.iter().map(|p| name.join(p)));
                    }
                    None => {
                        lost.push(name);
                        continue;
                    }
                },
                _ => {}
            }
            kept.push(node);
        }
        let result = if lost.is_empty() {
            Some((*id, Rc::new(lost)))
        } else {
            tree.nodes = kept;
            Some((self.store(&tree)?, Rc::new(lost)))
        };
        self.memo.insert(*id, result.clone());
        Ok(result)
    }

    fn store(&self, tree: &Tree) -> Result<BlobId> {
        let bytes = tree
            .encode_verified()
            .map_err(|damage| Error::WouldNotReadBack {
                what: "a repaired tree".into(),
                damage,
            })?;
        match self.saver {
            Some(saver) => Ok(saver
                .save(BlobKind::Tree, &bytes, crate::compress::ContentClass::Try)?
                .0),
            None => Ok(self.repo.inner.key.blob_id(&bytes)),
        }
    }
}
