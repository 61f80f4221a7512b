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
        let dir = tempfile::Builder::new()
            .prefix("pvault-spec-")
            .tempdir()
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
