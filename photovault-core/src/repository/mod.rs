//! The repository handle: opening and creating repositories, and the services every
//! operation shares (reading blobs and trees, snapshots, keys, locks).
//!
//! Two types: [`Repository`] is an opened repository (config, key, backend, locks, cache
//! folders) and loads no index; [`IndexedRepository`] ([`Repository::to_indexed`], see
//! `indexed.rs`) holds one and its index, and is what operations that read or store blobs
//! take. Operations (backup, restore, ...) live in modules of their own and add methods to
//! the type they need there.

mod indexed;
mod keys;
mod locking;
mod remote_cache;
mod snapshots;

use std::path::PathBuf;
use std::sync::Arc;

use crate::backend::{Backend, FileKind};
use crate::chunk::{Chunker, ChunkerParams, ChunkingScheme};
use crate::crypto::{self, KdfParams, MasterKey};
use crate::error::{Damage, Error, Result};
use crate::format::blob::{open_blob, BlobLocation};
use crate::format::config::{Config, CONFIG_VERSION};
use crate::format::index_file::IndexFile;
use crate::format::key_file::KeyFile;
use crate::format::sealed_file;
use crate::id::{IndexId, KeyId};

pub use indexed::IndexedRepository;
pub use keys::{KeyInfo, SkippedKeyFile};
pub use locking::{LockGuard, LockKind, Unlock};
pub(crate) use snapshots::root_node;
pub use snapshots::SnapshotEntry;

/// How to create a repository.
#[derive(Clone)]
#[non_exhaustive]
pub struct InitOptions {
    /// Argon2id parameters of the first key.
    pub kdf: KdfParams,
    /// FastCDC sizes, fixed for the repository's life.
    pub chunker: ChunkerParams,
    /// Where chunk boundaries may fall, fixed for the repository's life (default
    /// [`ChunkingScheme::for_new_repositories`]: container).
    pub chunking: ChunkingScheme,
    /// Target pack size in bytes.
    pub pack_size: u32,
    /// zstd level for blobs that compress.
    pub compression_level: i32,
    /// Where the local cache lives (see [`OpenOptions`]).
    pub open: OpenOptions,
    /// Name blobs and cut chunks as this repository does, so that `copy` moves blobs from it
    /// without cutting files again (see [`InitOptions::chunker_params_from`]).
    pub ids_from: Option<Repository>,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            kdf: KdfParams::default(),
            chunker: ChunkerParams::default(),
            chunking: ChunkingScheme::for_new_repositories(),
            pack_size: DEFAULT_PACK_SIZE,
            compression_level: 3,
            open: OpenOptions::default(),
            ids_from: None,
        }
    }
}

impl InitOptions {
    /// Sets the Argon2id parameters (tests use small ones).
    pub fn kdf(mut self, kdf: KdfParams) -> Self {
        self.kdf = kdf;
        self
    }

    /// Sets the target pack size.
    pub fn pack_size(mut self, bytes: u32) -> Self {
        self.pack_size = bytes;
        self
    }

    /// Sets the chunking scheme (`plain` cuts as repositories made before schemes did).
    pub fn chunking(mut self, scheme: ChunkingScheme) -> Self {
        self.chunking = scheme;
        self
    }

    /// Shares `source`'s chunker sizes, chunking scheme, chunker seed and blob-id key (not
    /// its encryption key), so that snapshots copy between the two blob for blob. Whoever
    /// holds both repositories' passwords can then tell which chunks they have in common
    /// (SPEC §4.1).
    pub fn chunker_params_from(mut self, source: &Repository) -> Self {
        self.chunker = source.inner.config.chunker;
        self.chunking = source.inner.config.chunking.clone();
        self.ids_from = Some(source.clone());
        self
    }

    /// Sets the cache options used after creation.
    pub fn open_options(mut self, open: OpenOptions) -> Self {
        self.open = open;
        self
    }
}

/// 16 MiB: few enough files for a USB disk or an object store, small enough that a backup
/// holds only a handful in memory.
pub const DEFAULT_PACK_SIZE: u32 = 16 << 20;

