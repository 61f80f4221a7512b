//! What the corpus promises, as tests: reproducible, different per seed, real photos with
//! their dates and cameras, byte-identical import duplicates, RAW data that compresses like
//! RAW data, and a "day 2" change that does what it says.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use exif::{In, Tag};
use photovault_testkit::corpus::{self, list_files, CorpusStats};

const SEED: u64 = 1;
const SCALE: f64 = 0.02;

fn scratch_root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("testkit-{}", std::process::id()))
}

extern "C" fn remove_scratch() {
    let _ = fs::remove_dir_all(scratch_root());
}

/// A fresh folder path for one test (removed with the others when the tests exit).
fn scratch(name: &str) -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let root = scratch_root();
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(&root).unwrap();
        // SAFETY: `remove_scratch` is a plain function that only touches the file system.
        unsafe { libc::atexit(remove_scratch) };
        root
    });
    root.join(name)
}

/// The corpus of (SEED, SCALE), generated once and shared read-only.
fn shared() -> &'static (PathBuf, CorpusStats) {
    static SHARED: OnceLock<(PathBuf, CorpusStats)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let dir = scratch("shared");
        let started = std::time::Instant::now();
        let stats = corpus::generate(&dir, SEED, SCALE).unwrap();
        eprintln!(
            "generated {stats:?} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        (dir, stats)
    })
}

fn copy_of_shared(name: &str) -> PathBuf {
    let to = scratch(name);
    let status = Command::new("cp")
        .arg("-a")
        .arg(&shared().0)
        .arg(&to)
        .status()
        .unwrap();
    assert!(status.success());
    to
}

fn mtime(path: &Path) -> i64 {
    let modified = fs::metadata(path).unwrap().modified().unwrap();
    modified
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Every regular file: relative path to (content, mtime).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, i64)> {
    list_files(root)
        .unwrap()
        .into_iter()
        .map(|rel| {
            let path = root.join(&rel);
            (rel, (fs::read(&path).unwrap(), mtime(&path)))
        })
        .collect()
}

fn has_ext(path: &Path, ext: &str) -> bool {
    path.extension()
        .is_some_and(|e| e.to_string_lossy().eq_ignore_ascii_case(ext))
}

fn exif_of(bytes: &[u8]) -> exif::Exif {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .unwrap()
}

fn text(exif: &exif::Exif, tag: Tag) -> Option<String> {
    exif.get_field(tag, In::PRIMARY)
        .map(|f| f.display_value().to_string().trim_matches('"').to_string())
}

fn number(exif: &exif::Exif, tag: Tag) -> u32 {
    exif.get_field(tag, In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
        .unwrap_or_else(|| panic!("no {tag}"))
}

#[test]
fn the_same_seed_and_scale_give_a_byte_identical_tree_whatever_the_thread_count() {
    let (dir, stats) = shared();
    let again = scratch("one-thread");
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let stats_again = pool
        .install(|| corpus::generate(&again, SEED, SCALE))
        .unwrap();
    assert_eq!(&stats_again, stats);
    let (a, b) = (snapshot(dir), snapshot(&again));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same files"
    );
    for (path, (content, mtime)) in &a {
        assert!(content == &b[path].0, "{path:?} differs");
        assert_eq!(*mtime, b[path].1, "mtime of {path:?}");
    }
    fs::remove_dir_all(&again).unwrap();
}

#[test]
fn another_seed_gives_other_photos() {
    let other = scratch("seed-2");
    corpus::generate(&other, 2, 0.005).unwrap();
    let ours: HashSet<Vec<u8>> = snapshot(&shared().0)
        .into_iter()
        .filter(|(p, _)| has_ext(p, "jpg"))
        .map(|(_, (content, _))| content)
        .collect();
    let theirs = snapshot(&other);
    let jpegs: Vec<_> = theirs.iter().filter(|(p, _)| has_ext(p, "jpg")).collect();
    assert!(jpegs.len() >= 100, "previews and photos: {}", jpegs.len());
    for (path, (content, _)) in jpegs {
        assert!(
            !ours.contains(content),
            "{path:?} is also in seed 1's corpus"
        );
    }
    fs::remove_dir_all(&other).unwrap();
}

