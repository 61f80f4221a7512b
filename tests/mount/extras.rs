//! Hand-made files beside the corpus: photos with and without EXIF dates, movies with and
//! without a `moov/mvhd` date, a Live Photo, a RAW with its XMP sidecar, duplicates, name
//! clashes, a folder of [`BIG_FOLDER`] entries, symlinks, odd names, modes and owners.
//! [`EXPECTED_TIMELINE`] says where each belongs in `timeline/`.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;

use crate::support::BIG_FOLDER;

/// `(timeline path, source path under extras/)` for every hand-made photo or video.
pub const EXPECTED_TIMELINE: &[(&str, &str)] = &[
    ("2015/08/dated.jpg", "exif/dated.jpg"),
    ("2012/03/undated.jpg", "exif/undated.jpg"),
    // The Live Photo's movie says March; it follows its still into February.
    ("2016/02/IMG_0100.HEIC", "live/IMG_0100.HEIC"),
    ("2016/02/IMG_0100.MOV", "live/IMG_0100.MOV"),
    ("2014/05/clip.MOV", "videos/clip.MOV"),
    ("2019/09/nodate.MP4", "videos/nodate.MP4"),
    // The sidecar was edited in 2023; it stays with its RAW.
    ("2013/11/DSC_0001.NEF", "raw/DSC_0001.NEF"),
    ("2013/11/DSC_0001.xmp", "raw/DSC_0001.xmp"),
    // dups/b/copy.jpg is the same photo imported a month later: not shown.
    ("2011/01/same.jpg", "dups/a/same.jpg"),
    ("2010/06/IMG_0001.JPG", "clash/x/IMG_0001.JPG"),
    ("2010/06/IMG_0001 (2).JPG", "clash/y/IMG_0001.JPG"),
    ("2010/06/IMG_0002.HEIC", "clash/x/IMG_0002.HEIC"),
    ("2010/06/IMG_0002.MOV", "clash/x/IMG_0002.MOV"),
    ("2010/06/IMG_0002 (2).HEIC", "clash/y/IMG_0002.HEIC"),
    ("2010/06/IMG_0002 (2).MOV", "clash/y/IMG_0002.MOV"),
    ("2018/07/private.jpg", "perm/private.jpg"),
];

/// Unix times (UTC) used below.
const T_2010_06_10: u64 = 1_276_128_000;
const T_2011_01_01: u64 = 1_293_840_000;
const T_2011_02_01: u64 = 1_296_518_400;
const T_2012_03_15: u64 = 1_331_769_600;
const T_2013_11_05: u64 = 1_383_609_600;
const T_2014_05_06_070809: u64 = 1_399_360_089;
const T_2016_02_10: u64 = 1_455_062_400;
const T_2016_03_01: u64 = 1_456_790_400;
const T_2018_07_01: u64 = 1_530_403_200;
const T_2019_09_09: u64 = 1_567_987_200;
const T_2020_01_01: u64 = 1_577_836_800;
const T_2021_01_05: u64 = 1_609_804_800;
const T_2023_06_01: u64 = 1_685_577_600;