impl std::fmt::Debug for InitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitOptions")
            .field("kdf", &self.kdf)
            .field("chunker", &self.chunker)
            .field("chunking", &self.chunking)
            .field("pack_size", &self.pack_size)
            .field("compression_level", &self.compression_level)
            .field("open", &self.open)
            .field("ids_from", &self.ids_from.as_ref().map(|r| r.location()))
            .finish()
    }
}

/// How to open a repository.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OpenOptions {
    /// Base folder of the local cache; default `$XDG_CACHE_HOME/photovault`
    /// (`~/.cache/photovault`). The cache of a repository is `<base>/<repository id>/`.
    pub cache_dir: Option<PathBuf>,
    /// Keep the index cache in memory only.
    pub no_cache: bool,
    /// The most Argon2id work a key file may ask for before it is tried; key files asking
    /// for more are skipped and named (default [`DEFAULT_KDF_LIMIT`]).
    pub kdf_limit: KdfParams,
    /// Read without taking a lock (restore, check, mount): for repositories on read-only
    /// media, where no lock can be written and nothing can be deleted. Writers always lock.
    pub no_lock: bool,
}

/// The most Argon2id work a reader does for one key file unless told otherwise: 1 GiB of
/// memory, 16 passes, 64 lanes. Sixteen times photovault's default memory, so a user's
/// stronger setting still opens, and a planted key file cannot take the machine's memory.
pub const DEFAULT_KDF_LIMIT: KdfParams = KdfParams {
    memory_kib: 1 << 20,
    iterations: 16,
    parallelism: 64,
};

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            cache_dir: None,
            no_cache: false,
            kdf_limit: DEFAULT_KDF_LIMIT,
            no_lock: false,
        }
    }
}

impl OpenOptions {
    /// Reads without a lock (see [`OpenOptions::no_lock`]).
    pub fn no_lock(mut self, no_lock: bool) -> Self {
        self.no_lock = no_lock;
        self
    }

    /// Sets the most Argon2id work a key file may ask for before it is tried.
    pub fn kdf_limit(mut self, limit: KdfParams) -> Self {
        self.kdf_limit = limit;
        self
    }

    /// Uses `dir` as the cache base folder.
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Disables the on-disk cache.
    pub fn no_cache(mut self, no_cache: bool) -> Self {
        self.no_cache = no_cache;
        self
    }
}

/// The local cache folder of the repository `id`.
fn cache_folder(options: &OpenOptions, id: &str) -> PathBuf {
    let base = options
        .cache_dir
        .clone()
        .or_else(|| dirs::cache_dir().map(|d| d.join("photovault")))
        .unwrap_or_else(|| std::env::temp_dir().join("photovault-cache"));
    base.join(id)
}

/// An open repository. Cheap to clone; safe to share between threads.
#[derive(Clone)]
pub struct Repository {
    pub(crate) inner: Arc<RepoInner>,
}

pub(crate) struct RepoInner {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) key: MasterKey,
    pub(crate) key_id: KeyId,
    pub(crate) config: Config,
    pub(crate) chunker: Chunker,
    options: OpenOptions,
    skipped_keys: Vec<SkippedKeyFile>,
    /// Tree packs and snapshots on the local disk, for a repository on a network store.
    remote_cache: Option<remote_cache::RemoteCache>,
}

impl RepoInner {
    /// Whether readers skip their lock ([`OpenOptions::no_lock`]).
    pub(crate) fn no_lock(&self) -> bool {
        self.options.no_lock
    }

    /// Where the index cache of this repository lives, or `None` for an index kept in
    /// memory ([`OpenOptions::no_cache`]). Cache files of older versions are removed.
    pub(crate) fn index_cache_path(&self) -> Option<PathBuf> {
        (!self.options.no_cache).then(|| {
            let folder = self.cache_folder();
            for old in crate::index::OLD_CACHE_FILES {
                let _ = std::fs::remove_file(folder.join(old));
            }
            folder.join(crate::index::CACHE_FILE)
        })
    }

