//! The source side of a backup: what the walker learns about each file before any byte of
//! content is read — its metadata as a tree [`Node`](crate::Node), and whether it is
//! excluded. What a photo says about itself is read by [`media`](crate::media).

mod metadata;
mod patterns;
mod scan;

pub use metadata::{node_from_metadata, timestamp, unchanged_since};
pub use patterns::PathPatterns;
pub use scan::count_files;
