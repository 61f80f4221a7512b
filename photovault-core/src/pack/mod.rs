//! Packing: sealed blobs are appended to pack files of a target size, data and trees in
//! separate packs, each finished with its sealed header.
//!
//! [`Packer`] builds one pack in memory; [`BlobSaver`] is the shared front door of a backup:
//! it deduplicates, compresses, seals and packs blobs from many threads and hands full
//! packs to an uploader thread, so hashing never waits for the disk.

mod packer;
mod reader;
mod saver;

pub use packer::{FinishedPack, Packer};
pub use reader::{header_of, read_header};
pub(crate) use saver::BlobSaver;
pub use saver::SaveStats;