    fn cache_folder(&self) -> PathBuf {
        cache_folder(&self.options, &self.config.id)
    }

    /// Reads, decrypts and verifies the blob at one location.
    pub(crate) fn read_blob_at(&self, location: &BlobLocation) -> Result<Vec<u8>> {
        let (name, offset, length) = (
            location.pack.to_hex(),
            location.entry.offset as u64,
            location.entry.length as u64,
        );
        let stored = match &self.remote_cache {
            Some(cache) if location.entry.kind == crate::format::blob::BlobKind::Tree => {
                cache.read_tree_pack(self.backend.as_ref(), &name, offset, length)?
            }
            _ => self.backend.read(FileKind::Pack, &name, offset, length)?,
        };
        open_blob(&self.key, location, &stored)
    }

    /// The stored bytes of a snapshot file (from the local cache for a network store).
    pub(crate) fn read_snapshot_file(&self, name: &str) -> Result<Vec<u8>> {
        match &self.remote_cache {
            Some(cache) => cache.read_snapshot(self.backend.as_ref(), name),
            None => Ok(self.backend.read_all(FileKind::Snapshot, name)?),
        }
    }

    /// Stores a finished pack; a tree pack of a network repository is also kept in the
    /// local cache, so that the next backup need not download the trees it just wrote.
    pub(crate) fn store_pack(&self, pack: &mut crate::pack::FinishedPack) -> Result<()> {
        let name = pack.id.to_hex();
        self.backend.finish_write(pack.file.as_mut(), &name)?;
        let holds_trees = pack
            .entries
            .iter()
            .all(|e| e.kind == crate::format::blob::BlobKind::Tree);
        if let (Some(cache), true) = (&self.remote_cache, holds_trees) {
            if let Some(bytes) = pack.file.in_memory() {
                cache.keep(FileKind::Pack, &name, bytes);
            } else if let Some(spooled) = pack
                .file
                .as_any_mut()
                .downcast_mut::<crate::backend::TempFile>()
                .and_then(|t| t.flushed().ok().map(|p| p.to_path_buf()))
            {
                cache.wrote_tree_pack(&name, &spooled);
            }
        }
        Ok(())
    }

    /// Stores a snapshot file (and keeps it in the local cache of a network repository).
    pub(crate) fn store_snapshot_file(&self, name: &str, sealed: &[u8]) -> Result<()> {
        self.backend.write(FileKind::Snapshot, name, sealed)?;
        if let Some(cache) = &self.remote_cache {
            cache.wrote_snapshot(name, sealed);
        }
        Ok(())
    }

    /// Removes a file from the repository, and from the local cache where it is kept.
    pub(crate) fn remove_file(&self, kind: FileKind, name: &str) -> Result<()> {
        self.backend.remove(kind, name)?;
        if let Some(cache) = &self.remote_cache {
            cache.forget(kind, name);
        }
        Ok(())
    }
}

impl Repository {
    /// Creates a repository in an empty location and opens it.
    pub fn init(
        backend: Arc<dyn Backend>,
        password: &[u8],
        options: &InitOptions,
    ) -> Result<Repository> {
        if password.is_empty() {
            return Err(Error::EmptyPassword);
        }
        // Only a config makes a repository: key files without one are left by an
        // interrupted init, and open() ignores keys that do not decrypt the config.
        if !backend.list(FileKind::Config)?.is_empty() {
            return Err(Error::RepositoryExists {
                location: backend.location(),
            });
        }
        let mut id = [0u8; 32];
        crypto::random_bytes(&mut id);
        let config = Config {
            version: CONFIG_VERSION,
            id: hex::encode(id),
            chunker: options.chunker,
            pack_size: options.pack_size,
            compression_level: options.compression_level,
            chunking: options.chunking.clone(),
        };
        if let ChunkingScheme::Unknown(name) = &config.chunking {
            return Err(Error::InvalidArgument(format!(
                "unknown chunking scheme {name:?}: choose plain or container"
            )));
        }
        config.check_values().map_err(Error::InvalidArgument)?;
        backend.create()?;
        let key = match &options.ids_from {
            Some(source) => MasterKey::sharing_ids_with(&source.inner.key),
            None => MasterKey::generate(),
        };
        let key_file = KeyFile::wrap(&key, password, options.kdf)?.encode();
        let key_id = KeyId::hash_of(&key_file);
        backend.write(FileKind::Key, &key_id.to_hex(), &key_file)?;
        // The config is written last: its presence is what makes a repository.
        backend.write(
            FileKind::Config,
            "config",
            &sealed_file::seal_json(&key, "config", &config),
        )?;
        Ok(Self::assemble(
            backend,
            key,
            key_id,
            config,
            options.open.clone(),
            Vec::new(),
        ))
    }

