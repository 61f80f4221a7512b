//! What check reports: one [`Problem`] per thing wrong, with what was wrong as a value.
//!
//! An application matches on the variants and their causes; `pvault` prints their text. In
//! JSON each problem is an object tagged by `kind` whose `error` is the cause's text, so
//! scripts read one shape whatever the cause.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::error::Error;
use crate::id::{BlobId, PackId};

/// One thing wrong with the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// A key file does not parse.
    KeyFile {
        /// Its name.
        name: String,
        /// Why.
        error: CheckError,
    },
    /// An index file is unreadable or damaged.
    IndexFile {
        /// Its name.
        name: String,
        /// Why.
        error: CheckError,
    },
    /// The index names a pack that is not in the repository.
    PackMissing {
        /// The pack.
        pack: PackId,
        /// How many indexed blobs it should hold.
        blobs: usize,
    },
    /// A pack's header is unreadable, or disagrees with the index.
    PackHeader {
        /// The pack.
        pack: PackId,
        /// Why.
        error: PackFault,
    },
    /// A pack's content does not hash to its name.
    PackHash {
        /// The pack.
        pack: PackId,
    },
    /// A blob failed to decrypt or verify.
    BlobDamaged {
        /// The pack holding it.
        pack: PackId,
        /// The blob.
        blob: BlobId,
        /// Why.
        error: BlobFault,
    },
    /// A snapshot file is unreadable.
    Snapshot {
        /// Its name.
        name: String,
        /// Why.
        error: CheckError,
    },
    /// A tree referenced by a snapshot cannot be read.
    Tree {
        /// The tree blob.
        tree: BlobId,
        /// A path where it is used.
        path: PathBuf,
        /// Why.
        error: CheckError,
    },
    /// A tree holds an entry no writer produces: restore and ls skip or refuse it.
    TreeEntry {
        /// The tree holding it.
        tree: BlobId,
        /// Its path.
        path: PathBuf,
        /// What is wrong.
        error: EntryFault,
    },
    /// A blob referenced by a tree is not in the index.
    BlobMissing {
        /// The blob.
        blob: BlobId,
        /// A path that needs it.
        path: PathBuf,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::KeyFile { name, error } => write!(f, "key file {name}: {error}"),
            Problem::IndexFile { name, error } => write!(f, "index file {name}: {error}"),
            Problem::PackMissing { pack, blobs } => {
                write!(f, "pack {pack} is missing ({blobs} blobs)")
            }
            Problem::PackHeader { pack, error } => write!(f, "pack {pack}: {error}"),
            Problem::PackHash { pack } => write!(f, "pack {pack}: content does not match its name"),
            Problem::BlobDamaged { pack, blob, error } => {
                write!(f, "pack {pack}: blob {blob}: {error}")
            }
            Problem::Snapshot { name, error } => write!(f, "snapshot {name}: {error}"),
            Problem::Tree { tree, path, error } => {
                write!(f, "tree {tree} at {}: {error}", path.display())
            }
            Problem::TreeEntry { tree, path, error } => {
                write!(f, "tree {tree}: entry {}: {error}", path.display())
            }
            Problem::BlobMissing { blob, path } => write!(
                f,
                "blob {blob} needed by {} is not in the index",
                path.display()
            ),
        }
    }
}

/// The error that reading an object raised, shared so that problems stay cheap to copy. Two
/// are equal when they say the same thing.
#[derive(Debug, Clone)]
pub struct CheckError(Arc<Error>);

impl CheckError {
    /// The error itself.
    pub fn error(&self) -> &Error {
        &self.0
    }
}

impl From<Error> for CheckError {
    fn from(e: Error) -> Self {
        CheckError(Arc::new(e))
    }
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for CheckError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.to_string() == other.to_string()
    }
}

impl Eq for CheckError {}

/// What is wrong with a pack as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackFault {
    /// The pack file is larger than any pack can be; it was not read.
    #[error("{size} bytes, more than any pack can hold ({limit}): not read")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The largest a pack can be.
        limit: u64,
    },
    /// Its header cannot be read, decrypted or decoded.
    #[error("{0}")]
    Header(CheckError),
    /// Reading its content failed.
    #[error("cannot read: {0}")]
    Unreadable(CheckError),
    /// The index lists a blob in this pack that its header does not.
    #[error("the index lists blob {} but the pack header does not", .blob.short())]
    BlobNotInHeader {
        /// The blob.
        blob: BlobId,
    },
    /// The index and the header place a blob differently.
    #[error("blob {}: the index and the pack header disagree on its location", .blob.short())]
    LocationDisagrees {
        /// The blob.
        blob: BlobId,
    },
}

/// What is wrong with one blob of a pack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlobFault {
    /// It does not decrypt, decompress or hash to its id.
    #[error("{}", .0.error().reason())]
    Damaged(CheckError),
    /// The index places it beyond the end of the pack.
    #[error("lies beyond the end of the pack")]
    BeyondPackEnd,
}

/// An entry of a tree that no writer produces.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryFault {
    /// Its name cannot be a path component (empty, `.`, `..`, `/`, NUL).
    #[error("unsafe name ({0}); restore skips it")]
    UnsafeName(&'static str),
    /// Its name repeats or is out of order in the tree.
    #[error("repeated or out-of-order name; restore skips it")]
    OutOfOrder,
    /// A data blob of the file is larger than the chunker cuts.
    #[error("data blob {} is larger than the largest chunk ({limit} bytes)", .blob.short())]
    OversizedBlob {
        /// The blob.
        blob: BlobId,
        /// The largest chunk of this repository.
        limit: u32,
    },
    /// A folder nested deeper than readers follow.
    #[error(
        "folder nested deeper than {} levels; restore skips it",
        crate::depth::MAX_DEPTH
    )]
    NestedTooDeep,
    /// A folder without its tree.
    #[error("folder without content")]
    FolderWithoutContent,
    /// A symlink without its target.
    #[error("symlink without target")]
    SymlinkWithoutTarget,
}

/// Causes appear in JSON as their text, the way `pvault` prints them.
macro_rules! serialize_as_text {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}

serialize_as_text!(CheckError, PackFault, BlobFault, EntryFault);
