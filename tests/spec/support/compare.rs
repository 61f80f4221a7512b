//! Comparing two directory trees the way a restore must reproduce one: names (bytes),
//! types, contents, permission bits, owners, mtimes to the nanosecond, symlink targets and
//! empty folders.

use std::ffi::OsString;
use std::fs::{self, File};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::{chmod, copy_tree, raw_name, Scratch};

/// Asserts that `actual` is a faithful copy of `expected`, the top folder's own metadata
/// included: the same names (bytes), types, contents, permission bits, owners, mtimes to the
/// nanosecond (files and folders), symlink targets, and empty folders.
#[track_caller]
pub fn assert_same_tree(expected: &Path, actual: &Path) {
    report(expected, actual, diff_trees(expected, actual, true));
}

/// Like [`assert_same_tree`], but only for what is inside the two folders.
#[track_caller]
pub fn assert_same_content(expected: &Path, actual: &Path) {
    report(expected, actual, diff_trees(expected, actual, false));
}

#[track_caller]
fn report(expected: &Path, actual: &Path, diffs: Vec<String>) {
    if !diffs.is_empty() {
        let shown: Vec<&str> = diffs.iter().take(30).map(String::as_str).collect();
        panic!(
            "{actual:?} differs from {expected:?} in {} place(s):\n  {}",
            diffs.len(),
            shown.join("\n  ")
        );
    }
}

/// Every difference between the two trees, one line each.
pub fn diff_trees(expected: &Path, actual: &Path, root_metadata: bool) -> Vec<String> {
    let mut diffs = Vec::new();
    compare_entry(expected, actual, root_metadata, &mut diffs);
    diffs
}

fn sorted_names(dir: &Path) -> io::Result<Vec<OsString>> {
    let mut names = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    Ok(names)
}

fn compare_entry(a: &Path, b: &Path, metadata: bool, diffs: &mut Vec<String>) {
    let (ma, mb) = match (fs::symlink_metadata(a), fs::symlink_metadata(b)) {
        (Ok(ma), Ok(mb)) => (ma, mb),
        (Err(e), _) => return diffs.push(format!("{a:?}: cannot stat: {e}")),
        (_, Err(e)) => return diffs.push(format!("{b:?}: missing ({e})")),
    };
    let (ta, tb) = (ma.file_type(), mb.file_type());
    if ta != tb {
        return diffs.push(format!("{b:?}: type {tb:?}, expected {ta:?}"));
    }
    if ta.is_symlink() {
        let (la, lb) = (fs::read_link(a), fs::read_link(b));
        if la.as_ref().ok() != lb.as_ref().ok() {
            diffs.push(format!("{b:?}: symlink to {lb:?}, expected {la:?}"));
        }
        return;
    }
    if metadata {
        let fields = [
            ("mode", ma.mode() as i64, mb.mode() as i64),
            ("uid", ma.uid() as i64, mb.uid() as i64),
            ("gid", ma.gid() as i64, mb.gid() as i64),
            ("mtime", ma.mtime(), mb.mtime()),
            ("mtime_nsec", ma.mtime_nsec(), mb.mtime_nsec()),
        ];
        for (what, x, y) in fields {
            if x != y {
                let (x, y) = if what == "mode" {
                    (format!("{x:o}"), format!("{y:o}"))
                } else {
                    (x.to_string(), y.to_string())
                };
                diffs.push(format!("{b:?}: {what} {y}, expected {x}"));
            }
        }
    }
    if ta.is_file() {
        if ma.len() != mb.len() {
            diffs.push(format!("{b:?}: {} bytes, expected {}", mb.len(), ma.len()));
        } else {
            match same_content(a, b) {
                Ok(true) => {}
                Ok(false) => diffs.push(format!("{b:?}: content differs")),
                Err(e) => diffs.push(format!("{b:?}: cannot compare content: {e}")),
            }
        }
    } else if ta.is_dir() {
        let (na, nb) = match (sorted_names(a), sorted_names(b)) {
            (Ok(na), Ok(nb)) => (na, nb),
            (Err(e), _) | (_, Err(e)) => return diffs.push(format!("{b:?}: cannot list: {e}")),
        };
        for name in nb.iter().filter(|n| !na.contains(n)) {
            diffs.push(format!("{:?}: unexpected entry", b.join(name)));
        }
        for name in &na {
            if nb.contains(name) {
                compare_entry(&a.join(name), &b.join(name), true, diffs);
            } else {
                diffs.push(format!("{:?}: missing", b.join(name)));
            }
        }
    }
}

/// Whether two files hold the same bytes (read in 1 MiB blocks).
pub fn same_content(a: &Path, b: &Path) -> io::Result<bool> {
    let (mut fa, mut fb) = (File::open(a)?, File::open(b)?);
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = read_full(&mut fa, &mut ba)?;
        let m = read_full(&mut fb, &mut bb)?;
        if n != m || ba[..n] != bb[..m] {
            return Ok(false);
        }
        if n == 0 {
            return Ok(true);
        }
    }
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

#[test]
fn the_tree_comparison_notices_every_kind_of_difference() {
    let s = Scratch::new();
    let (a, b) = (s.path("a"), s.path("b"));
    let build = |root: &Path| {
        fs::create_dir_all(root.join("empty")).unwrap();
        fs::write(root.join("f.jpg"), b"same").unwrap();
        fs::write(raw_name(root, b"caf\xe9"), b"x").unwrap();
        std::os::unix::fs::symlink("f.jpg", root.join("link")).unwrap();
        for entry in ["f.jpg", "empty"] {
            let t = filetime::FileTime::from_unix_time(5, 6);
            filetime::set_file_mtime(root.join(entry), t).unwrap();
        }
        let t = filetime::FileTime::from_unix_time(8, 9);
        filetime::set_file_mtime(raw_name(root, b"caf\xe9"), t).unwrap();
    };
    build(&a);
    build(&b);
    assert_eq!(diff_trees(&a, &b, false), Vec::<String>::new());
    type Change = fn(&Path);
    let changes: [(&str, Change); 7] = [
        ("content", |b| fs::write(b.join("f.jpg"), b"diff").unwrap()),
        ("mode", |b| chmod(&b.join("f.jpg"), 0o600)),
        ("nanoseconds", |b| {
            let t = filetime::FileTime::from_unix_time(5, 7);
            filetime::set_file_mtime(b.join("f.jpg"), t).unwrap()
        }),
        ("empty folder", |b| fs::remove_dir(b.join("empty")).unwrap()),
        ("non-UTF-8 name", |b| {
            fs::rename(raw_name(b, b"caf\xe9"), raw_name(b, b"caf\xc3\xa9")).unwrap()
        }),
        ("symlink target", |b| {
            fs::remove_file(b.join("link")).unwrap();
            std::os::unix::fs::symlink("other", b.join("link")).unwrap()
        }),
        ("type", |b| {
            fs::remove_file(b.join("link")).unwrap();
            fs::write(b.join("link"), b"f.jpg").unwrap()
        }),
    ];
    for (what, change) in changes {
        let c = s.path(what);
        copy_tree(&b, &c);
        change(&c);
        assert!(
            !diff_trees(&a, &c, false).is_empty(),
            "missed a {what} change"
        );
    }
}
