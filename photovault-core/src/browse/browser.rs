//! [`Browser`]: the entry point of browsing, over one open repository.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use super::blob_cache::BlobCache;
use super::file_reader::OpenFile;
use super::read_ahead::ReadAhead;
use super::timeline::{self, Candidate, Timeline};
use crate::error::{Error, Result};
use crate::format::snapshot::Snapshot;
use crate::format::tree::{Node, NodeKind};
use crate::id::BlobId;
use crate::repository::IndexedRepository;

/// The smallest blob cache a browser uses: a few of the largest (1 MiB) blobs.
pub const MIN_CACHE_SIZE: u64 = 16 << 20;

/// How to browse.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct BrowseOptions {
    /// Bytes of decrypted blobs kept in memory, shared by every open file (default 256 MiB;
    /// at least [`MIN_CACHE_SIZE`] is used, as a read must find the blob it just fetched).
    pub cache_size: u64,
    /// Threads that fetch blobs ahead of sequential readers (default one per core, 2 to 8;
    /// 0: none).
    pub read_ahead_threads: usize,
}

impl Default for BrowseOptions {
    fn default() -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        BrowseOptions {
            cache_size: 256 << 20,
            read_ahead_threads: cpus.clamp(2, 8),
        }
    }
}

impl BrowseOptions {
    /// Sets the blob cache size in bytes.
    pub fn cache_size(mut self, bytes: u64) -> Self {
        self.cache_size = bytes;
        self
    }

    /// Sets the number of read-ahead threads.
    pub fn read_ahead_threads(mut self, threads: usize) -> Self {
        self.read_ahead_threads = threads;
        self
    }
}

/// Read access to the snapshots of a repository, for programs that show them: folders read
/// when asked for, files read by byte range, and the photo timeline. Cheap to clone; safe
/// to share between threads.
///
/// A browser takes no lock: hold one ([`IndexedRepository::lock`]) for as long as what it shows
/// must not be removed under it.
#[derive(Clone)]
pub struct Browser {
    repo: IndexedRepository,
    cache: Arc<BlobCache>,
    read_ahead: Arc<ReadAhead>,
}

/// A folder of a snapshot, as [`Browser::list`] reads it.
#[derive(Debug, Clone, Default)]
pub struct Folder {
    /// Its entries, in name order.
    pub entries: Vec<Node>,
    /// Entries left out because no writer gives such a name (`..`, `a/b`, ...: a damaged
    /// or hostile repository), with why.
    pub hidden: Vec<(Node, &'static str)>,
}

impl Browser {
    /// A browser of `repo`, with its blob cache and read-ahead threads. Nothing is read
    /// until asked.
    pub fn new(repo: &IndexedRepository, options: &BrowseOptions) -> Result<Browser> {
        let cache = Arc::new(BlobCache::new(options.cache_size.max(MIN_CACHE_SIZE)));
        let read_ahead = ReadAhead::new(repo.clone(), cache.clone(), options.read_ahead_threads);
        Ok(Browser {
            repo: repo.clone(),
            cache,
            read_ahead: Arc::new(read_ahead),
        })
    }

    /// The repository browsed.
    pub fn repository(&self) -> &IndexedRepository {
        &self.repo
    }

    /// The folder whose tree is `tree` (a folder node's `subtree`, or a snapshot's `tree`
    /// for its root). Reads that one tree.
    pub fn list(&self, tree: &BlobId) -> Result<Folder> {
        let mut folder = Folder::default();
        for node in self.repo.read_tree(tree)?.nodes {
            match node.name_problem() {
                Some(problem) => folder.hidden.push((node, problem)),
                None => folder.entries.push(node),
            }
        }
        Ok(folder)
    }

    /// The folder at `path` in `snapshot` (slash-separated, as [`IndexedRepository::find_path`]
    /// takes it; empty or `/` is the root). Reads the trees along the path.
    pub fn list_path(&self, snapshot: &Snapshot, path: &str) -> Result<Folder> {
        let node = self.repo.find_path(snapshot, path)?;
        match (node.kind, node.subtree) {
            (NodeKind::Dir, Some(tree)) => self.list(&tree),
            (NodeKind::Dir, None) => Ok(Folder::default()),
            _ => Err(Error::InvalidArgument(format!("'{path}' is not a folder"))),
        }
    }

    /// Opens a file of a snapshot for reading byte ranges. Looks up where each of its blobs
    /// is, and reads none of them yet.
    pub fn open(&self, file: &Node) -> Result<OpenFile> {
        OpenFile::open(
            self.repo.clone(),
            self.cache.clone(),
            self.read_ahead.clone(),
            file,
        )
    }

    /// The photo timeline of the snapshot whose root tree is `root` (a snapshot's `tree`).
    /// Reads every tree of the snapshot, in parallel; a folder that cannot be read is left
    /// out and named in [`Timeline::unreadable`].
    pub fn timeline(&self, root: &BlobId) -> Timeline {
        // Folders are walked in parallel and recursively: on threads whose stacks fit
        // MAX_DEPTH levels, not on the global pool's.
        let (candidates, unreadable) =
            match crate::workers::pool("timeline", 0, crate::workers::Work::Io) {
                Ok(pool) => pool.install(|| self.candidates(*root, Vec::new(), 0)),
                Err(e) => (Vec::new(), vec![(PathBuf::from("/"), e)]),
            };
        Timeline {
            months: timeline::arrange(candidates),
            unreadable,
        }
    }

