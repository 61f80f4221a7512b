//! Thumbnails made by programs photovault does not link: libheif's `heif-thumbnailer` for
//! HEIC and AVIF, `ffmpeg` for a video's first frame.
//!
//! Decoding HEVC, AV1 and every video codec in process would pull large C libraries into
//! every build of the library; the programs are on most photo workstations, and where they
//! are not, the file simply gets no stored thumbnail (and `pvault thumbnails` adds it once
//! they are installed). Each run is bounded in time and in output size.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long one program may take for one file before it is killed.
pub const TIME_LIMIT: Duration = Duration::from_secs(20);

/// The largest output read from a program (a 320-pixel PNG is far smaller).
const MAX_OUTPUT: u64 = 8 << 20;

/// Environment variable that turns the programs off (`PVAULT_THUMBNAIL_PROGRAMS=0`): tests
/// and machines where spawning processes is not wanted.
pub const PROGRAMS_VARIABLE: &str = "PVAULT_THUMBNAIL_PROGRAMS";

/// A program that makes thumbnails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// libheif's `heif-thumbnailer` (Debian: `heif-thumbnailer`).
    HeifThumbnailer,
    /// `ffmpeg` (Debian: `ffmpeg`).
    Ffmpeg,
}

impl Program {
    /// The executable's name.
    pub fn name(self) -> &'static str {
        match self {
            Program::HeifThumbnailer => "heif-thumbnailer",
            Program::Ffmpeg => "ffmpeg",
        }
    }

    /// Where the program is, if it is installed (and programs are not turned off); looked up
    /// once per process.
    pub fn path(self) -> Option<&'static Path> {
        static HEIF: OnceLock<Option<PathBuf>> = OnceLock::new();
        static FFMPEG: OnceLock<Option<PathBuf>> = OnceLock::new();
        let cell = match self {
            Program::HeifThumbnailer => &HEIF,
            Program::Ffmpeg => &FFMPEG,
        };
        cell.get_or_init(|| {
            if std::env::var_os(PROGRAMS_VARIABLE).is_some_and(|v| v == "0") {
                return None;
            }
            find_on_path(self.name())
        })
        .as_deref()
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The image `heif-thumbnailer` makes of the HEIF file at `path` (a PNG), using the
/// thumbnail stored in the file when it has one.
pub fn heif_thumbnail(path: &Path, long_side: u32) -> Option<Vec<u8>> {
    let program = Program::HeifThumbnailer.path()?;
    let out = TempFile::create("png").ok()?;
    let mut command = Command::new(program);
    command
        .arg("-s")
        .arg(long_side.to_string())
        .arg(path)
        .arg(out.path());
    run(command).ok()?;
    let bytes = std::fs::read(out.path()).ok()?;
    (!bytes.is_empty()).then_some(bytes)
}

/// The first frame `ffmpeg` decodes of the video at `path`, scaled to `long_side` and
/// encoded as a JPEG.
pub fn video_frame(path: &Path, long_side: u32) -> Option<Vec<u8>> {
    let program = Program::Ffmpeg.path()?;
    let scale = format!(
        "scale=w='min({long_side},iw)':h='min({long_side},ih)':force_original_aspect_ratio=decrease"
    );
    let mut command = Command::new(program);
    command
        .args(["-nostdin", "-v", "error", "-i"])
        .arg(path)
        .args(["-frames:v", "1", "-vf", &scale])
        .args(["-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "5", "-"]);
    let bytes = run(command).ok()?;
    (bytes.starts_with(&[0xFF, 0xD8])).then_some(bytes)
}

/// A temporary file, removed when dropped.
pub(crate) struct TempFile {
    path: PathBuf,
    file: std::fs::File,
}

impl TempFile {
    /// A new empty file in the system's temporary folder, named `photovault-*.EXTENSION`.
    pub(crate) fn create(extension: &str) -> std::io::Result<TempFile> {
        let mut random = [0u8; 8];
        getrandom::getrandom(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
        let path = std::env::temp_dir().join(format!(
            "photovault-thumbnail-{}.{extension}",
            hex::encode(random)
        ));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(TempFile { path, file })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn file(&mut self) -> &mut std::fs::File {
        &mut self.file
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Runs `command` with no input, returning its standard output if it exits with success
/// within [`TIME_LIMIT`]; it is killed otherwise.
fn run(mut command: Command) -> std::io::Result<Vec<u8>> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        stdout.take(MAX_OUTPUT).read_to_end(&mut out).map(|_| out)
    });
    let deadline = Instant::now() + TIME_LIMIT;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "thumbnail program took too long",
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let out = reader
        .join()
        .map_err(|_| std::io::Error::other("reader thread"))??;
    if !status.success() {
        return Err(std::io::Error::other("thumbnail program failed"));
    }
    Ok(out)
}
