//! The repository format: every structure that is stored, with its encoder and decoder side
//! by side, in the order SPEC.md describes them.
//!
//! Decoders treat their input as hostile: lengths are checked before use, counts are bounded
//! by the bytes that are actually there, and every failure is a [`Damage`](crate::Damage).

pub mod blob;
pub(crate) mod blob_kind;
pub mod config;
pub mod index_file;
pub mod key_file;
pub mod lock;
pub mod pack_header;
pub mod sealed_file;
pub mod snapshot;
pub mod tree;

/// The bincode configuration of every binary structure: bincode 2's `standard()` (little
/// endian, variable-length integers), with a decode limit so a hostile length cannot make the
/// decoder allocate without bound.
pub(crate) fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<{ 1 << 30 }>()
}
