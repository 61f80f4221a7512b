//! `snapshots/`, `ids/`, `hosts/`, `tags/`: what restore would write, and links to it.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Instant;

use crate::support::{fixture, in_snapshot, mount, run_in, walk, BIG_FOLDER};

#[test]
fn the_snapshot_folder_is_the_backed_up_tree_byte_for_byte() {
    let fx = fixture();
    let Some(m) = mount(&fx.repo, "tree", &[]) else {
        return;
    };
    let inside = in_snapshot(&m.dir, "latest", &fx.source);

    // Names, types, sizes, modes, owners, mtimes and symlink targets.
    let expected = walk(&fx.source);
    let seen = walk(&inside);
    assert_eq!(seen.len(), expected.len(), "entry count");
    for (path, want) in &expected {
        let shown = String::from_utf8_lossy(path);
        let got = seen
            .get(path)
            .unwrap_or_else(|| panic!("{shown} missing from the mount"));
        assert_eq!(got, want, "{shown}");
    }

    // `find | sort` sees the same names as in the source.
    let find = |dir: &Path| {
        let mut lines: Vec<Vec<u8>> = run_in(dir, "find", &["."])
            .split(|&b| b == b'\n')
            .map(<[u8]>::to_vec)
            .collect();
        lines.sort();
        lines
    };
    assert!(find(&inside) == find(&fx.source), "find output differs");

    // Every byte of every file.
    let started = Instant::now();
    let mut bytes = 0u64;
    for (path, entry) in expected.iter().filter(|(_, e)| e.kind == 'f') {
        let rel = std::ffi::OsStr::from_bytes(path);
        let original = fs::read(fx.source.join(rel)).unwrap();
        let through_mount = fs::read(inside.join(rel))
            .unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(path)));
        assert!(
            original == through_mount,
            "{} differs",
            String::from_utf8_lossy(path)
        );
        bytes += entry.size;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "read every file through the mount: {:.0} MB in {secs:.2} s (compared with the source)",
        bytes as f64 / 1e6
    );
}

#[test]
fn cp_copies_a_folder_out_with_its_metadata() {
    let fx = fixture();
    let Some(m) = mount(&fx.repo, "cp", &[]) else {
        return;
    };
    let from = in_snapshot(&m.dir, "latest", &fx.source).join("extras/raw");
    let to = crate::support::scratch("cp-out").join("raw");
    run_in(
        &m.dir,
        "cp",
        &["-a", from.to_str().unwrap(), to.to_str().unwrap()],
    );
    assert_eq!(walk(&to), walk(&fx.source.join("extras/raw")));
}

#[test]
fn snapshots_are_also_listed_by_id_host_and_tag() {
    let fx = fixture();
    let Some(m) = mount(&fx.repo, "links", &[]) else {
        return;
    };
    let snapshots = m.dir.join("snapshots");
    let mut names: Vec<String> = fs::read_dir(&snapshots)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    // Two snapshots (perhaps within one second, then with their short ids) and `latest`.
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[2], "latest");
    for name in &names[..2] {
        assert!(name.len() == 19 || name.len() == 28, "{name}");
        assert_eq!(&name[10..11], "T", "{name}");
    }
    // Named by time, `latest` is the second; two snapshots of the same second carry their
    // short ids, and then the newest is the one `pvault snapshots` lists last.
    let listed = crate::support::pvault(&fx.repo, &[OsStr::new("snapshots"), OsStr::new("--json")]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let newest = listed.as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()[..8]
        .to_string();
    let expected = if names[1].len() == 28 {
        names[..2]
            .iter()
            .find(|n| n.ends_with(&newest))
            .unwrap()
            .clone()
    } else {
        names[1].clone()
    };
    let latest = fs::read_link(snapshots.join("latest")).unwrap();
    assert_eq!(latest.to_str().unwrap(), expected);
    let meta = fs::metadata(snapshots.join(&names[0])).unwrap();
    assert_eq!(meta.permissions().mode() & 0o7777, 0o555);

    // hosts/camera and tags/trip hold only the second snapshot; ids/ both.
    let link_names = |dir: &Path| -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        link_names(&m.dir.join("hosts/camera")),
        std::slice::from_ref(&expected)
    );
    assert_eq!(
        link_names(&m.dir.join("tags/trip")),
        std::slice::from_ref(&expected)
    );
    assert_eq!(link_names(&m.dir.join("hosts")).len(), 2);
    let ids = link_names(&m.dir.join("ids"));
    assert_eq!(ids.len(), 2);
    for id in &ids {
        let target = fs::read_link(m.dir.join("ids").join(id)).unwrap();
        assert!(target.starts_with("../snapshots/"), "{target:?}");
        // The links resolve to the snapshot folders.
        let through = m
            .dir
            .join("ids")
            .join(id)
            .join(fx.source.strip_prefix("/").unwrap());
        assert!(through.join("extras/exif/dated.jpg").is_file());
    }
    let via_tag = m
        .dir
        .join("tags/trip")
        .join(&expected)
        .join(fx.source.strip_prefix("/").unwrap());
    assert_eq!(
        fs::read(via_tag.join("extras/raw/DSC_0001.xmp")).unwrap(),
        fs::read(fx.source.join("extras/raw/DSC_0001.xmp")).unwrap()
    );
}

#[test]
fn nothing_can_be_changed() {
    let fx = fixture();
    let Some(m) = mount(&fx.repo, "readonly", &[]) else {
        return;
    };
    let inside = in_snapshot(&m.dir, "latest", &fx.source).join("extras");
    let erofs = |r: std::io::Result<()>| {
        let e = r.expect_err("a change went through");
        assert_eq!(e.raw_os_error(), Some(libc::EROFS), "{e}");
    };
    erofs(fs::write(inside.join("new.txt"), b"x"));
    erofs(
        fs::OpenOptions::new()
            .append(true)
            .open(inside.join("exif/dated.jpg"))
            .map(|_| ()),
    );
    erofs(fs::create_dir(inside.join("newdir")));
    erofs(fs::remove_file(inside.join("exif/dated.jpg")));
    erofs(fs::rename(
        inside.join("exif/dated.jpg"),
        inside.join("exif/x.jpg"),
    ));
    erofs(std::os::unix::fs::symlink("x", inside.join("link")));
    erofs(fs::set_permissions(
        inside.join("exif"),
        fs::Permissions::from_mode(0o777),
    ));
}

#[test]
fn a_folder_of_many_entries_lists_quickly() {
    let fx = fixture();
    let Some(m) = mount(&fx.repo, "big", &[]) else {
        return;
    };
    let big = in_snapshot(&m.dir, "latest", &fx.source).join("extras/big");
    let list = || {
        let started = Instant::now();
        let mut n = 0;
        for entry in fs::read_dir(&big).unwrap() {
            let entry = entry.unwrap();
            assert!(entry.metadata().unwrap().len() > 0);
            n += 1;
        }
        (n, started.elapsed())
    };
    let (n, first) = list();
    assert_eq!(n, BIG_FOLDER);
    let (_, second) = list();
    eprintln!(
        "listing {BIG_FOLDER} entries with their attributes (ls -l): first {:.0} ms (reads \
         the folder's tree), then {:.0} ms",
        first.as_secs_f64() * 1e3,
        second.as_secs_f64() * 1e3
    );
    let previews =
        in_snapshot(&m.dir, "latest", &fx.source).join("corpus/Previews/Library Previews.lrdata");
    let started = Instant::now();
    let thumbnails = crate::support::walk(&previews).len();
    eprintln!(
        "walking the corpus' thumbnail folders ({thumbnails} entries): {:.0} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
}