    /// The timeline candidates below `tree`, whose path in the snapshot is `path`, and the
    /// folders that could not be read.
    fn candidates(
        &self,
        tree: BlobId,
        path: Vec<u8>,
        depth: usize,
    ) -> (Vec<Candidate>, Vec<(PathBuf, Error)>) {
        if depth > crate::MAX_DEPTH {
            let shown = PathBuf::from(OsStr::from_bytes(&path));
            let too_deep = Error::TooDeep {
                path: shown.display().to_string(),
            };
            return (Vec::new(), vec![(shown, too_deep)]);
        }
        let tree = match self.repo.read_tree(&tree) {
            Ok(tree) => tree,
            Err(e) => {
                let shown = PathBuf::from(OsStr::from_bytes(&path));
                return (Vec::new(), vec![(shown, e)]);
            }
        };
        let mut files = Vec::new();
        let mut folders = Vec::new();
        for node in tree.nodes {
            if node.name_problem().is_some() {
                continue;
            }
            match (node.kind, node.subtree) {
                (NodeKind::File, _) => files.push(Arc::new(node)),
                (NodeKind::Dir, Some(subtree)) if !timeline::skip_folder(&node.name) => {
                    folders.push((subtree, [path.as_slice(), b"/", &node.name].concat()));
                }
                _ => {}
            }
        }
        let mut found = timeline::group_folder(&path, &files);
        let (below, unreadable): (Vec<_>, Vec<_>) = folders
            .into_par_iter()
            .map(|(tree, path)| self.candidates(tree, path, depth + 1))
            .unzip();
        found.extend(below.into_iter().flatten());
        (found, unreadable.into_iter().flatten().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::LocalBackend;
    use crate::{BackupOptions, InitOptions, KdfParams, OpenOptions, Repository};
    use std::fs;
    use std::path::Path;
    use std::time::{Duration, SystemTime};

    /// 2021-03-10T12:00:00Z
    const MARCH_2021: u64 = 1_615_377_600;

    fn pseudo_random(seed: u32, len: usize) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2_654_435_761) | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                x as u8
            })
            .collect()
    }

    fn write(path: &Path, content: &[u8], secs: u64) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let file = fs::File::options().write(true).open(path).unwrap();
        file.set_modified(time).unwrap();
    }

    #[test]
    fn folders_byte_ranges_and_the_timeline_of_a_snapshot() {
        // Not `.tmp...`: the timeline does not look into hidden folders.
        let dir = tempfile::Builder::new().prefix("browse").tempdir().unwrap();
        let photos = dir.path().join("Photos");
        let still = pseudo_random(1, 3 << 20);
        write(&photos.join("2021/IMG_1.HEIC"), &still, MARCH_2021);
        write(
            &photos.join("2021/IMG_1.MOV"),
            &pseudo_random(2, 1000),
            MARCH_2021,
        );
        write(
            &photos.join("2021/notes.txt"),
            b"a day at the beach",
            MARCH_2021,
        );
        // The same photo imported again a month later, without its movie.
        write(
            &photos.join("Imports/copy.heic"),
            &still,
            MARCH_2021 + 30 * 86_400,
        );

        let backend = Arc::new(LocalBackend::new(dir.path().join("repo")));
        let options = InitOptions::default()
            .kdf(KdfParams {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            })
            .open_options(OpenOptions::default().no_cache(true));
        let repo = Repository::init(backend, b"browse", &options)
            .unwrap()
            .to_indexed()
            .unwrap();
        repo.backup(
            std::slice::from_ref(&photos),
            &BackupOptions::default(),
            &(),
        )
        .unwrap();
        let snapshot = repo.find_snapshot("latest").unwrap().snapshot;
        let options = BrowseOptions::default().cache_size(0).read_ahead_threads(1);
        let browser = Browser::new(&repo, &options).unwrap();

        let folder = browser
            .list_path(&snapshot, photos.join("2021").to_str().unwrap())
            .unwrap();
        let names: Vec<String> = folder.entries.iter().map(|n| n.display_name()).collect();
        assert_eq!(names, ["IMG_1.HEIC", "IMG_1.MOV", "notes.txt"]);
        assert!(folder.hidden.is_empty());
        let root = browser.list(&snapshot.tree).unwrap();
        assert_eq!(root.entries.len(), 1);
        let not_a_folder = photos.join("2021/notes.txt");
        assert!(browser
            .list_path(&snapshot, not_a_folder.to_str().unwrap())
            .is_err());

        let file = browser.open(&folder.entries[0]).unwrap();
        assert_eq!(file.size(), still.len() as u64);
        assert!(
            folder.entries[0].content.len() > 3,
            "blob boundaries to cross"
        );
        let end = still.len();
        for (offset, len) in [
            (0, 10),
            (65_000, 300_000),
            (1 << 20, 1 << 20),
            (0, end),
            (end - 5, 100),
            (end, 10),
            (end + 1000, 10),
        ] {
            let expected = &still[offset.min(end)..(offset + len).min(end)];
            let read = file.read_at(offset as u64, len).unwrap();
            assert!(read == expected, "{len} bytes at {offset}");
        }

        let timeline = browser.timeline(&snapshot.tree);
        assert!(timeline.unreadable.is_empty());
        let months: Vec<(i32, u32, Vec<String>)> = timeline
            .months
            .iter()
            .map(|m| {
                let names = m
                    .entries
                    .iter()
                    .map(|(name, _)| String::from_utf8_lossy(name).into_owned())
                    .collect();
                (m.year, m.month, names)
            })
            .collect();
        let live_photo = vec!["IMG_1.HEIC".to_string(), "IMG_1.MOV".to_string()];
        assert_eq!(months, [(2021, 3, live_photo)]);
    }
}