#[test]
fn scale_002_is_a_small_library_of_every_kind() {
    let (dir, stats) = shared();
    let files = list_files(dir).unwrap();
    assert_eq!(files.len(), stats.files);
    assert!((380..=450).contains(&stats.files), "{stats:?}");
    assert!(
        (100_000_000..=350_000_000).contains(&stats.bytes),
        "{stats:?}"
    );
    assert_eq!(stats.photos, 8);
    assert_eq!((stats.raws, stats.sidecars), (1, 1));
    assert_eq!((stats.heics, stats.videos, stats.duplicates), (1, 1, 1));
    assert_eq!(stats.previews, 400);
    let on_disk: u64 = files
        .iter()
        .map(|f| fs::metadata(dir.join(f)).unwrap().len())
        .sum();
    assert_eq!(on_disk, stats.bytes);
}

#[test]
fn files_sit_where_a_photo_library_keeps_them() {
    let (dir, _) = shared();
    for rel in list_files(dir).unwrap() {
        let parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let name = &parts[parts.len() - 1];
        match parts[0].as_str() {
            "Photos" => {
                // Photos/YYYY/YYYY-MM/name
                assert_eq!(parts.len(), 4, "{rel:?}");
                assert!(parts[2].starts_with(&format!("{}-", parts[1])), "{rel:?}");
                let month: u32 = parts[2][5..7].parse().unwrap();
                assert!((1..=12).contains(&month), "{rel:?}");
                // Taken in that month, UTC, as the mtime says.
                let when = chrono::DateTime::from_timestamp(mtime(&dir.join(&rel)), 0).unwrap();
                assert_eq!(when.format("%Y-%m").to_string(), parts[2], "{rel:?}");
            }
            "Imports" => {
                // Imports/<phone>/YYYY-MM-DD/IMG_YYYYMMDD_HHMMSS.jpg
                assert_eq!(parts.len(), 4, "{rel:?}");
                assert_eq!(parts[2].len(), 10, "{rel:?}");
                assert!(name.starts_with(&format!("IMG_{}", parts[2].replace('-', ""))));
            }
            "Previews" => {
                // Previews/Library Previews.lrdata/H/HH/<uuid>.jpg
                assert_eq!(parts.len(), 5, "{rel:?}");
                assert_eq!(parts[1], "Library Previews.lrdata");
                assert!(name.starts_with(&parts[3]) && parts[3].starts_with(&parts[2]));
                assert_eq!(name.len(), 36 + 4, "{rel:?}");
            }
            _ => panic!("unexpected {rel:?}"),
        }
    }
}

