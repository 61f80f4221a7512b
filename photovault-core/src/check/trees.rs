//! Walking every snapshot's trees: each readable, each blob indexed, damaged data traced to
//! the files and snapshots that contain it.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::{CheckProgress, DamagedFile, Problem};
use crate::backend::FileKind;
use crate::error::Result;
use crate::format::tree::NodeKind;
use crate::id::{BlobId, SnapshotId};
use crate::index::Index;
use crate::repository::Repository;

pub(super) struct WalkOutcome {
    pub(super) problems: Vec<Problem>,
    pub(super) damaged_files: Vec<DamagedFile>,
    pub(super) snapshots: u64,
    pub(super) trees: u64,
}

/// Something wrong below a tree, at a path relative to it.
#[derive(Clone)]
enum Finding {
    TreeUnreadable {
        tree: BlobId,
        path: PathBuf,
        error: String,
    },
    FileBlob {
        path: PathBuf,
        blob: BlobId,
        missing: bool,
    },
}

struct Walker<'a> {
    repo: &'a Repository,
    index: &'a Index,
    bad_blobs: &'a HashSet<BlobId>,
    memo: HashMap<BlobId, Rc<Vec<Finding>>>,
    none: Rc<Vec<Finding>>,
}

pub(super) fn check_snapshots(
    repo: &Repository,
    bad_blobs: &HashSet<BlobId>,
    progress: &dyn CheckProgress,
) -> Result<WalkOutcome> {
    let files = repo.backend().list(FileKind::Snapshot)?;
    progress.phase("snapshots", files.len() as u64);
    let index = repo.inner.index()?;
    let mut walker = Walker {
        repo,
        index,
        bad_blobs,
        memo: HashMap::new(),
        none: Rc::new(Vec::new()),
    };
    let mut out = WalkOutcome {
        problems: Vec::new(),
        damaged_files: Vec::new(),
        snapshots: 0,
        trees: 0,
    };
    let mut reported_trees = HashSet::new();
    let mut reported_blobs = HashSet::new();
    for file in files {
        progress.advance(1);
        let Ok(id) = file.name.parse::<SnapshotId>() else {
            continue;
        };
        let snapshot = match repo.load_snapshot(&id) {
            Ok(s) => s,
            Err(e) => {
                out.problems.push(Problem::Snapshot {
                    name: file.name,
                    error: e.to_string(),
                });
                continue;
            }
        };
        out.snapshots += 1;
        let findings = walker.walk(&snapshot.tree)?;
        for finding in findings.iter() {
            match finding {
                Finding::TreeUnreadable { tree, path, error } => {
                    if reported_trees.insert(*tree) {
                        out.problems.push(Problem::Tree {
                            tree: *tree,
                            path: Path::new("/").join(path),
                            error: error.clone(),
                        });
                    }
                }
                Finding::FileBlob {
                    path,
                    blob,
                    missing,
                } => {
                    let path = Path::new("/").join(path);
                    if *missing && reported_blobs.insert(*blob) {
                        out.problems.push(Problem::BlobMissing {
                            blob: *blob,
                            path: path.clone(),
                        });
                    }
                    out.damaged_files.push(DamagedFile {
                        snapshot: id,
                        path,
                        blob: *blob,
                    });
                }
            }
        }
    }
    out.trees = walker.memo.len() as u64;
    Ok(out)
}

impl Walker<'_> {
    fn walk(&mut self, tree_id: &BlobId) -> Result<Rc<Vec<Finding>>> {
        if let Some(found) = self.memo.get(tree_id) {
            return Ok(found.clone());
        }
        let tree = match self.repo.read_tree(tree_id) {
            Ok(tree) => tree,
            Err(e) => {
                let found = Rc::new(vec![Finding::TreeUnreadable {
                    tree: *tree_id,
                    path: PathBuf::new(),
                    error: e.to_string(),
                }]);
                self.memo.insert(*tree_id, found.clone());
                return Ok(found);
            }
        };
        let mut findings = Vec::new();
        for node in &tree.nodes {
            let name = Path::new(OsStr::from_bytes(&node.name));
            match node.kind {
                NodeKind::File => {
                    for blob in &node.content {
                        let missing = !self.index.contains(blob)?;
                        if missing || self.bad_blobs.contains(blob) {
                            findings.push(Finding::FileBlob {
                                path: name.to_path_buf(),
                                blob: *blob,
                                missing,
                            });
                            break;
                        }
                    }
                }
                NodeKind::Dir => {
                    if let Some(sub) = node.subtree {
                        for f in self.walk(&sub)?.iter() {
                            findings.push(match f.clone() {
                                Finding::TreeUnreadable { tree, path, error } => {
                                    Finding::TreeUnreadable {
                                        tree,
                                        path: name.join(path),
                                        error,
                                    }
                                }
                                Finding::FileBlob {
                                    path,
                                    blob,
                                    missing,
                                } => Finding::FileBlob {
                                    path: name.join(path),
                                    blob,
                                    missing,
                                },
                            });
                        }
                    }
                }
                NodeKind::Symlink => {}
            }
        }
        let found = if findings.is_empty() {
            self.none.clone()
        } else {
            Rc::new(findings)
        };
        self.memo.insert(*tree_id, found.clone());
        Ok(found)
    }
}
