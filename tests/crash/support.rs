//! Helpers shared by the crash tests.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Writes a file of pseudo-random content.
pub fn write_random(path: &Path, seed: u64, len: usize) {
    photovault_testkit::files::write_random_file(path, len as u64, seed).unwrap();
}

/// Relative path → content of every regular file below `root`.
pub fn contents(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    photovault_testkit::files::contents(root).unwrap()
}

/// Copies a folder tree.
pub fn copy_tree(from: &Path, to: &Path) {
    photovault_testkit::files::copy_tree(from, to).unwrap();
}

/// Bytes in complete pack files (64-hex names) of a local repository. `data/` also holds
/// the temporary files of packs being written (or left by a killed backup): not counted.
pub fn pack_bytes(repo: &Path) -> u64 {
    let mut total = 0;
    for sub in fs::read_dir(repo.join("data")).unwrap() {
        let sub = sub.unwrap();
        if !sub.file_type().unwrap().is_dir() {
            continue;
        }
        for f in fs::read_dir(sub.path()).unwrap() {
            let f = f.unwrap();
            let name = f.file_name().to_string_lossy().into_owned();
            if name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()) {
                total += f.metadata().unwrap().len();
            }
        }
    }
    total
}

/// The temporary files of packs being written, or left by killed backups, in `data/`.
pub fn temporary_packs(repo: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(repo.join("data"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found
}

/// `pvault` against one repository: the shared runner of `photovault_testkit`, with the
/// crash tests' password and the helpers they use.
pub struct Pvault {
    runner: photovault_testkit::pvault::Pvault,
    /// The repository folder.
    pub repo: PathBuf,
}

impl Pvault {
    /// A repository and cache in `work`.
    pub fn new(work: &Path) -> Self {
        Self::at(work.join("repo"), work.join("cache"))
    }

    /// A repository at `repo` with its cache in `cache`.
    pub fn at(repo: PathBuf, cache: PathBuf) -> Self {
        let bin = env!("CARGO_BIN_EXE_pvault");
        Pvault {
            runner: photovault_testkit::pvault::Pvault::new(bin, &repo, cache, "crash-test"),
            repo,
        }
    }

    /// `pvault ARGS`, ready to spawn.
    pub fn command(&self, args: &[&str]) -> Command {
        self.runner.command(args)
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs and insists on exit code 0.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "pvault {args:?} failed ({:?}):\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `pvault init` with packs of `pack_mib` MiB.
    pub fn init(&self, pack_mib: u32) {
        self.runner
            .init_with(&["--pack-size", &pack_mib.to_string()]);
    }

    /// Backs up `src` and returns the JSON summary.
    pub fn backup(&self, src: &Path) -> serde_json::Value {
        self.runner.backup(&[src], &[])
    }

    /// Restores `snapshot` and returns the restored content of `src`.
    pub fn restored(
        &self,
        snapshot: &str,
        src: &Path,
        target: &Path,
    ) -> BTreeMap<PathBuf, Vec<u8>> {
        let _ = fs::remove_dir_all(target);
        self.ok(&["restore", snapshot, "--target", target.to_str().unwrap()]);
        contents(&target.join(src.strip_prefix("/").unwrap()))
    }
}