    /// Opens a repository with a password.
    pub fn open(
        backend: Arc<dyn Backend>,
        password: &[u8],
        options: &OpenOptions,
    ) -> Result<Repository> {
        if backend.list(FileKind::Config)?.is_empty() {
            return Err(Error::RepositoryNotFound {
                location: backend.location(),
            });
        }
        if password.is_empty() {
            return Err(Error::EmptyPassword);
        }
        let sealed = backend.read_all(FileKind::Config, "config")?;
        let (key, key_id, config, skipped_keys) =
            keys::unlock(backend.as_ref(), password, options.kdf_limit, |key| {
                sealed_file::open_json::<Config>(key, "config", "config", &sealed)
            })?;
        config.check_supported()?;
        if hex::decode(&config.id).map(|b| b.len()) != Ok(32) {
            return Err(Error::damaged(
                "config",
                Damage::Malformed(crate::Malformed::RepositoryId),
            ));
        }
        Ok(Self::assemble(
            backend,
            key,
            key_id,
            config,
            options.clone(),
            skipped_keys,
        ))
    }

    fn assemble(
        backend: Arc<dyn Backend>,
        key: MasterKey,
        key_id: KeyId,
        config: Config,
        options: OpenOptions,
        skipped_keys: Vec<SkippedKeyFile>,
    ) -> Self {
        let chunker =
            Chunker::new(config.chunker, key.chunker_seed()).with_scheme(config.chunking.clone());
        let remote_cache = (backend.is_remote() && !options.no_cache)
            .then(|| remote_cache::RemoteCache::new(cache_folder(&options, &config.id)));
        Repository {
            inner: Arc::new(RepoInner {
                backend,
                key,
                key_id,
                config,
                chunker,
                options,
                skipped_keys,
                remote_cache,
            }),
        }
    }

    /// Whether this repository names blobs and cuts chunks as `other` does (one was created
    /// with [`InitOptions::chunker_params_from`] the other), so that `copy` moves blobs as
    /// they are. Repositories that cut by different schemes do not: copy cuts files again,
    /// the target's way.
    pub fn shares_ids_with(&self, other: &Repository) -> bool {
        self.inner.key.same_ids_as(&other.inner.key)
            && self.inner.config.chunker == other.inner.config.chunker
            && self.inner.config.chunking == other.inner.config.chunking
    }

    /// The repository's settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Where it is.
    pub fn location(&self) -> String {
        self.inner.backend.location()
    }

    /// The storage it lives on.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.inner.backend
    }

    /// Key files that opening did not try because they ask for more Argon2id work than
    /// [`OpenOptions::kdf_limit`] allows (anyone who can write to the storage can add one).
    pub fn skipped_key_files(&self) -> &[SkippedKeyFile] {
        &self.inner.skipped_keys
    }

    /// Seals `file` and stores it as a new index file; returns its id. For tools that build
    /// an index themselves (an importer, a benchmark of a large index): every pack it lists
    /// must exist with exactly those blobs, or `check` reports the repository as damaged.
    #[doc(hidden)]
    pub fn write_index_file(&self, file: &IndexFile) -> Result<IndexId> {
        crate::index::write_index_file(self.inner.backend.as_ref(), &self.inner.key, file)
    }
}
