//! # photovault-core
//!
//! The engine of photovault: encrypted, deduplicated, point-in-time backups of photo and
//! video libraries.
//!
//! A backup is a pipeline, and the modules follow it:
//!
//! | stage | module |
//! |---|---|
//! | walk the source tree, read metadata | [`source`] |
//! | know what a file is; read photo EXIF and movie dates | [`media`] |
//! | cut files into content-defined chunks (FastCDC) | [`chunk`] |
//! | name each chunk by keyed BLAKE3, skip what is stored | [`crypto`], [`index`] |
//! | compress what compresses (zstd) | [`compress`] |
//! | seal with XChaCha20-Poly1305 | [`format::blob`] |
//! | pack into pack files with an embedded header | [`pack`] |
//! | store on a backend, atomically | [`backend`] |
//!
//! The repository format is in [`format`] and in SPEC.md, byte by byte. Operations each
//! have a module: [`backup`], [`restore`], [`check`], [`ls`], [`browse`] (folders, byte
//! ranges and the photo timeline of snapshots, for programs that show them) and `mount`
//! (the same as FUSE folders, with the cargo feature `mount`, off by default). Everything
//! a program needs is re-exported at the crate root.
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
//! // Create an encrypted repository (small Argon2 parameters keep the example fast).
//! let backend = Arc::new(LocalBackend::new(dir.path().join("repo")));
//! let options = InitOptions::default()
//!     .kdf(KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 })
//!     .open_options(OpenOptions::default().no_cache(true));
//! let repo = Repository::init(backend, b"correct horse", &options)?;
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

pub mod backend;
pub mod backup;
pub mod browse;
pub mod check;
pub mod chunk;
pub mod compress;
pub mod crypto;
mod depth;
mod entry_report;
mod error;
pub mod format;
mod host;
mod id;
pub mod index;
pub mod ls;
pub mod media;
#[cfg(feature = "mount")]
pub mod mount;
pub mod pack;
pub mod repair;
mod repository;
pub mod restore;
pub mod source;
mod workers;

pub use backup::{
    BackupOptions, BackupOutcome, BackupProgress, FileStatus, ParentChoice, UnverifiedPack,
};
pub use check::{CheckOptions, CheckProgress, CheckReport, DamagedFile, Problem, ReadData};
pub use crypto::KdfParams;
pub use depth::MAX_DEPTH;
pub use entry_report::{EntryProblem, EntryReport};
pub use error::{Damage, Error, Result};
pub use format::snapshot::{Snapshot, SnapshotSummary};
pub use format::tree::{MediaInfo, Node, NodeKind, Timestamp, Tree};
pub use host::{hostname, username};
pub use id::{BlobId, IndexId, InvalidId, KeyId, PackId, SnapshotId};
pub use ls::LsEntry;
#[cfg(feature = "mount")]
pub use mount::{MountHandle, MountOptions};
pub use repair::{
    RepairIndexReport, RepairPacksReport, RepairSnapshotsOptions, RepairSnapshotsReport,
};
pub use restore::{RestoreOptions, RestoreOutcome, RestoreProgress};

pub use repository::{
    InitOptions, KeyInfo, LockGuard, LockKind, OpenOptions, Repository, SkippedKeyFile,
    SnapshotEntry, Unlock, DEFAULT_KDF_LIMIT, DEFAULT_PACK_SIZE,
};

/// This library's version, recorded in snapshots.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