#[test]
fn photos_are_real_jpegs_that_carry_their_camera_and_capture_date() {
    let (dir, _) = shared();
    let photos: Vec<PathBuf> = list_files(dir)
        .unwrap()
        .into_iter()
        .filter(|p| p.starts_with("Photos") && has_ext(p, "jpg"))
        .collect();
    assert_eq!(photos.len(), 8);
    let mut with_offset = 0;
    for rel in &photos {
        let bytes = fs::read(dir.join(rel)).unwrap();
        assert!(
            (1_200_000..=7_000_000).contains(&bytes.len()),
            "{rel:?}: {} bytes",
            bytes.len()
        );
        let picture = image::load_from_memory(&bytes).unwrap();
        let exif = exif_of(&bytes);
        assert_eq!(picture.width(), number(&exif, Tag::PixelXDimension));
        assert_eq!(picture.height(), number(&exif, Tag::PixelYDimension));
        assert!(text(&exif, Tag::Make).is_some_and(|m| !m.is_empty()));
        assert!(text(&exif, Tag::Model).is_some_and(|m| !m.is_empty()));
        // The camera's 160-pixel preview, in IFD1, of the photo's shape.
        let at = exif
            .get_field(Tag::JPEGInterchangeFormat, In::THUMBNAIL)
            .and_then(|f| f.value.get_uint(0))
            .expect("an EXIF thumbnail") as usize;
        let len = exif
            .get_field(Tag::JPEGInterchangeFormatLength, In::THUMBNAIL)
            .and_then(|f| f.value.get_uint(0))
            .unwrap() as usize;
        let preview = image::load_from_memory(&exif.buf()[at..at + len]).unwrap();
        assert_eq!(preview.width().max(preview.height()), 160, "{rel:?}");
        assert_eq!(
            preview.width() > preview.height(),
            picture.width() > picture.height(),
            "{rel:?}"
        );
        // Local time; with the offset (where recorded) it is the mtime.
        let taken = text(&exif, Tag::DateTimeOriginal).unwrap();
        let local = chrono::NaiveDateTime::parse_from_str(&taken, "%Y-%m-%d %H:%M:%S").unwrap();
        let folder = rel.parent().unwrap().file_name().unwrap().to_string_lossy();
        assert_eq!(local.format("%Y-%m").to_string(), folder, "{rel:?}");
        if let Some(offset) = text(&exif, Tag::OffsetTimeOriginal) {
            with_offset += 1;
            let at = chrono::DateTime::parse_from_str(
                &format!("{taken} {offset}"),
                "%Y-%m-%d %H:%M:%S %:z",
            )
            .unwrap();
            assert_eq!(at.timestamp(), mtime(&dir.join(rel)), "{rel:?}");
        }
    }
    assert!(with_offset > 0, "phones record their UTC offset");
}

#[test]
fn previews_are_small_real_jpegs() {
    let (dir, _) = shared();
    let previews: Vec<PathBuf> = list_files(dir)
        .unwrap()
        .into_iter()
        .filter(|p| p.starts_with("Previews"))
        .collect();
    for rel in &previews {
        let bytes = fs::read(dir.join(rel)).unwrap();
        assert!(
            (3_000..=50_000).contains(&bytes.len()),
            "{rel:?}: {} bytes",
            bytes.len()
        );
    }
    for rel in previews.iter().step_by(20) {
        let picture = image::load_from_memory(&fs::read(dir.join(rel)).unwrap()).unwrap();
        assert!(picture.width() <= 480 && picture.height() <= 480, "{rel:?}");
    }
}

#[test]
fn imports_are_byte_identical_copies_of_photos() {
    let (dir, stats) = shared();
    let all = snapshot(dir);
    let photos: Vec<(&PathBuf, &Vec<u8>)> = all
        .iter()
        .filter(|(p, _)| p.starts_with("Photos") && has_ext(p, "jpg"))
        .map(|(p, (c, _))| (p, c))
        .collect();
    let imports: Vec<(&PathBuf, &Vec<u8>)> = all
        .iter()
        .filter(|(p, _)| p.starts_with("Imports"))
        .map(|(p, (c, _))| (p, c))
        .collect();
    assert_eq!(imports.len(), stats.duplicates);
    for (path, content) in &imports {
        let originals = photos.iter().filter(|(_, c)| c == content).count();
        assert_eq!(originals, 1, "{path:?} copies {originals} photos");
        // Imported later than taken.
        let original = photos.iter().find(|(_, c)| c == content).unwrap().0;
        assert!(all[*path].1 > all[original].1);
    }
    let distinct: HashSet<&Vec<u8>> = photos.iter().map(|(_, c)| *c).collect();
    assert_eq!(distinct.len(), photos.len(), "no two photos are identical");
}

