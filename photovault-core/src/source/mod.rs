//! The source side of a backup: what the walker learns about each file before any byte of
//! content is read — its metadata as a tree [`Node`](crate::Node), whether it is excluded,
//! and what a photo says about itself.

mod media;
mod metadata;
mod patterns;
mod scan;

pub use media::{probe as probe_media, probe_movie};
pub use metadata::{node_from_metadata, timestamp, unchanged_since};
pub use patterns::PathPatterns;
pub use scan::count_files;
