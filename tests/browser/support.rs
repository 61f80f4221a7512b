//! The browser tests' tools: the fixture (corpus, extras, repository), `pvault serve` in
//! the background, chromedriver and a WebDriver session, and a raw HTTP client for the
//! requests a browser would not make.

use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

pub const PASSWORD: &str = "browser test password";
pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Whether Chromium and chromedriver are installed; says loudly when not.
pub fn browser_available() -> bool {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if missing.is_empty() {
        return true;
    }
    eprintln!(
        "\n******** SKIPPED: the browser tests of `pvault serve`: {} not installed \
         (apt-get install chromium chromium-driver) ********\n",
        missing.join(" and ")
    );
    false
}

pub fn pvault(repo: &Path) -> photovault_testkit::pvault::Pvault {
    photovault_testkit::pvault::Pvault::new(
        env!("CARGO_BIN_EXE_pvault"),
        repo,
        repo.with_extension("cache"),
        PASSWORD,
    )
}

/// Sets a file's modification time (seconds since 1970).
pub fn set_mtime(path: &Path, secs: i64) {
    filetime::set_file_mtime(path, filetime::FileTime::from_unix_time(secs, 0)).unwrap();
}

/// A small JPEG of `width` x `height`, a gradient seeded by `seed`.
pub fn jpeg(width: u32, height: u32, seed: u8) -> Vec<u8> {
    use image::ImageEncoder;
    let pixels = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x / 3) as u8 ^ seed, (y / 2) as u8, seed.wrapping_mul(7)])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(
            pixels.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A 6-second WebM (VP8) made by ffmpeg, or `None` (said loudly) where there is none.
pub fn webm_video(path: &Path) -> bool {
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=duration=6:size=320x240:rate=10")
        .args(["-c:v", "libvpx", "-b:v", "300k", "-g", "10", "-y"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!(
            "\n******** SKIPPED: the video seeking check: no ffmpeg with libvpx to make a test video \
             (apt-get install ffmpeg) ********\n"
        );
    }
    made
}

/// A free port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process killed and waited for on drop.
pub struct Background(pub Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `pvault serve` on a free port: the process and the URL it printed.
pub fn serve(repo: &Path, extra: &[&str]) -> (Background, String) {
    let mut cmd = pvault(repo).command(["--json", "serve", "--listen", "127.0.0.1:0"]);
    cmd.args(extra.iter().map(OsStr::new));
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("run pvault serve");
    let stdout = child.stdout.take().unwrap();
    let child = Background(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let message: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("pvault serve printed {line:?}: {e}"));
    assert_eq!(message["message_type"], "serving", "{message}");
    (child, message["url"].as_str().unwrap().to_string())
}

/// chromedriver on a free port, and a headless Chromium session through it that
/// downloads into `downloads`.
pub async fn browser(profile: &Path, downloads: &Path) -> (Background, Client) {
    let port = free_port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run chromedriver");
    let driver = Background(driver);
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,900", "--autoplay-policy=no-user-gesture-required",
                format!("--user-data-dir={}", profile.display()),
            ],
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
                "safebrowsing.enabled": false,
            },
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("start a Chromium session");
    (driver, client)
}

/// A raw HTTP/1.1 GET with `headers`; returns the status and the body.
pub fn http_get(address: &str, target: &str, headers: &[(&str, &str)]) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(address).unwrap();
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..end]);
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, response[end + 4..].to_vec())
}

/// Waits for a file to appear complete in `dir` (Chromium writes `*.crdownload` first).
pub fn downloaded(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let started = Instant::now();
    loop {
        let partial = fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".crdownload"))
            })
            .unwrap_or(false);
        if path.exists() && !partial {
            return path;
        }
        let listing: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{name} was not downloaded into {dir:?} (holds {listing:?})"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
