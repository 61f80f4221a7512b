//! Walking every snapshot's trees: each readable, each blob indexed, damaged data traced to
//! the files and snapshots that contain it.

use std::collections::{HashMap, HashSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::{CheckError, CheckProgress, DamagedFile, EntryFault, Problem};
use crate::backend::FileKind;
use crate::depth::MAX_DEPTH;
use crate::error::Result;
use crate::format::tree::NodeKind;
use crate::id::{BlobId, SnapshotId};
use crate::index::Index;
use crate::repository::IndexedRepository;

pub(super) struct WalkOutcome {
    pub(super) problems: Vec<Problem>,
    pub(super) damaged_files: Vec<DamagedFile>,
    pub(super) snapshots: u64,
    pub(super) trees: u64,
    pub(super) damaged_files_omitted: u64,
}

/// Something wrong below a tree, at a path relative to it.
#[derive(Clone)]
enum Finding {
    TreeUnreadable {
        tree: BlobId,
        path: PathBuf,
        error: CheckError,
    },
    /// An entry no writer produces: an unsafe or repeated name, a folder nested too deep, a
    /// data blob larger than the chunker cuts, a folder without content.
    BadEntry {
        tree: BlobId,
        path: PathBuf,
        error: EntryFault,
    },
    FileBlob {
        path: PathBuf,
        blob: BlobId,
        missing: bool,
    },
}

impl Finding {
    /// The same finding seen from the folder `name` one level up.
    fn below(&self, name: &Path) -> Finding {
        match self.clone() {
            Finding::TreeUnreadable { tree, path, error } => Finding::TreeUnreadable {
                tree,
                path: name.join(path),
                error,
            },
            Finding::BadEntry { tree, path, error } => Finding::BadEntry {
                tree,
                path: name.join(path),
                error,
            },
            Finding::FileBlob {
                path,
                blob,
                missing,
            } => Finding::FileBlob {
                path: name.join(path),
                blob,
                missing,
            },
        }
    }
}

/// What is wrong below one tree. A tree used in many places (or a hostile DAG that reuses
/// one tree 2^40 times) must not multiply its findings without bound: each tree keeps the
/// first [`MAX_FINDINGS`] and counts the rest.
#[derive(Default)]
struct Findings {
    list: Vec<Finding>,
    omitted: u64,
}

/// Findings a tree keeps; more are only counted.
const MAX_FINDINGS: usize = 1000;

impl Findings {
    fn push(&mut self, finding: Finding) {
        if self.list.len() < MAX_FINDINGS {
            self.list.push(finding);
        } else {
            self.omitted = self.omitted.saturating_add(1);
        }
    }
}

struct Walker<'a> {
    repo: &'a IndexedRepository,
    index: &'a Index,
    bad_blobs: &'a HashSet<BlobId>,
    max_chunk: u32,
    memo: HashMap<BlobId, Rc<Findings>>,
    none: Rc<Findings>,
}

pub(super) fn check_snapshots(
    repo: &IndexedRepository,
    bad_blobs: &HashSet<BlobId>,
    progress: &dyn CheckProgress,
) -> Result<WalkOutcome> {
    let files = repo.backend().list(FileKind::Snapshot)?;
    progress.phase("snapshots", files.len() as u64);
    let index = repo.index();
    let mut walker = Walker {
        repo,
        index,
        bad_blobs,
        max_chunk: repo.inner.config.chunker.max_size,
        memo: HashMap::new(),
        none: Rc::new(Findings::default()),
    };
    let mut out = WalkOutcome {
        problems: Vec::new(),
        damaged_files: Vec::new(),
        snapshots: 0,
        trees: 0,
        damaged_files_omitted: 0,
    };
    let mut reported_trees = HashSet::new();
    let mut reported_blobs = HashSet::new();
    let mut reported_entries = HashSet::new();
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
                    error: e.into(),
                });
                continue;
            }
        };
        out.snapshots += 1;
        let findings = walker.walk(&snapshot.tree, 0)?;
        out.damaged_files_omitted = out.damaged_files_omitted.saturating_add(findings.omitted);
        for finding in findings.list.iter() {
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
                Finding::BadEntry { tree, path, error } => {
                    if reported_entries.insert((*tree, path.clone())) {
                        out.problems.push(Problem::TreeEntry {
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
    /// What is wrong below `tree_id`, a folder `depth` levels below the snapshot's root.
    fn walk(&mut self, tree_id: &BlobId, depth: usize) -> Result<Rc<Findings>> {
        if let Some(found) = self.memo.get(tree_id) {
            return Ok(found.clone());
        }
        let tree = match self.repo.read_tree(tree_id) {
            Ok(tree) => tree,
            Err(e) => {
                let mut found = Findings::default();
                found.push(Finding::TreeUnreadable {
                    tree: *tree_id,
                    path: PathBuf::new(),
                    error: e.into(),
                });
                let found = Rc::new(found);
                self.memo.insert(*tree_id, found.clone());
                return Ok(found);
            }
        };
        let mut findings = Findings::default();
        let mut previous: Option<&[u8]> = None;
        for node in &tree.nodes {
            let name = Path::new(OsStr::from_bytes(&node.name));
            let mut bad_entry = |error: EntryFault| {
                findings.push(Finding::BadEntry {
                    tree: *tree_id,
                    path: PathBuf::from(node.display_name().replace('/', "\u{2215}")),
                    error,
                })
            };
            if let Some(problem) = node.name_problem() {
                bad_entry(EntryFault::UnsafeName(problem));
                continue;
            }
            if previous.is_some_and(|p| p >= node.name.as_slice()) {
                bad_entry(EntryFault::OutOfOrder);
                continue;
            }
            previous = Some(&node.name);
            match node.kind {
                NodeKind::File => {
                    for blob in &node.content {
                        let entry = self.index.entry(blob)?;
                        if entry.is_some_and(|e| e.raw_length > self.max_chunk) {
                            bad_entry(EntryFault::OversizedBlob {
                                blob: *blob,
                                limit: self.max_chunk,
                            });
                        }
                        let missing = entry.is_none();
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
                NodeKind::Dir => match node.subtree {
                    Some(_) if depth >= MAX_DEPTH => bad_entry(EntryFault::NestedTooDeep),
                    Some(sub) => {
                        let below = self.walk(&sub, depth + 1)?;
                        for f in below.list.iter() {
                            findings.push(f.below(name));
                        }
                        findings.omitted = findings.omitted.saturating_add(below.omitted);
                    }
                    None => bad_entry(EntryFault::FolderWithoutContent),
                },
                NodeKind::Symlink => {
                    if node.link_target.is_none() {
                        bad_entry(EntryFault::SymlinkWithoutTarget);
                    }
                }
            }
        }
        let found = if findings.list.is_empty() && findings.omitted == 0 {
            self.none.clone()
        } else {
            Rc::new(findings)
        };
        self.memo.insert(*tree_id, found.clone());
        Ok(found)
    }
}
