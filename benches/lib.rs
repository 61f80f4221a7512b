//! Shared inputs and settings for the photovault benchmarks (`cargo bench -p photovault-benches`).
//!
//! Every bench target measures one pipeline stage on in-memory data, so the figures are the
//! per-core ceiling of that stage with no disk involved; `peer.sh` measures the whole program
//! against restic and borg. Figures and how they were taken are in `RESULTS.md`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::Criterion;
use photovault_core::chunk::{Chunker, ChunkerParams};
use photovault_core::crypto::{MasterKey, MASTER_KEY_LEN};

/// One mebibyte.
pub const MIB: usize = 1 << 20;

/// Size of the main input of every stage: large enough for a few hundred average chunks.
pub const INPUT_LEN: usize = 64 * MIB;

/// Short measurements, so the whole suite runs in a few minutes on a busy 2-core machine.
pub fn criterion() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args()
}

/// A fixed master key, so chunk boundaries (and hence every figure) repeat between runs.
pub fn bench_key() -> MasterKey {
    let mut bytes = [0u8; MASTER_KEY_LEN];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(11);
    }
    MasterKey::from_bytes(&bytes)
}

/// The repository's default chunker under [`bench_key`].
pub fn bench_chunker() -> Chunker {
    Chunker::new(ChunkerParams::default(), bench_key().chunker_seed())
}

/// Incompressible bytes, standing in for JPEG, HEIC and video content (the tests' one
/// generator, `photovault_testkit::files`).
pub fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    photovault_testkit::files::random_bytes(len, seed)
}

/// RAW-sensor-like bytes shaped like the corpus' DNG/CR3 files (`testkit/src/corpus/raw.rs`):
/// 14-bit samples in 16-bit little-endian words, a smooth field plus 5 bits of noise in the
/// low byte (the corpus draws 5 to 7) and a smooth high byte. zstd -3 saves about a quarter
/// of it, like the corpus's RAW files.
pub fn raw_like(len: usize, seed: u64) -> Vec<u8> {
    const WIDTH: usize = 4096;
    let noise = pseudo_random(len / 2 + 1, seed);
    let mut out = Vec::with_capacity(len + 2);
    let mut i = 0usize;
    while out.len() < len {
        let (x, y) = ((i % WIDTH) as f64, (i / WIDTH) as f64);
        let smooth = ((x / 700.0).sin() + (y / 500.0).cos() + 2.0) / 4.0; // 0..1, low frequency
        let lo = (smooth * 200.0) as u8 + (noise[i] >> 3);
        let hi = (smooth * 30.0) as u8;
        out.push(lo);
        out.push(hi);
        i += 1;
    }
    out.truncate(len);
    out
}

/// Cuts `data` with `chunker` into the slices the backup would store.
pub fn chunks<'a>(chunker: &Chunker, data: &'a [u8]) -> Vec<&'a [u8]> {
    let mut rest = data;
    chunker
        .chunk_lengths(data)
        .into_iter()
        .map(|n| {
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            chunk
        })
        .collect()
}

/// A scratch folder under the system temp dir, removed on drop (no extra dependency).
pub struct ScratchDir(PathBuf);

impl ScratchDir {
    /// Creates `<tmp>/photovault-bench-<label>-<pid>`, emptied first.
    pub fn new(label: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("photovault-bench-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("creating a scratch folder");
        ScratchDir(path)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Prints the CPU and the SIMD backends the crypto and hashing crates pick on it at run time,
/// so that every figure says which code it measured. The crates choose by CPU features when
/// they first run (chacha20 0.10 and blake3 1.8: AVX-512 F+VL, else AVX2, else SSE; poly1305
/// 0.9: AVX2, else portable code); this reads the same features and names the choice.
/// chacha20's AVX-512 backend exists only in builds with `--cfg chacha20_avx512`, which
/// `.cargo/config.toml` sets for this workspace.
pub fn print_backends() {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    eprintln!("cpu: {model}");
    #[cfg(target_arch = "x86_64")]
    {
        let avx512 =
            std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vl");
        let avx2 = std::is_x86_feature_detected!("avx2");
        let flags: Vec<&str> = [
            ("avx512f", std::is_x86_feature_detected!("avx512f")),
            ("avx512vl", std::is_x86_feature_detected!("avx512vl")),
            ("avx2", avx2),
            ("sse4.1", std::is_x86_feature_detected!("sse4.1")),
            ("vaes", std::is_x86_feature_detected!("vaes")),
            ("sha", std::is_x86_feature_detected!("sha")),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        let wide = |fallback: &'static str| {
            if avx512 {
                "avx512"
            } else if avx2 {
                "avx2"
            } else {
                fallback
            }
        };
        eprintln!("cpu flags: {}", flags.join(" "));
        eprintln!(
            "backends: chacha20 {}, poly1305 {}, blake3 {}",
            wide("sse2"),
            if avx2 { "avx2" } else { "portable" },
            wide(if std::is_x86_feature_detected!("sse4.1") {
                "sse41"
            } else {
                "sse2"
            }),
        );
    }
    #[cfg(not(target_arch = "x86_64"))]
    eprintln!("backends: chosen by each crate for this architecture (see their docs)");
}
