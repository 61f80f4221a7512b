//! # photovault-core
//!
//! The engine of photovault: encrypted, deduplicated, point-in-time backups of photo and
//! video libraries.
//!
//! ## What a program uses
//!
//! - [`Repository`]: [`Repository::init`] and [`Repository::open`] (with [`InitOptions`],
//!   [`OpenOptions`]) give an opened repository: its config and key, and what needs no
//!   more: [`Repository::snapshots`], keys, locks, [`Repository::tag`],
//!   [`Repository::forget`], [`Repository::repair_index`].
//! - [`IndexedRepository`]: [`Repository::to_indexed`] loads the index, once per process
//!   (clones share it). Every operation that reads or stores blobs is one of its methods:
//!   [`IndexedRepository::backup`], [`IndexedRepository::restore`],
//!   [`IndexedRepository::check`], [`IndexedRepository::ls`],
//!   [`IndexedRepository::copy_from`], [`IndexedRepository::plan_prune`], the other repairs.
//!   It dereferences to its [`Repository`], and its locks bring the index up to date
//!   ([`IndexedRepository::lock`]).
//! - Looking into history ([`history`]): [`IndexedRepository::diff`] ([`Change`],
//!   [`DiffSummary`]), [`IndexedRepository::find`] ([`FindQuery`], [`FindMatch`]),
//!   [`IndexedRepository::stats`] ([`StatsMode`], [`Stats`]); and [`Repository::tag`]
//!   ([`TagChange`]) and [`IndexedRepository::dump`] (one file's bytes, or a folder as a
//!   tar archive).
//! - [`forget`]: retention policies ([`forget::Policy`]), [`IndexedRepository::plan_forget`]
//!   (the last-copy guard reads trees, [`IndexedRepository::last_copies`]) and
//!   [`Repository::forget`].
//! - Each operation's options, outcome and progress trait: [`BackupOptions`],
//!   [`BackupOutcome`], [`BackupProgress`]; [`RestoreOptions`], [`RestoreOutcome`],
//!   [`RestoreProgress`]; [`CheckOptions`], [`CheckReport`], [`CheckProgress`]. Every
//!   progress method has a no-op default and `()` implements them all. An entry that could
//!   not be backed up or restored is an [`EntryReport`]; everything else is an [`Error`]
//!   (with the exit code `pvault` uses, [`Error::exit_code`]). A stored object that cannot
//!   be used is [`Error::Damaged`] with its [`Damage`]; one that decrypts but does not
//!   decode says which structure and which value was wrong ([`Malformed`]).
//! - What a snapshot holds: [`Snapshot`], [`Tree`], [`Node`], [`MediaInfo`], and the ids
//!   ([`SnapshotId`], [`BlobId`], …).
//! - [`browse`]: folders, files read by byte range and the photo timeline of any snapshot,
//!   for programs that show them (the FUSE mount, `mount`, is built on it and needs the
//!   cargo feature `mount`, off by default, so that embedding programs do not pull FUSE).
//! - [`serve`]: what a web viewer needs beside HTTP (a snapshot's catalog of photos,
//!   checked request paths, thumbnails, EXIF summaries, zip streams, restoring a
//!   selection); the `photovault-serve` crate is the server built on it.
//! - [`backend`]: where a repository lives. [`backend::open_location`] turns a location
//!   string into a backend; [`backend::Backend`] is the trait a new store implements, and
//!   [`backend::conformance`] checks that it keeps the rules photovault relies on.
//!
//! ## How it is built
//!
//! A backup is a pipeline, and the crate's modules follow it: `source` walks the tree and
//! reads metadata, `media` tells what a file is and reads photo and movie dates, `chunk`
//! cuts files into content-defined chunks (FastCDC), `crypto` names each chunk by keyed
//! BLAKE3 and seals it with XChaCha20-Poly1305, `index` skips what is stored, `compress`
//! compresses what compresses (zstd), `pack` packs blobs into pack files with an embedded
//! header, and [`backend`] stores them atomically. The repository format, structure by
//! structure, is in `format` and in SPEC.md, byte by byte. Those modules are public only so
//! that photovault's own fuzz targets, benchmarks and tests can reach them; they are hidden
//! from this documentation and may change in any release.
//!
//! ```
//! use photovault_core::{backend::LocalBackend, BackupOptions, InitOptions, KdfParams,
//!     OpenOptions, Repository, RestoreOptions};
//! use std::sync::Arc;
//!
//! # fn main() -> photovault_core::Result<()> {
//! let dir = tempfile::tempdir().unwrap();
//! let photos = dir.path().join("Photos");
//! std::fs::create_dir_all(&photos).unwrap();
//! std::fs::write(photos.join("beach.jpg"), b"\xFF\xD8\xFF pretend this is a photo").unwrap();
//!
//! // Create an encrypted repository (small Argon2 parameters keep the example fast), and
// load its index (empty yet): backup and restore read and store blobs.
//! let backend = Arc::new(LocalBackend::new(dir.path().join("repo")));
//! let options = InitOptions::default()
//!     .kdf(KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 })
//!     .open_options(OpenOptions::default().no_cache(true));
//! let repo = Repository::init(backend, b"correct horse", &options)?.to_indexed()?;
//!
//! // Back up the folder, then restore it elsewhere.
//! let outcome = repo.backup(&[photos.clone()], &BackupOptions::default(), &())?;
//! assert_eq!(outcome.summary.total_files, 1);
//!
//! let target = dir.path().join("restored");
//! let snapshot = repo.find_snapshot("latest")?;
//! repo.restore(&snapshot.snapshot, "", &target, &RestoreOptions::default(), &())?;
//! let restored = target.join(photos.strip_prefix("/").unwrap()).join("beach.jpg");
//! assert_eq!(std::fs::read(restored).unwrap(), b"\xFF\xD8\xFF pretend this is a photo");
//! # Ok(()) }
//! ```
#![forbid(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

