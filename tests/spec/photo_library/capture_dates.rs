//! Capture dates as phones and cameras write them, read from real files made by real
//! encoders (ffmpeg, libheif's heif-enc) and dated by exiftool, and from the XMP and Google
//! Takeout sidecars of photos that carry no date. Shown by `pvault ls --json`.
//!
//! The tools come from Debian's `ffmpeg`, `libheif-examples` and `libimage-exiftool-perl`
//! (`.ci/run` installs them). Where one is missing, the files it would make are skipped
//! with a loud message on stderr, never silently.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::*;

/// Runs a tool; false if it is not installed or fails (its output is shown).
fn run(tool: &str, args: &[&str], dir: &Path) -> bool {
    match Command::new(tool).args(args).current_dir(dir).output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            eprintln!(
                "{tool} {args:?} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            false
        }
        Err(_) => false,
    }
}

fn installed(tool: &str, version_arg: &str) -> bool {
    Command::new(tool)
        .arg(version_arg)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Says, loudly, what is not tested and why.
fn skip_loudly(what: &str, why: &str) {
    eprintln!(
        "\n############################################################\n\
         ### SKIPPED: {what}\n### because {why}\n\
         ### (apt-get install ffmpeg libheif-examples libimage-exiftool-perl)\n\
         ############################################################\n"
    );
}

/// `name` → `media.taken` of every file `pvault ls --json` lists below `dir`.
fn dates(s: &Scratch, dir: &Path) -> BTreeMap<String, Option<String>> {
    let out = s.pv.ok([
        std::ffi::OsStr::new("ls"),
        std::ffi::OsStr::new("--json"),
        std::ffi::OsStr::new("latest"),
        dir.as_os_str(),
    ]);
    out.json_lines()
        .into_iter()
        .filter(|l| l["type"] == "file")
        .map(|l| {
            let taken = l["media"]["taken"].as_str().map(str::to_string);
            (l["name"].as_str().unwrap().to_string(), taken)
        })
        .collect()
}

/// A minimal CR3: `ftyp crx `, `moov` holding Canon's `uuid` box with `CMT1` (IFD0: make
/// and model) and an empty `CMT2`, then `mdat`. No encoder of CR3 files exists outside
/// Canon's cameras, so the structure is made here and exiftool writes the date into it.
fn cr3_skeleton() -> Vec<u8> {
    fn boxed(kind: &[u8], body: &[u8]) -> Vec<u8> {
        [&(body.len() as u32 + 8).to_be_bytes()[..], kind, body].concat()
    }
    fn tiff(entries: &[(u16, &str)]) -> Vec<u8> {
        let n = entries.len();
        let mut data_at = 8 + 2 + n * 12 + 4;
        let (mut ifd, mut data) = ((n as u16).to_le_bytes().to_vec(), Vec::new());
        for (tag, value) in entries {
            let mut v = value.as_bytes().to_vec();
            v.push(0);
            ifd.extend(tag.to_le_bytes());
            ifd.extend(2u16.to_le_bytes()); // ASCII
            ifd.extend((v.len() as u32).to_le_bytes());
            ifd.extend((data_at as u32).to_le_bytes());
            data_at += v.len();
            data.extend(v);
        }
        ifd.extend(0u32.to_le_bytes());
        [&b"II*\0\x08\0\0\0"[..], &ifd, &data].concat()
    }
    let uuid = [
        0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a,
        0x48,
    ];
    let cmt1 = tiff(&[(0x010F, "Canon"), (0x0110, "Canon EOS R5")]);
    let cmt2 = tiff(&[(0x9003, "2000:01:01 00:00:00")]);
    let canon = [&uuid[..], &boxed(b"CMT1", &cmt1), &boxed(b"CMT2", &cmt2)].concat();
    [
        boxed(b"ftyp", b"crx \0\0\0\x01crx isom"),
        boxed(b"moov", &boxed(b"uuid", &canon)),
        boxed(b"mdat", &[0x55; 4096]),
    ]
    .concat()
}

#[test]
fn capture_dates_of_heic_avif_dng_cr3_arw_nef_jpeg_mov_and_mp4_from_real_encoders() {
    if !installed("exiftool", "-ver") {
        skip_loudly(
            "every real-file capture date test",
            "exiftool is not installed",
        );
        return;
    }
    let s = Scratch::with_repo();
    let dir = s.path("camera roll");
    fs::create_dir_all(&dir).unwrap();
    let mut expected: BTreeMap<String, Option<String>> = BTreeMap::new();
    let exif_date = |file: &str, date: &str, offset: Option<&str>| {
        let mut args = vec![
            "-q".to_string(),
            "-overwrite_original".to_string(),
            format!("-DateTimeOriginal={date}"),
        ];
        if let Some(offset) = offset {
            args.push(format!("-OffsetTimeOriginal={offset}"));
        }
        args.push(file.to_string());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert!(
            run("exiftool", &args, &dir),
            "exiftool could not date {file}"
        );
    };

    if installed("ffmpeg", "-version") {
        let ff = |args: &[&str]| {
            let mut all = vec!["-loglevel", "error", "-y"];
            all.extend_from_slice(args);
            assert!(run("ffmpeg", &all, &dir), "ffmpeg {args:?}");
        };
        let frame = [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240",
            "-frames:v",
            "1",
        ];
        ff(&[&frame[..], &["phone.jpg"]].concat());
        exif_date("phone.jpg", "2021:05:03 14:22:01", Some("+02:00"));
        expected.insert("phone.jpg".into(), Some("2021-05-03T14:22:01+02:00".into()));

        // TIFF-based RAW: 16-bit TIFFs from ffmpeg, made DNG, NEF and ARW by exiftool.
        ff(&[&frame[..], &["-pix_fmt", "rgb48le", "sensor.tiff"]].concat());
        for (name, tags, date) in [
            (
                "raw.dng",
                vec!["-DNGVersion=1.4.0.0", "-Make=Adobe"],
                "2018:11:22 07:08:09",
            ),
            (
                "raw.nef",
                vec!["-Make=NIKON CORPORATION", "-Model=NIKON Z 6"],
                "2017:01:31 23:59:58",
            ),
            (
                "raw.arw",
                vec!["-Make=SONY", "-Model=ILCE-7M3"],
                "2016:07:04 10:00:00",
            ),
        ] {
            fs::copy(dir.join("sensor.tiff"), dir.join(name)).unwrap();
            let mut args = vec!["-q", "-overwrite_original"];
            args.extend(&tags);
            args.push(name);
            assert!(run("exiftool", &args, &dir));
            exif_date(name, date, None);
            let iso = date.replacen(':', "-", 2).replace(' ', "T");
            expected.insert(name.into(), Some(iso));
        }
        fs::remove_file(dir.join("sensor.tiff")).unwrap();

        // Movies: the creation time ffmpeg writes into mvhd, and exiftool's QuickTime date.
        let clip = [
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x120:duration=1",
            "-c:v",
            "mpeg4",
        ];
        ff(&[
            &clip[..],
            &[
                "-metadata",
                "creation_time=2022-08-09T10:11:12Z",
                "clip.mp4",
            ],
        ]
        .concat());
        expected.insert("clip.mp4".into(), Some("2022-08-09T10:11:12+00:00".into()));
        ff(&[&clip[..], &["clip.mov"]].concat());
        assert!(run(
            "exiftool",
            &[
                "-q",
                "-overwrite_original",
                "-QuickTime:CreateDate=2023:03:04 05:06:07",
                "clip.mov"
            ],
            &dir
        ));
        expected.insert("clip.mov".into(), Some("2023-03-04T05:06:07+00:00".into()));

        if installed("heif-enc", "--version") || installed("heif-enc", "-h") {
            ff(&[&frame[..], &["still.png"]].concat());
            assert!(run(
                "heif-enc",
                &["-q", "50", "-o", "phone.heic", "still.png"],
                &dir
            ));
            exif_date("phone.heic", "2020:02:29 12:00:00", Some("-05:00"));
            expected.insert(
                "phone.heic".into(),
                Some("2020-02-29T12:00:00-05:00".into()),
            );
            if run(
                "heif-enc",
                &["-A", "-q", "50", "-o", "phone.avif", "still.png"],
                &dir,
            ) {
                exif_date("phone.avif", "2019:10:11 12:13:14", None);
                expected.insert("phone.avif".into(), Some("2019-10-11T12:13:14".into()));
            } else {
                skip_loudly("AVIF capture dates", "heif-enc has no AV1 encoder here");
            }
            fs::remove_file(dir.join("still.png")).unwrap();
        } else {
            skip_loudly("HEIC and AVIF capture dates", "heif-enc is not installed");
        }
    } else {
        skip_loudly(
            "JPEG, HEIC, AVIF, DNG, NEF, ARW, MOV and MP4 capture dates",
            "ffmpeg is not installed",
        );
    }

    fs::write(dir.join("IMG_0001.CR3"), cr3_skeleton()).unwrap();
    exif_date("IMG_0001.CR3", "2015:12:31 23:00:00", Some("+09:00"));
    expected.insert(
        "IMG_0001.CR3".into(),
        Some("2015-12-31T23:00:00+09:00".into()),
    );

    s.pv.backup(&[&dir], &[]);
    assert_eq!(dates(&s, &dir), expected);
}

#[test]
fn photos_without_a_date_show_the_one_of_their_xmp_or_takeout_sidecar() {
    let s = Scratch::with_repo();
    let dir = s.path("takeout");
    fs::create_dir_all(&dir).unwrap();
    let mut expected: BTreeMap<String, Option<String>> = BTreeMap::new();
    for name in ["scan.jpg", "screenshot.png", "sent.heic", "plain.jpg"] {
        fs::write(dir.join(name), format!("{name} has no EXIF")).unwrap();
        expected.insert(name.into(), None);
    }
    // Takeout's JSON, as Google writes it (2024 name and older name).
    let takeout = |stamp: &str| {
        format!(
            r#"{{"title":"x","photoTakenTime":{{"timestamp":"{stamp}","formatted":"…"}},"creationTime":{{"timestamp":"1700000000"}}}}"#
        )
    };
    fs::write(
        dir.join("screenshot.png.supplemental-metadata.json"),
        takeout("1577880000"),
    )
    .unwrap();
    expected.insert(
        "screenshot.png".into(),
        Some("2020-01-01T12:00:00+00:00".into()),
    );
    fs::write(dir.join("sent.heic.json"), takeout("1262304000")).unwrap();
    expected.insert("sent.heic".into(), Some("2010-01-01T00:00:00+00:00".into()));
    for sidecar in [
        "screenshot.png.supplemental-metadata.json",
        "sent.heic.json",
    ] {
        expected.insert(sidecar.into(), None);
    }

    // An XMP sidecar as exiftool writes one; it wins over Takeout's JSON.
    if installed("exiftool", "-ver") {
        assert!(run(
            "exiftool",
            &[
                "-q",
                "-o",
                "scan.xmp",
                "-XMP-exif:DateTimeOriginal=1987:06:05 04:03:02+01:00"
            ],
            &dir
        ));
        fs::write(dir.join("scan.jpg.json"), takeout("946684800")).unwrap();
        expected.insert("scan.jpg".into(), Some("1987-06-05T04:03:02+01:00".into()));
        expected.insert("scan.xmp".into(), None);
        expected.insert("scan.jpg.json".into(), None);
    } else {
        skip_loudly(
            "XMP sidecars written by exiftool",
            "exiftool is not installed",
        );
    }

    s.pv.backup(&[&dir], &[]);
    assert_eq!(dates(&s, &dir), expected);
}
