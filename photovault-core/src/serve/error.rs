//! What can go wrong serving a snapshot, as the HTTP layer needs to tell it apart: a
//! request the server refuses, something missing, or the repository failing.

use crate::error::Error;

/// A failure while serving a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// A path in a request that could reach outside the snapshot, or is not a path.
    #[error("refused path '{path}': {why}")]
    PathRefused {
        /// The path as requested (shown with invalid characters replaced).
        path: String,
        /// Why it was refused.
        why: &'static str,
    },
    /// A request that does not make sense (a folder where a file is needed, a selection
    /// too large, a bad date).
    #[error("{0}")]
    BadRequest(String),
    /// The path or snapshot is not there.
    #[error("not found: {0}")]
    NotFound(String),
    /// The repository could not be read, or the restore target not written.
    #[error(transparent)]
    Repository(#[from] Error),
}

impl ServeError {
    /// `PathNotInSnapshot` and `SnapshotNotFound` from the repository are "not found".
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ServeError::NotFound(_)
                | ServeError::Repository(Error::PathNotInSnapshot { .. })
                | ServeError::Repository(Error::SnapshotNotFound { .. })
        )
    }
}
