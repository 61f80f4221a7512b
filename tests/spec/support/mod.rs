//! What every specification needs: a `pvault` runner isolated per test and a scratch folder
//! to run it in; the shared photo corpus ([`corpus`]), file content and repository internals
//! ([`files`]), and a comparison of two directory trees ([`compare`]).

mod compare;
mod corpus;
mod files;
mod forge;

pub use compare::*;
pub use corpus::*;
pub use files::*;
pub use forge::*;

use std::path::{Path, PathBuf};

pub use photovault_testkit::pvault::{is_root, Pvault, FAST_KDF};
use tempfile::TempDir;

/// The password of every test repository.
pub const PASSWORD: &str = "correct horse battery staple";

/// A test's scratch space: a temporary folder holding `repo/`, `cache/` and whatever the
/// test puts there, and a runner for that repository.
pub struct Scratch {
    /// The folder (deleted when the test ends).
    pub dir: TempDir,
    /// `pvault` against `dir/repo`.
    pub pv: Pvault,
}

impl Scratch {
    /// An empty scratch space; the repository is not created yet.
    pub fn new() -> Self {
        Self::in_folder(std::env::temp_dir())
    }

    /// A scratch space with an initialised repository in memory (`/dev/shm`) where the
    /// machine has one, else in the temporary folder: for tests whose point is the number
    /// of files, not the disk (creating and deleting 100,000 files on a busy virtual disk
    /// takes minutes).
    pub fn with_repo_in_memory() -> Self {
        let shm = Path::new("/dev/shm");
        let folder = if shm.is_dir() && tempfile::tempdir_in(shm).is_ok() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let s = Self::in_folder(folder);
        s.pv.init();
        s
    }

    fn in_folder(folder: PathBuf) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("pvault-spec-")
            .tempdir_in(folder)
            .expect("temporary folder");
        let pv = Pvault::new(
            env!("CARGO_BIN_EXE_pvault"),
            dir.path().join("repo"),
            dir.path().join("cache"),
            PASSWORD,
        );
        Scratch { dir, pv }
    }

    /// A scratch space with an initialised repository.
    pub fn with_repo() -> Self {
        let s = Self::new();
        s.pv.init();
        s
    }

    /// `dir/name`.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Where restore puts the backed-up absolute path `source`: `target/<source without />`.
pub fn restored_path(target: &Path, source: &Path) -> PathBuf {
    target.join(source.strip_prefix("/").expect("absolute source"))
}
