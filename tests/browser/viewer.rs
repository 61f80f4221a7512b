//! The viewer, view by view, in headless Chromium.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::support::*;

/// 2015-05-10T12:00:00Z and 2015-06-15T12:00:00Z: before every corpus photo (2016-2024).
const MAY_2015: i64 = 1_431_259_200;
const JUNE_2015: i64 = 1_434_369_600;

/// What was backed up, and the files the page must show.
struct Source {
    root: PathBuf,
    extras: PathBuf,
    /// Items per month (`YYYY-MM`), counted from the files themselves.
    months: BTreeMap<String, usize>,
    video: Option<PathBuf>,
}

/// The corpus (scale 0.01) and hand-made extras: a Live Photo, a RAW+JPEG pair, a wide
/// JPEG, a PNG, a WebM video (where ffmpeg can make one) and a text file.
fn make_source(root: &Path) -> Source {
    photovault_testkit::corpus::generate(&root.join("corpus"), 1, 0.01).unwrap();
    let extras = root.join("extras");
    let may = extras.join("2015-05");
    let june = extras.join("2015-06");
    fs::create_dir_all(&may).unwrap();
    fs::create_dir_all(&june).unwrap();
    let heic = [
        b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".as_slice(),
        &photovault_testkit::files::random_bytes(200_000, 1),
    ]
    .concat();
    let files: Vec<(PathBuf, Vec<u8>, i64)> = vec![
        (may.join("IMG_0001.HEIC"), heic, MAY_2015),
        (
            may.join("IMG_0001.MOV"),
            photovault_testkit::files::random_bytes(300_000, 2),
            MAY_2015,
        ),
        (may.join("PAIR_0002.JPG"), jpeg(1200, 800, 3), MAY_2015 + 60),
        (
            may.join("PAIR_0002.NEF"),
            [
                b"II*\0".as_slice(),
                &photovault_testkit::files::random_bytes(400_000, 4),
            ]
            .concat(),
            MAY_2015 + 60,
        ),
        (may.join("wide.jpg"), jpeg(1600, 500, 5), MAY_2015 + 120),
        (june.join("notes.txt"), b"not a photo".to_vec(), JUNE_2015),
    ];
    for (path, bytes, mtime) in &files {
        fs::write(path, bytes).unwrap();
        set_mtime(path, *mtime);
    }
    let png = may.join("drawing.png");
    image::RgbImage::from_fn(300, 200, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .save(&png)
        .unwrap();
    set_mtime(&png, MAY_2015 + 180);
    let video = june.join("clip.webm");
    let video = webm_video(&video).then(|| {
        set_mtime(&video, JUNE_2015);
        video
    });

    // Expected: every photo and video of corpus/Photos by its month (mtimes are capture
    // times there), one item per folder and stem for Live Photos (still + movie) and
    // RAW+JPEG pairs; sidecars are not items.
    let mut months: BTreeMap<String, usize> = BTreeMap::new();
    let mut groups: BTreeMap<(PathBuf, String), Vec<(String, i64)>> = BTreeMap::new();
    for dir in [root.join("corpus/Photos"), extras.clone()] {
        for path in photovault_testkit::corpus::list_files(&dir).unwrap() {
            let path = dir.join(path);
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let Some((stem, ext)) = name.rsplit_once('.') else {
                continue;
            };
            let mtime = fs::metadata(&path).unwrap().modified().unwrap();
            let secs = mtime
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs() as i64;
            groups
                .entry((path.parent().unwrap().to_path_buf(), stem.to_string()))
                .or_default()
                .push((ext.to_lowercase(), secs));
        }
    }
    for files in groups.values() {
        let has = |exts: &[&str]| files.iter().any(|(e, _)| exts.contains(&e.as_str()));
        let still = has(&["jpg", "heic"]);
        let jpeg = has(&["jpg"]);
        for (ext, secs) in files {
            let counted = match ext.as_str() {
                "jpg" | "heic" | "png" => true,
                "dng" | "cr3" | "nef" => !jpeg,
                "mov" | "mp4" | "webm" => !still,
                _ => false,
            };
            if counted {
                let month = chrono::DateTime::from_timestamp(*secs, 0).unwrap();
                *months.entry(month.format("%Y-%m").to_string()).or_default() += 1;
            }
        }
    }
    Source {
        root: root.to_path_buf(),
        extras,
        months,
        video,
    }
}

async fn js(client: &Client, script: &str, args: Vec<Value>) -> Value {
    client
        .execute(script, args)
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Waits until `script` returns something truthy, and returns it.
async fn until(client: &Client, what: &str, script: &str, args: Vec<Value>) -> Value {
    let started = Instant::now();
    loop {
        let value = js(client, script, args.clone()).await;
        let done = match &value {
            Value::Null | Value::Bool(false) => false,
            Value::Number(n) => n.as_f64() != Some(0.0),
            Value::String(s) => !s.is_empty(),
            _ => true,
        };
        if done {
            return value;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn screenshot(client: &Client, name: &str) {
    let Some(dir) = std::env::var_os("PVAULT_BROWSER_SCREENSHOTS") else {
        return;
    };
    let png = client.screenshot().await.unwrap();
    fs::create_dir_all(&dir).unwrap();
    fs::write(Path::new(&dir).join(format!("{name}.png")), png).unwrap();
}

#[test]
fn a_person_browses_views_plays_and_downloads_their_photos() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("browser")
        .tempdir()
        .unwrap();
    let source = make_source(&dir.path().join("source"));
    let repo = dir.path().join("repo");
    let pvault = pvault(&repo);
    pvault.init();
    pvault.backup(&[&source.root], &[]);
    let (_server, url) = serve(&repo, &[]);
    let address = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let token = url.rsplit("token=").next().unwrap().to_string();

    // Refused: no token, a wrong one, a foreign Host; and paths out of the snapshot.
    assert_eq!(http_get(&address, "/api/snapshots", &[]).0, 403);
    assert_eq!(http_get(&address, "/", &[]).0, 403);
    let wrong = "0".repeat(32);
    assert_eq!(http_get(&address, &format!("/?token={wrong}"), &[]).0, 403);
    let with_token = [("X-Pvault-Token", token.as_str())];
    assert_eq!(http_get(&address, "/api/snapshots", &with_token).0, 200);
    for bad in [
        "/file/latest?path=/../../../../etc/passwd",
        "/file/latest?path=%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/file/latest?path=..\\..\\etc\\passwd",
        "/zip/latest?path=/tmp/../etc",
        "/thumb/latest?path=/./etc/passwd",
    ] {
        let (status, body) = http_get(&address, bad, &with_token);
        assert_eq!(status, 400, "{bad}: {}", String::from_utf8_lossy(&body));
        assert!(!String::from_utf8_lossy(&body).contains("root:"), "{bad}");
    }
    let (status, body) = http_get(&address, "/assets/../../../../etc/passwd", &with_token);
    assert_eq!(status, 404);
    assert!(!String::from_utf8_lossy(&body).contains("root:"));
    // A restore without the page's CSRF token is refused before anything is read.
    let (status, _) = http_get(&address, "/api/s/latest/restore", &with_token);
    assert_eq!(status, 405, "restore is POST only");

    let downloads = dir.path().join("downloads");
    fs::create_dir_all(&downloads).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (_driver, client) = browser(&dir.path().join("profile"), &downloads).await;
        let outcome = browse(&client, &url, &source, &downloads, dir.path()).await;
        client.close().await.unwrap();
        outcome
    });
}

async fn browse(client: &Client, url: &str, source: &Source, downloads: &Path, scratch: &Path) {
    // Timeline: every month with the right number of items, thumbnails loaded.
    client.goto(url).await.unwrap();
    until(
        client,
        "the timeline",
        "return document.querySelectorAll('section.month').length",
        vec![],
    )
    .await;
    let shown: BTreeMap<String, u64> = serde_json::from_value(
        js(client, "const m = {}; for (const s of document.querySelectorAll('section.month')) m[s.dataset.month] = Number(s.dataset.count); return m;", vec![]).await,
    )
    .unwrap();
    let expected: BTreeMap<String, u64> = source
        .months
        .iter()
        .map(|(k, v)| (k.clone(), *v as u64))
        .collect();
    assert_eq!(shown, expected, "items per month");
    for month in expected.keys() {
        let tiles = until(
            client,
            &format!("the thumbnails of {month}"),
            "const s = document.querySelector(`section[data-month=\"${arguments[0]}\"]`); s.scrollIntoView(); \
             if (!s.dataset.loaded) return 0; const imgs = [...s.querySelectorAll('.tile img')]; \
             return imgs.every(i => i.complete && i.naturalWidth > 0) ? imgs.length : 0;",
            vec![json!(month)],
        )
        .await;
        assert_eq!(tiles.as_u64(), Some(expected[month]), "tiles of {month}");
    }
    // Thumbnails of the corpus' camera JPEGs are their 160-pixel EXIF previews; a JPEG
    // without one is decoded to 320 pixels on its long side.
    let sides = js(client, "return [...document.querySelectorAll('.tile[data-path$=\".JPG\"] img')].map(i => Math.max(i.naturalWidth, i.naturalHeight))", vec![]).await;
    let sides: Vec<u64> = serde_json::from_value(sides).unwrap();
    assert!(
        sides.contains(&160) && sides.iter().all(|&s| s == 160 || s == 320),
        "{sides:?}"
    );
    // They come from the repository's thumbnail tier, made at backup.
    let tier = js(
        client,
        "const i = document.querySelector('.tile[data-path$=\".JPG\"] img'); \
        return fetch(i.src).then(r => r.headers.get('x-photovault-thumbnail'));",
        vec![],
    )
    .await;
    assert_eq!(
        tier.as_str(),
        Some("stored"),
        "where a JPEG's thumbnail came from"
    );
    js(client, "window.scrollTo(0, 0)", vec![]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    screenshot(client, "timeline").await;

    // A photo: shown at full size, with its EXIF summary; downloaded byte for byte.
    let corpus_photo = js(client, "const t = document.querySelector('.tile[data-path*=\"/corpus/Photos/\"][data-path$=\".JPG\"]'); t.scrollIntoView(); t.click(); return t.dataset.path;", vec![]).await;
    let corpus_photo = PathBuf::from(corpus_photo.as_str().unwrap());
    let original = fs::read(&corpus_photo).unwrap();
    let (width, height) = image::load_from_memory(&original)
        .unwrap()
        .to_rgb8()
        .dimensions();
    let size = until(client, "the photo", "const i = document.getElementById('viewer-image'); return i && i.complete && i.naturalWidth ? [i.naturalWidth, i.naturalHeight] : null;", vec![]).await;
    assert_eq!(
        size,
        json!([width, height]),
        "the photo view shows the original"
    );
    let details = until(client, "the EXIF summary", "const d = [...document.querySelectorAll('#viewer-details dt')].map(e => e.textContent); return d.includes('Taken') ? d : null;", vec![]).await;
    assert!(
        details.as_array().unwrap().contains(&json!("Camera")),
        "{details}"
    );
    screenshot(client, "photo").await;
    client
        .find(Locator::Css("#viewer-files a.download"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let name = corpus_photo.file_name().unwrap().to_str().unwrap();
    let got = fs::read(downloaded(downloads, name)).unwrap();
    assert!(
        got == original,
        "the downloaded {name} differs from the original"
    );
    js(
        client,
        "document.getElementById('viewer-close').click()",
        vec![],
    )
    .await;

    // A video plays and seeks (the browser asks for byte ranges).
    if let Some(video) = &source.video {
        js(client, "const t = document.querySelector('.tile[data-path$=\"clip.webm\"]'); t.scrollIntoView(); t.click();", vec![]).await;
        until(client, "the video's metadata", "const v = document.getElementById('viewer-video'); return v && v.readyState >= 1 && v.duration > 5;", vec![]).await;
        let seeked = client
            .execute_async(
                "const done = arguments[arguments.length - 1]; const v = document.getElementById('viewer-video'); \
                 v.addEventListener('seeked', () => done([v.currentTime, v.readyState]), { once: true }); v.currentTime = 4;",
                vec![],
            )
            .await
            .unwrap();
        let (time, ready) = (seeked[0].as_f64().unwrap(), seeked[1].as_u64().unwrap());
        assert!(
            (time - 4.0).abs() < 0.5 && ready >= 2,
            "seeked to {time}, readyState {ready}"
        );
        until(
            client,
            "a frame after the seek",
            "const v = document.getElementById('viewer-video'); return v.readyState >= 2;",
            vec![],
        )
        .await;
        screenshot(client, "video").await;
        js(
            client,
            "document.getElementById('viewer-close').click()",
            vec![],
        )
        .await;
        let bytes = fs::read(video).unwrap();
        assert!(bytes.len() > 1000);
    }

    // A folder: listed, and downloaded as a zip whose files are the originals.
    let may = source.extras.join("2015-05");
    let folder_hash = format!(
        "#/folders/{}",
        may.to_str().unwrap().trim_start_matches('/')
    );
    let base = url.split("/?").next().unwrap();
    client.goto(&format!("{base}/{folder_hash}")).await.unwrap();
    let names = until(client, "the folder", "const r = [...document.querySelectorAll('table.folder tbody tr')].map(r => r.dataset.name); return r.length ? r : null;", vec![]).await;
    let mut on_disk: Vec<String> = fs::read_dir(&may)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    on_disk.sort();
    assert_eq!(names, json!(on_disk));
    screenshot(client, "folders").await;
    client
        .find(Locator::Css("a.zip"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let zip_path = downloaded(downloads, "2015-05.zip");
    let mut archive = zip::ZipArchive::new(fs::File::open(&zip_path).unwrap()).unwrap();
    assert_eq!(archive.len(), on_disk.len());
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().to_string();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        let original = fs::read(may.join(name.trim_start_matches("2015-05/"))).unwrap();
        assert!(
            bytes == original,
            "{name} in the zip differs from the original"
        );
    }

    // Search by name: the RAW+JPEG pair is one item.
    client
        .goto(&format!("{base}/#/search?name=PAIR_0002"))
        .await
        .unwrap();
    let found = until(client, "search results", "const r = document.querySelectorAll('#search-results .tile'); return r.length ? [...r].map(t => t.textContent) : null;", vec![]).await;
    assert_eq!(found, json!(["RAW+JPEG"]));
    screenshot(client, "search").await;

    // Restore a selection from the page (with its CSRF token); without the token, refused.
    let target = scratch.join("restored");
    let photo = may.join("wide.jpg");
    let restored = client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             const post = (csrf) => fetch('/api/s/latest/restore', { method: 'POST', \
               headers: { 'content-type': 'application/json', 'x-pvault-csrf': csrf }, \
               body: JSON.stringify({ paths: [arguments[0]], target: arguments[1] }) }).then(r => r.status); \
             fetch('/api/session').then(r => r.json()).then(async s => done([await post('forged'), await post(s.csrf)]));",
            vec![json!(photo.to_str().unwrap()), json!(target.to_str().unwrap())],
        )
        .await
        .unwrap();
    assert_eq!(restored, json!([403, 200]));
    assert!(fs::read(target.join("wide.jpg")).unwrap() == fs::read(&photo).unwrap());

    // Snapshots view.
    client.goto(&format!("{base}/#/snapshots")).await.unwrap();
    until(
        client,
        "the snapshots",
        "return document.querySelectorAll('main tbody tr').length",
        vec![],
    )
    .await;
    screenshot(client, "snapshots").await;

    // Without the cookie the browser gets the refusal page.
    client.delete_all_cookies().await.unwrap();
    client.goto(&format!("{base}/api/snapshots")).await.unwrap();
    let page = client.source().await.unwrap();
    assert!(page.contains("403 Forbidden"), "{page}");
}