mod aligned;
pub mod backend;
pub mod backup;
pub mod browse;
pub mod check;
#[doc(hidden)]
pub mod chunk;
#[doc(hidden)]
pub mod compress;
pub mod copy;
#[doc(hidden)]
pub mod crypto;
mod depth;
mod dump;
mod entry_report;
mod error;
pub mod forget;
#[doc(hidden)]
pub mod format;
pub mod history;
mod host;
mod id;
#[doc(hidden)]
pub mod index;
pub mod ls;
#[doc(hidden)]
pub mod media;
#[cfg(feature = "mount")]
pub mod mount;
#[doc(hidden)]
pub mod pack;
pub mod prune;
pub mod repair;
mod repository;
pub mod restore;
#[cfg(feature = "routine")]
pub mod routine;
pub mod serve;
mod snapshot_filter;
#[doc(hidden)]
pub mod source;
mod tag;
pub mod thumbnail;
#[cfg(any(feature = "remote", feature = "routine"))]
mod tls;
pub mod verify_source;
mod workers;

pub use backup::{
    BackupOptions, BackupOutcome, BackupProgress, Disappearance, FileStatus, ParentChoice,
    UnverifiedPack, DEFAULT_MASS_DELETION_PERCENT, MASS_DELETION_MIN_FILES,
};
pub use check::{
    BlobFault, CheckError, CheckOptions, CheckProgress, CheckReport, DamagedFile, EntryFault,
    PackFault, Problem, ReadData,
};
pub use copy::{CopyMethod, CopyProgress, CopyReport};
pub use crypto::KdfParams;
pub use depth::MAX_DEPTH;
pub use dump::{ArchiveFormat, DumpOutcome};
pub use entry_report::{EntryProblem, EntryReport};
pub use error::{Damage, Error, Malformed, Result};
pub use format::snapshot::{Snapshot, SnapshotSummary};
pub use format::tree::{MediaInfo, Node, NodeKind, Timestamp, Tree};
pub use history::{
    BlobTotals, Change, ChangeKind, DiffSummary, EntryCounts, FindMatch, FindQuery,
    RepositoryStats, SnapshotStats, Stats, StatsMode,
};
pub use host::{hostname, username};
pub use id::{BlobId, IndexId, InvalidId, KeyId, PackId, SnapshotId};
pub use ls::LsEntry;
#[cfg(feature = "mount")]
pub use mount::{MountHandle, MountOptions};
pub use prune::{MaxUnused, PruneOptions, PrunePlan, PruneProgress, PruneReport, PruneStats};
pub use repair::{
    RepairIndexReport, RepairPacksReport, RepairSnapshotsOptions, RepairSnapshotsReport,
};
pub use restore::{DryRunAction, Overwrite, RestoreOptions, RestoreOutcome, RestoreProgress};
pub use snapshot_filter::SnapshotFilter;
pub use tag::{Retagged, TagChange};
pub use thumbnail::{ThumbnailProgress, ThumbnailReport};
pub use verify_source::{SourceChange, SourceDifference, VerifySourceSummary};

pub use repository::{
    IndexedRepository, InitOptions, KeyInfo, LockGuard, LockKind, OpenOptions, Repository,
    SkippedKeyFile, SnapshotEntry, Unlock, DEFAULT_KDF_LIMIT, DEFAULT_PACK_SIZE,
};

/// This library's version, recorded in snapshots.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
