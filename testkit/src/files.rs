//! Files for tests: one source of pseudo-random content, one tree copier and one reader of
//! a whole tree, shared by every test suite and benchmark (they had a generator, a copier
//! and a walker each).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::corpus::rng::Rng;

/// `len` pseudo-random bytes for `seed`: incompressible, like photo and video content, and
/// the same on every machine.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut out = vec![0u8; len];
    stream(&mut Rng::derive(seed, &[len as u64]), &mut out);
    out
}

/// Fills `buf` with the generator's next words, one per 8 bytes (the last one cut short), so
/// that filling in pieces of multiples of 8 bytes gives the same bytes as filling at once.
fn stream(rng: &mut Rng, buf: &mut [u8]) {
    for piece in buf.chunks_mut(8) {
        piece.copy_from_slice(&rng.next_u64().to_le_bytes()[..piece.len()]);
    }
}

/// Writes `len` pseudo-random bytes for `seed` to `path` (its folder is created), in pieces,
/// so that a file of gigabytes costs no more memory than one of megabytes.
pub fn write_random_file(path: &Path, len: u64, seed: u64) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut rng = Rng::derive(seed, &[len]);
    let mut out = BufWriter::new(File::create(path)?);
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        stream(&mut rng, &mut buf[..n]);
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    out.flush()
}

/// Copies the folder `from` to `to` (which must not exist) with everything in it, keeping
/// modes, times and symlinks, as `cp -a` does.
pub fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    let status = Command::new("cp").arg("-a").arg(from).arg(to).status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "cp -a {} {} failed",
            from.display(),
            to.display()
        )))
    }
}

/// One entry below a walked folder.
#[derive(Debug)]
pub struct Entry {
    /// Its path relative to the walked folder.
    pub relative: PathBuf,
    /// Its full path.
    pub path: PathBuf,
    /// Its own metadata (a symlink's, not its target's).
    pub metadata: fs::Metadata,
}

/// Every entry below `root` (not `root` itself), depth first, each folder's entries sorted by
/// name bytes, without following symlinks: the one tree walker of every test suite.
pub fn walk(root: &Path) -> io::Result<Vec<Entry>> {
    fn visit(root: &Path, dir: &Path, out: &mut Vec<Entry>) -> io::Result<()> {
        let mut names: Vec<_> = fs::read_dir(dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()?;
        names.sort();
        for name in names {
            let path = dir.join(name);
            let metadata = fs::symlink_metadata(&path)?;
            let is_dir = metadata.is_dir();
            let relative = path.strip_prefix(root).expect("below root").to_path_buf();
            out.push(Entry {
                relative,
                path: path.clone(),
                metadata,
            });
            if is_dir {
                visit(root, &path, out)?;
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    visit(root, root, &mut out)?;
    Ok(out)
}

/// The content of every regular file below `root`, by path relative to it (symlinks are
/// not followed).
pub fn contents(root: &Path) -> io::Result<BTreeMap<PathBuf, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for entry in walk(root)? {
        if entry.metadata.is_file() {
            out.insert(entry.relative, fs::read(&entry.path)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_content_is_deterministic_and_incompressible() {
        assert_eq!(random_bytes(10_000, 7), random_bytes(10_000, 7));
        assert_ne!(random_bytes(10_000, 7), random_bytes(10_000, 8));
        let bytes = random_bytes(1 << 20, 1);
        let distinct: std::collections::HashSet<u8> = bytes.iter().copied().collect();
        assert_eq!(distinct.len(), 256);
    }

    #[test]
    fn a_streamed_file_holds_the_bytes_random_bytes_gives() {
        let dir = std::env::temp_dir().join(format!("testkit-files-{}", std::process::id()));
        let path = dir.join("a/b.bin");
        write_random_file(&path, 3_000_001, 9).unwrap();
        assert_eq!(fs::read(&path).unwrap(), random_bytes(3_000_001, 9));
        let copy = dir.join("copy");
        copy_tree(&dir.join("a"), &copy).unwrap();
        let read = contents(&copy).unwrap();
        assert_eq!(read[Path::new("b.bin")], random_bytes(3_000_001, 9));
        let walked: Vec<_> = walk(&dir)
            .unwrap()
            .into_iter()
            .map(|e| e.relative)
            .collect();
        let expected = ["a", "a/b.bin", "copy", "copy/b.bin"];
        assert_eq!(walked, expected.map(PathBuf::from));
        fs::remove_dir_all(&dir).unwrap();
    }
}
