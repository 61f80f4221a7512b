//! Copying between unrelated repositories: files are cut, named and stored again with the
//! target's chunker and key, and trees are rebuilt bottom up with the new ids. Files are cut
//! by the target's chunking scheme: a container-scheme target parses each copied file's
//! container from the source's blobs, as backup parses a file on disk.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::chunk::ChunkingScheme;
use crate::compress::ContentClass;
use crate::depth::{on_deep_stack, MAX_DEPTH};
use crate::error::{Error, Result};
use crate::format::blob::BlobKind;
use crate::format::tree::{Node, NodeKind, Tree};
use crate::id::BlobId;
use crate::media::MediaKind;
use crate::pack::BlobSaver;
use crate::repository::IndexedRepository;

use super::content_reader::{ContentAt, ContentReader};
use super::CopyProgress;

/// Files of at least this size have their compression probed from the first chunk, as
/// backup does.
const PROBE_MIN_FILE_SIZE: u64 = 1 << 20;

/// Rewrites source trees into the target, remembering what it did so that trees and file
/// contents shared between snapshots are rewritten once.
pub(super) struct Recutter<'a> {
    target: &'a IndexedRepository,
    source: &'a IndexedRepository,
    saver: &'a BlobSaver,
    progress: &'a dyn CopyProgress,
    trees: HashMap<BlobId, BlobId>,
    contents: HashMap<[u8; 16], Vec<BlobId>>,
}

impl<'a> Recutter<'a> {
    pub(super) fn new(
        target: &'a IndexedRepository,
        source: &'a IndexedRepository,
        saver: &'a BlobSaver,
        progress: &'a dyn CopyProgress,
    ) -> Self {
        Recutter {
            target,
            source,
            saver,
            progress,
            trees: HashMap::new(),
            contents: HashMap::new(),
        }
    }

    /// The target's id of the source tree `root`, stored with everything below it.
    pub(super) fn copy_tree(&mut self, root: BlobId) -> Result<BlobId> {
        on_deep_stack(|| self.tree(root, 1))
    }

    fn tree(&mut self, id: BlobId, depth: usize) -> Result<BlobId> {
        if let Some(done) = self.trees.get(&id) {
            return Ok(*done);
        }
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep {
                path: format!("tree {} of the source", id.short()),
            });
        }
        let tree = self.source.read_tree(&id)?;
        let mut nodes: Vec<Node> = Vec::with_capacity(tree.nodes.len());
        let mut files: Vec<usize> = Vec::new();
        for node in tree.nodes {
            let mut node = node;
            match (node.kind, node.subtree) {
                (NodeKind::Dir, Some(subtree)) => {
                    node.subtree = Some(self.tree(subtree, depth + 1)?);
                }
                (NodeKind::File, _) if !node.content.is_empty() => files.push(nodes.len()),
                _ => {}
            }
            nodes.push(node);
        }
        let todo: Vec<(usize, Vec<BlobId>)> = files
            .into_iter()
            .filter_map(|i| {
                let key = content_key(&nodes[i].content);
                match self.contents.get(&key) {
                    Some(done) => {
                        nodes[i].content = done.clone();
                        None
                    }
                    None => Some((i, nodes[i].content.clone())),
                }
            })
            .collect();
        let recut: Vec<Result<(usize, Vec<BlobId>)>> = todo
            .par_iter()
            .map(|(i, content)| {
                let size = nodes[*i].size;
                let recut = self.recut_file(content, size)?;
                super::copy_thumbnail(self.target, self.source, self.saver, content, &recut)?;
                Ok((*i, recut))
            })
            .collect();
        for result in recut {
            let (i, content) = result?;
            let key = content_key(&nodes[i].content);
            nodes[i].content = content.clone();
            self.contents.insert(key, content);
        }
        let bytes = Tree { nodes }
            .encode_verified()
            .map_err(|damage| Error::WouldNotReadBack {
                what: format!("the copy of tree {}", id.short()),
                damage,
            })?;
        let (new_id, _) = self.saver.save(BlobKind::Tree, &bytes, ContentClass::Try)?;
        self.trees.insert(id, new_id);
        Ok(new_id)
    }

    /// Reads a file's content from the source and stores it cut by the target's chunker.
    fn recut_file(&self, content: &[BlobId], size: u64) -> Result<Vec<BlobId>> {
        let chunker = &self.target.inner.chunker;
        // A file whose blobs cannot be found gets no cuts; reading it below says why.
        let cuts = match chunker.scheme() {
            ChunkingScheme::Plain => Vec::new(),
            _ => ContentAt::new(self.source, content)
                .map(|file| chunker.part_cuts(&file))
                .unwrap_or_default(),
        };
        let mut reader = ContentReader::new(self.source, content);
        let mut ids = Vec::with_capacity(content.len());
        let mut class = ContentClass::Try;
        let level = self.target.inner.config.compression_level;
        let mut buffer = Vec::new();
        let result =
            chunker.chunk_parts::<_, RecutError>(&mut reader, &cuts, &mut buffer, |chunk, head| {
                if let Some(head) = head {
                    class = ContentClass::of(MediaKind::from_content(head));
                    if size >= PROBE_MIN_FILE_SIZE {
                        class = class.probe(head, level);
                    }
                }
                let (id, _) = self
                    .saver
                    .save(BlobKind::Data, chunk, class)
                    .map_err(RecutError::Repo)?;
                self.progress.bytes_read(chunk.len() as u64);
                ids.push(id);
                Ok(())
            });
        match result {
            Ok(_) => Ok(ids),
            Err(RecutError::Repo(e)) => Err(e),
            Err(RecutError::Io(e)) => Err(reader.error.take().unwrap_or(Error::Internal {
                what: format!("reading a file of the source failed: {e}"),
            })),
        }
    }
}

/// Why cutting a file failed: reading it from the source, or storing a chunk.
enum RecutError {
    Io(std::io::Error),
    Repo(Error),
}

impl From<std::io::Error> for RecutError {
    fn from(e: std::io::Error) -> Self {
        RecutError::Io(e)
    }
}

/// A compact key of a file's content ids (128 bits of BLAKE3).
fn content_key(ids: &[BlobId]) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    for id in ids {
        hasher.update(id.as_bytes());
    }
    let mut key = [0u8; 16];
    key.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    key
}