#[test]
fn raw_files_hold_14_bit_samples_that_compress_like_raw_data_and_have_sidecars() {
    let (dir, _) = shared();
    let files = list_files(dir).unwrap();
    let raws: Vec<&PathBuf> = files
        .iter()
        .filter(|p| has_ext(p, "dng") || has_ext(p, "cr3"))
        .collect();
    assert!(!raws.is_empty());
    for rel in raws {
        let bytes = fs::read(dir.join(rel)).unwrap();
        assert!((20_000_000..=30_000_000).contains(&bytes.len()), "{rel:?}");
        if has_ext(rel, "dng") {
            assert!(bytes.starts_with(b"II*\0"));
            let exif = exif_of(&bytes);
            assert!(text(&exif, Tag::DateTimeOriginal).is_some());
        } else {
            assert_eq!(&bytes[4..12], b"ftypcrx ");
        }
        // The samples fill the end of the file.
        let exif_dims = |tag| {
            let tiff_at = bytes.windows(4).position(|w| w == b"II*\0").unwrap();
            number(
                &exif::Reader::new()
                    .read_raw(bytes[tiff_at..tiff_at + 65536].to_vec())
                    .unwrap(),
                tag,
            )
        };
        let samples =
            exif_dims(Tag::PixelXDimension) as usize * exif_dims(Tag::PixelYDimension) as usize;
        let data = &bytes[bytes.len() - samples * 2..];
        assert!(data
            .chunks_exact(2)
            .all(|w| u16::from_le_bytes([w[0], w[1]]) < 1 << 14));
        let packed = zstd::bulk::compress(&bytes, 3).unwrap();
        let ratio = bytes.len() as f64 / packed.len() as f64;
        assert!(
            (1.25..=1.75).contains(&ratio),
            "{rel:?}: zstd -3 ratio {ratio:.2}"
        );

        let sidecar = fs::read_to_string(dir.join(rel.with_extension("xmp"))).unwrap();
        assert!(sidecar.contains("xmp:CreateDate=\""), "{sidecar}");
        assert!(sidecar.contains("exif:DateTimeOriginal=\""), "{sidecar}");
    }
}

#[test]
fn videos_and_heics_are_incompressible_behind_their_ftyp_box() {
    let (dir, _) = shared();
    let mut seen = 0;
    for rel in list_files(dir).unwrap() {
        let brand = match rel.extension().map(|e| e.to_string_lossy().to_uppercase()) {
            Some(e) if e == "HEIC" => b"heic",
            Some(e) if e == "MOV" => b"qt  ",
            Some(e) if e == "MP4" => b"isom",
            _ => continue,
        };
        let bytes = fs::read(dir.join(&rel)).unwrap();
        assert_eq!(&bytes[4..8], b"ftyp", "{rel:?}");
        assert_eq!(&bytes[8..12], brand, "{rel:?}");
        let sample = &bytes[bytes.len() / 2..(bytes.len() / 2 + (1 << 20)).min(bytes.len())];
        let packed = zstd::bulk::compress(sample, 3).unwrap();
        assert!(packed.len() > sample.len() * 99 / 100, "{rel:?} compresses");
        if rel.extension().is_some_and(|e| e != "HEIC") {
            assert!((50_000_000..=200_000_000).contains(&bytes.len()));
        }
        seen += 1;
    }
    assert!(seen >= 2);
}

