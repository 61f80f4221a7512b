//! `mkcorpus`: the photo corpus of [`photovault_testkit::corpus`] from a shell, for
//! benchmarks and for looking at what the tests back up.
//!
//! ```text
//! mkcorpus DIR [--seed N] [--scale S] [--threads T]   generate into DIR (missing or empty)
//! mkcorpus DIR [--seed N] --mutate                    apply the "day 2" change to DIR
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use photovault_testkit::corpus;

/// A deterministic photo-library-like corpus (JPEGs with EXIF, RAWs with XMP sidecars,
/// HEICs, videos, import duplicates and a preview cache). Scale 1 is about 3.5 GB in
/// 20,586 files; scale 0.02 100-250 MB (one video of 50-200 MB) in 413 files.
#[derive(Parser)]
#[command(name = "mkcorpus")]
struct Args {
    /// The corpus folder: created (it must be missing or empty), or changed with --mutate.
    dir: PathBuf,
    /// Seed: the same seed and scale give a byte-identical tree.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Size relative to the full corpus (counts of files scale, file sizes do not).
    #[arg(long, default_value_t = 1.0, conflicts_with = "mutate")]
    scale: f64,
    /// Apply the "day 2" change to an existing tree instead of generating one.
    #[arg(long)]
    mutate: bool,
    /// Worker threads (default: one per core); the output does not depend on it.
    #[arg(long)]
    threads: Option<usize>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        pool = pool.num_threads(n);
    }
    let pool = match pool.build() {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("mkcorpus: cannot start worker threads: {e}");
            return ExitCode::FAILURE;
        }
    };
    let started = Instant::now();
    let result = pool.install(|| {
        if args.mutate {
            corpus::mutate(&args.dir, args.seed).map(|m| {
                let renamed = m
                    .renamed
                    .as_ref()
                    .map_or(String::from("nothing"), |(a, b)| {
                        format!("{} -> {}", a.display(), b.display())
                    });
                format!(
                    "mutate: +{} files ({:.1} MB) incl. {}, EXIF rewritten in {}, {} sidecars \
                     edited, {} files deleted, renamed {renamed}",
                    m.added.len(),
                    m.added_bytes as f64 / 1e6,
                    m.new_folder.display(),
                    m.exif_rewritten.len(),
                    m.xmp_modified.len(),
                    m.deleted.len(),
                )
            })
        } else {
            corpus::generate(&args.dir, args.seed, args.scale).map(|s| {
                format!(
                    "generated {} files, {:.2} GB: {} photos, {} RAW + {} sidecars, {} HEIC, \
                     {} videos, {} previews, {} duplicates",
                    s.files,
                    s.bytes as f64 / 1e9,
                    s.photos,
                    s.raws,
                    s.sidecars,
                    s.heics,
                    s.videos,
                    s.previews,
                    s.duplicates
                )
            })
        }
    });
    match result {
        Ok(summary) => {
            println!("{summary} in {}", args.dir.display());
            eprintln!("done in {:.1} s", started.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mkcorpus: {}: {e}", args.dir.display());
            ExitCode::FAILURE
        }
    }
}
