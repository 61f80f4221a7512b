//! `timeline/YYYY/MM/`: every distinct photo and video of the newest snapshot, placed by
//! capture date (EXIF, QuickTime `mvhd`, else mtime), with its companions.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use crate::extras::EXPECTED_TIMELINE;
use crate::support::{fixture, mount, walk};

/// Photos, RAW files, their sidecars, HEIC stills and videos of the corpus, by extension.
const CORPUS_MEDIA: &[&str] = &["jpg", "dng", "cr3", "xmp", "heic", "mov", "mp4"];

#[test]
fn photos_are_placed_by_capture_date_once_with_their_companions() {
    let fx = fixture();
    let Some(m) = mount(&fx.repo, "timeline", &[]) else {
        return;
    };
    // The corpus' originals have their capture time as mtime (UTC), and EXIF or `mvhd`
    // dates in the same month (local times never cross a month boundary there);
    // its Imports/ are later copies of some of them, its Previews/ a thumbnail cache.
    let mut expected: BTreeMap<String, PathBuf> = BTreeMap::new();
    let photos = fx.source.join("corpus/Photos");
    for (path, seen) in walk(&photos).into_iter().filter(|(_, s)| s.kind == 'f') {
        let path = photos.join(OsStr::from_bytes(&path));
        let ext = path.extension().unwrap().to_string_lossy().to_lowercase();
        if CORPUS_MEDIA.contains(&ext.as_str()) {
            let when = chrono::DateTime::from_timestamp(seen.mtime.unwrap().0, 0).unwrap();
            let name = path.file_name().unwrap().to_string_lossy();
            let shown = format!("{}/{name}", when.format("%Y/%m"));
            assert!(expected.insert(shown, path.clone()).is_none(), "{path:?}");
        }
    }
    assert!(
        expected.len() >= 8,
        "the corpus has photos, RAW files and a video"
    );
    for (shown, source) in EXPECTED_TIMELINE {
        expected.insert(shown.to_string(), fx.source.join("extras").join(source));
    }

    let timeline = m.dir.join("timeline");
    let seen = walk(&timeline);
    let files: BTreeMap<String, _> = seen
        .iter()
        .filter(|(_, s)| s.kind == 'f')
        .map(|(p, s)| (String::from_utf8_lossy(p).into_owned(), s))
        .collect();
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !files.contains_key(*k))
        .collect();
    let extra: Vec<_> = files
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "timeline differs:\nmissing {missing:#?}\nunexpected {extra:#?}"
    );
    for (shown, source) in &expected {
        let want = fs::read(source).unwrap();
        let got = fs::read(timeline.join(shown)).unwrap();
        assert!(want == got, "timeline/{shown} is not {source:?}");
        // Metadata as in the snapshot.
        let source_meta = walk_one(source);
        assert_eq!(files[shown].mode, source_meta.0, "{shown}");
        assert_eq!(files[shown].uid, source_meta.1, "{shown}");
        assert_eq!(files[shown].mtime, Some(source_meta.2), "{shown}");
    }
    // Year and month folders are made up: read-only.
    for (path, s) in seen.iter().filter(|(_, s)| s.kind == 'd') {
        assert_eq!(s.mode, 0o555, "{}", String::from_utf8_lossy(path));
    }
    let years = fs::metadata(&timeline).unwrap();
    assert_eq!(years.permissions().mode() & 0o777, 0o555);
    eprintln!(
        "timeline: {} files in {} folders",
        files.len(),
        seen.len() - files.len()
    );
}

fn walk_one(path: &std::path::Path) -> (u32, u32, (i64, i64)) {
    use std::os::unix::fs::MetadataExt;
    let m = fs::symlink_metadata(path).unwrap();
    (m.mode() & 0o7777, m.uid(), (m.mtime(), m.mtime_nsec()))
}

#[test]
fn the_timeline_can_show_an_older_snapshot() {
    let fx = fixture();
    let out = crate::support::pvault(&fx.repo, &[OsStr::new("snapshots"), OsStr::new("--json")]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let first = &list[0];
    let id = first["short_id"].as_str().unwrap();
    let time = chrono::DateTime::parse_from_rfc3339(first["time"].as_str().unwrap()).unwrap();
    let Some(m) = mount(&fx.repo, "older", &["--snapshot", id]) else {
        return;
    };
    // Made-up folders carry the time of the snapshot they show.
    let meta = fs::metadata(m.dir.join("timeline")).unwrap();
    let shown = meta
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    assert_eq!(shown.as_secs() as i64, time.timestamp());
    assert!(m.dir.join("timeline/2015/08/dated.jpg").is_file());
}
