//! Packing: sealed blobs are appended to pack files of a target size, data and trees in
//! separate packs, each finished with its sealed header.
//!
//! [`Packer`] streams one pack to a pending file (or memory) and names it by its hash;
//! `BlobSaver` is the shared front door of a backup: it deduplicates, compresses, seals
//! and packs blobs from many threads, each thread appending to an open pack of its own, and
//! hands full packs to an uploader thread that makes them durable, so hashing never waits
//! for the disk.

mod packer;
mod reader;
mod saver;
mod verify;

pub use packer::{FinishedPack, Packer};
pub use reader::{header_of, read_header};
pub(crate) use saver::BlobSaver;
pub use saver::SaveStats;
pub(crate) use verify::read_pack;