#[test]
fn mutate_adds_edits_deletes_and_renames_as_it_reports() {
    let before = snapshot(&shared().0);
    let dir = copy_of_shared("mutated");
    let stats = corpus::mutate(&dir, 2).unwrap();
    let after = snapshot(&dir);
    let count = |pred: &dyn Fn(&PathBuf) -> bool| before.keys().filter(|p| pred(p)).count();
    let in_photos = |p: &PathBuf, ext: &str| p.starts_with("Photos") && has_ext(p, ext);
    let jpegs = count(&|p| in_photos(p, "jpg"));
    let previews = count(&|p| p.starts_with("Previews"));
    let ceil = |n: usize, percent: usize| (n * percent).div_ceil(100);

    // New: 5% more photos, RAWs with sidecars and previews; originals in the new month.
    let added_in = |pred: &dyn Fn(&PathBuf) -> bool| stats.added.iter().filter(|p| pred(p)).count();
    assert_eq!(
        added_in(&|p| has_ext(p, "jpg") && p.starts_with("Photos")),
        ceil(jpegs, 5)
    );
    assert_eq!(added_in(&|p| has_ext(p, "xmp")), 1);
    assert_eq!(added_in(&|p| has_ext(p, "dng") || has_ext(p, "cr3")), 1);
    assert_eq!(added_in(&|p| p.starts_with("Previews")), ceil(previews, 5));
    for p in &stats.added {
        assert!(!before.contains_key(p) && after.contains_key(p), "{p:?}");
        assert!(p.starts_with(&stats.new_folder) || p.starts_with("Previews"));
    }
    assert!(!before.keys().any(|p| p.starts_with(&stats.new_folder)));

    // EXIF rewritten in place: a little longer, the image data untouched.
    assert_eq!(stats.exif_rewritten.len(), ceil(jpegs, 2));
    for p in &stats.exif_rewritten {
        let (old, new) = (&before[p].0, &after[p].0);
        assert!(
            new.len() > old.len() && new.len() - old.len() <= 200,
            "{p:?}"
        );
        let tail = old.len() - 70_000; // past any APP1 segment (at most 64 KiB)
        assert!(old[old.len() - tail..] == new[new.len() - tail..], "{p:?}");
        let (old_exif, new_exif) = (exif_of(old), exif_of(new));
        assert!(text(&new_exif, Tag::Artist).is_some());
        assert_eq!(
            text(&new_exif, Tag::DateTimeOriginal),
            text(&old_exif, Tag::DateTimeOriginal)
        );
        assert!(after[p].1 > before[p].1, "the edit is newer");
    }

    // Sidecars edited.
    assert_eq!(stats.xmp_modified.len(), 1);
    for p in &stats.xmp_modified {
        assert!(before[p].0 != after[p].0, "{p:?}");
    }

    // Deleted: 1% of the originals (a RAW with its sidecar) and of the previews.
    let deleted_previews = stats
        .deleted
        .iter()
        .filter(|p| p.starts_with("Previews"))
        .count();
    assert_eq!(deleted_previews, ceil(previews, 1));
    let deleted_originals = stats
        .deleted
        .iter()
        .filter(|p| p.starts_with("Photos") && !has_ext(p, "xmp"))
        .count();
    assert_eq!(deleted_originals, 1);
    for p in &stats.deleted {
        assert!(before.contains_key(p) && !dir.join(p).exists(), "{p:?}");
    }

    // One month folder renamed, with what it held (less what was deleted).
    let (from, to) = stats.renamed.clone().expect("a folder was renamed");
    assert!(!dir.join(&from).exists() && dir.join(&to).is_dir());
    let to_name = to.file_name().unwrap().to_string_lossy().into_owned();
    assert!(to_name.starts_with(&*from.file_name().unwrap().to_string_lossy()));

    // Nothing else changed: every other file is where it was, byte for byte.
    let deleted: HashSet<&PathBuf> = stats.deleted.iter().collect();
    let edited: HashSet<&PathBuf> = stats
        .exif_rewritten
        .iter()
        .chain(&stats.xmp_modified)
        .collect();
    for (p, old) in &before {
        if deleted.contains(p) {
            continue;
        }
        let now = match p.strip_prefix(&from) {
            Ok(rest) => to.join(rest),
            Err(_) => p.clone(),
        };
        if edited.contains(&now) {
            continue;
        }
        assert!(after.get(&now) == Some(old), "{p:?} changed");
    }
    let expected = before.len() + stats.added.len() - stats.deleted.len();
    assert_eq!(after.len(), expected);

    // The same mutation of the same tree gives the same tree.
    let twin = copy_of_shared("mutated-twin");
    assert_eq!(corpus::mutate(&twin, 2).unwrap(), stats);
    assert!(snapshot(&twin) == after, "mutate is deterministic");
    fs::remove_dir_all(&dir).unwrap();
    fs::remove_dir_all(&twin).unwrap();
}