/// Writes the hand-made files into `dir`.
pub fn make(dir: &Path) {
    let mut seed = 0u64;
    let mut noise = |len: usize| {
        seed += 1;
        pseudo_random(seed, len)
    };
    let write = |path: &str, data: &[u8], mtime: u64| {
        let path = dir.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, data).unwrap();
        filetime::set_file_mtime(&path, filetime::FileTime::from_unix_time(mtime as i64, 0))
            .unwrap();
    };

    write(
        "exif/dated.jpg",
        &jpeg(Some("2015:08:20 14:30:00"), &noise(40_000)),
        T_2021_01_05,
    );
    write(
        "exif/undated.jpg",
        &jpeg(None, &noise(30_000)),
        T_2012_03_15,
    );
    write("exif/empty.jpg", b"", T_2012_03_15);

    write("live/IMG_0100.HEIC", &heic(&noise(50_000)), T_2016_02_10);
    write(
        "live/IMG_0100.MOV",
        &movie(Some(T_2016_03_01), &noise(300_000)),
        T_2016_02_10,
    );
    // 3 MB of media data before `moov`: the date is found by seeking, at the end.
    write(
        "videos/clip.MOV",
        &movie(Some(T_2014_05_06_070809), &noise(3_000_000)),
        T_2020_01_01,
    );
    write(
        "videos/nodate.MP4",
        &movie(None, &noise(200_000)),
        T_2019_09_09,
    );

    write(
        "raw/DSC_0001.NEF",
        &[b"II*\0".as_slice(), &noise(500_000)].concat(),
        T_2013_11_05,
    );
    write(
        "raw/DSC_0001.xmp",
        b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>\n",
        T_2023_06_01,
    );

    let same = jpeg(Some("2011:01:01 10:00:00"), &noise(20_000));
    write("dups/a/same.jpg", &same, T_2011_01_01);
    write("dups/b/copy.jpg", &same, T_2011_02_01);

    write(
        "clash/x/IMG_0001.JPG",
        &jpeg(Some("2010:06:01 08:00:00"), &noise(10_000)),
        T_2020_01_01,
    );
    write(
        "clash/y/IMG_0001.JPG",
        &jpeg(Some("2010:06:02 08:00:00"), &noise(10_000)),
        T_2020_01_01,
    );
    for side in ["x", "y"] {
        write(
            &format!("clash/{side}/IMG_0002.HEIC"),
            &heic(&noise(10_000)),
            T_2010_06_10,
        );
        write(
            &format!("clash/{side}/IMG_0002.MOV"),
            &movie(None, &noise(10_000)),
            T_2010_06_10,
        );
    }

    // A folder of many small entries, for listing speed.
    let big = dir.join("big");
    fs::create_dir_all(&big).unwrap();
    for i in 0..BIG_FOLDER {
        fs::write(big.join(format!("f{i:05}.txt")), format!("{i}\n")).unwrap();
    }

    // Symlinks, odd names, modes and owners.
    let links = dir.join("links");
    fs::create_dir_all(&links).unwrap();
    symlink("../exif/dated.jpg", links.join("to_dated")).unwrap();
    symlink("nowhere/at/all", links.join("dangling")).unwrap();
    write(
        "odd/name \u{2603} with spaces.txt",
        b"snowman\n",
        T_2020_01_01,
    );
    let odd = dir
        .join("odd")
        .join(std::ffi::OsStr::from_bytes(b"latin1 \xe9t\xe9.bin"));
    fs::write(odd, b"not utf-8\n").unwrap();
    write(
        "perm/private.jpg",
        &jpeg(Some("2018:07:01 00:00:00"), &noise(5_000)),
        T_2018_07_01,
    );
    let private = dir.join("perm/private.jpg");
    fs::set_permissions(&private, fs::Permissions::from_mode(0o600)).unwrap();
    // As root, an owner that is not the one running the tests.
    let _ = std::os::unix::fs::lchown(&private, Some(1234), Some(5678));
    fs::set_permissions(dir.join("perm"), fs::Permissions::from_mode(0o750)).unwrap();
    fs::set_permissions(dir.join("odd"), fs::Permissions::from_mode(0o700)).unwrap();
}

/// A JPEG whose APP1 segment carries EXIF with only DateTimeOriginal (or no EXIF at all).
pub fn jpeg(date: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = b"\xFF\xD8".to_vec();
    if let Some(date) = date {
        assert_eq!(date.len(), 19);
        let mut tiff = b"MM\0*".to_vec();
        tiff.extend(8u32.to_be_bytes());
        // IFD0: one entry, the Exif IFD pointer (at 26).
        tiff.extend(1u16.to_be_bytes());
        tiff.extend([0x87, 0x69, 0, 4]);
        tiff.extend(1u32.to_be_bytes());
        tiff.extend(26u32.to_be_bytes());
        tiff.extend(0u32.to_be_bytes());
        // Exif IFD: one entry, DateTimeOriginal (ASCII, 20 bytes at 44).
        tiff.extend(1u16.to_be_bytes());
        tiff.extend([0x90, 0x03, 0, 2]);
        tiff.extend(20u32.to_be_bytes());
        tiff.extend(44u32.to_be_bytes());
        tiff.extend(0u32.to_be_bytes());
        tiff.extend(date.as_bytes());
        tiff.push(0);
        let segment = [b"Exif\0\0".as_slice(), &tiff].concat();
        out.extend([0xFF, 0xE1]);
        out.extend(((segment.len() + 2) as u16).to_be_bytes());
        out.extend(segment);
    } else {
        out.extend(b"\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00");
    }
    out.extend(b"\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00");
    out.extend(body);
    out.extend(b"\xFF\xD9");
    out
}

fn heic(body: &[u8]) -> Vec<u8> {
    [b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".as_slice(), body].concat()
}

fn iso_box(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    [&((body.len() + 8) as u32).to_be_bytes()[..], kind, body].concat()
}

/// A QuickTime movie: `ftyp`, `mdat` with `media`, then `moov` with an `mvhd` created at
/// `created` (Unix seconds), or no `moov` at all.
pub fn movie(created: Option<u64>, media: &[u8]) -> Vec<u8> {
    let mut out = iso_box(b"ftyp", b"qt  \0\0\0\0qt  ");
    out.extend(iso_box(b"mdat", media));
    if let Some(created) = created {
        let mut mvhd = vec![0u8; 4];
        mvhd.extend(((created + 2_082_844_800) as u32).to_be_bytes());
        mvhd.extend([0u8; 92]);
        out.extend(iso_box(b"moov", &iso_box(b"mvhd", &mvhd)));
    }
    out
}

/// Deterministic incompressible bytes.
pub fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    photovault_testkit::files::random_bytes(len, seed)
}
