//! `index-scale`: shows that a repository index of 10 million chunks (about 10 TB at 1 MiB
//! chunks) is opened and queried in a small, fixed amount of resident memory.
//!
//! photovault keeps the index on disk: the truth is the repository's index files, and
//! lookups go to a local redb database that mirrors them (`index/cache.rs`), read through a
//! fixed 32 MiB page cache. The resident cost per chunk should therefore tend to zero as the
//! repository grows, where tools that load the whole index into RAM pay for every chunk:
//! rustic about 48 B/chunk, restic 60–70, borg about 100 (its chunks cache). At 10 million
//! chunks those are roughly 460 MiB, 600–670 MiB and 950 MiB resident; the aim here is a
//! whole query process under 200 MiB.
//!
//! Two runs, in separate processes so that the query figures owe nothing to the build:
//!
//! * `index-scale build --dir D [--chunks N]` creates a repository in `D/repo` (cache in
//!   `D/cache`) and writes N synthetic blob entries through the public API as index files
//!   of [`FLUSH_BLOBS`] entries: ids from a seeded generator, 64 blobs per synthetic pack,
//!   offsets and lengths of incompressible ~1 MiB chunks. No pack exists, so `check` would
//!   call the repository damaged; only the index is under test. It then opens the repository
//!   afresh and loads the index, which builds the redb cache from every index file. It
//!   reports the time to write the index files, the time of that first open, the size on
//!   disk of the index files and of the cache, and the peak memory of the build.
//! * `index-scale query --dir D [--chunks N] [--lookups M] [--threads T]` opens the
//!   repository (the cache is now up to date), then makes M lookups on one thread and M more
//!   shared by T threads, half of them hits (ids regenerated from the build's seed) and half
//!   misses (ids from another stream). Every hit must return the blob's pack and lengths,
//!   every miss `None`. It reads `VmRSS`/`VmHWM` from `/proc/self/status` before opening,
//!   after opening, and after the lookups, and reports resident bytes per chunk as
//!   `(VmHWM at the end - VmRSS before opening) / N`.
//!
//! Both print a small table and then one line of JSON for scripts. The redb file is read
//! with `pread`, not mapped, so the operating system's page cache holding it is not in
//! these RSS figures; with the file cached, lookups cost CPU only, and from a cold disk each
//! costs about one random read. With glibc, every thread that makes lookups keeps freed
//! cache pages in a malloc arena of its own, so the figures grow with T (up to about the
//! page cache size per thread), not with N; `MALLOC_ARENA_MAX=1` shows the difference.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use photovault_core::backend::{FileKind, LocalBackend};
use photovault_core::crypto::OVERHEAD;
use photovault_core::format::blob::{BlobEntry, BlobKind, Compression};
use photovault_core::format::index_file::{IndexFile, IndexedPack};
use photovault_core::index::FLUSH_BLOBS;
use photovault_core::{
    BlobId, IndexedRepository, InitOptions, KdfParams, OpenOptions, PackId, Repository,
};

const USAGE: &str = "usage:
  index-scale build --dir DIR [--chunks N]
  index-scale query --dir DIR [--chunks N] [--lookups M] [--threads T]
defaults: N = 10000000, M = 1000000, T = 2";

const PASSWORD: &[u8] = b"index-scale";
const BLOBS_PER_PACK: u64 = 64;
const MIB: f64 = (1u64 << 20) as f64;

/// Generator streams: every value is `mix(stream, counter)`, so chunk i's id, pack and
/// length can be regenerated in any order, by any thread, without storing them.
const STREAM_BLOB: u64 = 1;
const STREAM_PACK: u64 = 2;
const STREAM_LENGTH: u64 = 3;
const STREAM_MISS: u64 = 4;
const STREAM_LOOKUP: u64 = 5;
/// Changes every id; fixed so that `query` finds what `build` wrote.
const SEED: u64 = 0x9107_0FA0_17DE_5EED;

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("index-scale: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let outcome = match args.command {
        Command::Build => build(&args),
        Command::Query => query(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("index-scale: {message}");
            ExitCode::FAILURE
        }
    }
}

// ---- build ------------------------------------------------------------------------------

fn build(args: &Args) -> Result<(), String> {
    let repo_dir = args.dir.join("repo");
    if repo_dir.exists() {
        return Err(format!(
            "{} already exists; remove it or choose another --dir",
            repo_dir.display()
        ));
    }
    let n = args.chunks;
    let files = n.div_ceil(FLUSH_BLOBS as u64);
    let start = Instant::now();
    let repo = Repository::init(backend(&args.dir), PASSWORD, &init_options(&args.dir))
        .map_err(|e| format!("init: {e}"))?;
    let init_time = start.elapsed();

    // Index files: generating, encoding, sealing and storing (fsynced) each one.
    let start = Instant::now();
    let mut first = 0u64;
    for f in 0..files {
        let last = (first + FLUSH_BLOBS as u64).min(n);
        repo.write_index_file(&synthetic_index_file(first, last))
            .map_err(|e| format!("writing index file {f}: {e}"))?;
        first = last;
        if (f + 1) % 10 == 0 || f + 1 == files {
            let secs = start.elapsed().as_secs_f64();
            eprintln!(
                "  index files {:>4}/{files}  {last:>10} chunks  {secs:7.1} s  {:8.0} chunks/s",
                f + 1,
                last as f64 / secs
            );
        }
    }
    let write_time = start.elapsed();
    drop(repo);

    // First open: the cache does not exist yet, so loading the index builds it.
    let rss_before = MemoryStatus::read()?;
    let start = Instant::now();
    let repo = Repository::open(backend(&args.dir), PASSWORD, &open_options(&args.dir))
        .map_err(|e| format!("open: {e}"))?;
    let open_time = start.elapsed();
    eprintln!("  building the index cache ...");
    let start = Instant::now();
    let repo = repo
        .to_indexed()
        .map_err(|e| format!("loading the index: {e}"))?;
    let indexed = repo
        .indexed_blobs()
        .map_err(|e| format!("loading the index: {e}"))?;
    let cache_time = start.elapsed();
    let mem = MemoryStatus::read()?;
    if indexed != n {
        return Err(format!("the index holds {indexed} blobs, expected {n}"));
    }

    let index_files = repo
        .backend()
        .list(FileKind::Index)
        .map_err(|e| format!("listing index files: {e}"))?;
    let index_bytes: u64 = index_files.iter().map(|f| f.size).sum();
    // Sized once closed: redb trims the file's free tail when the database is dropped.
    let cache_file = cache_file(&args.dir, &repo);
    drop(repo);
    let cache_bytes = file_size(&cache_file)?;

    let per_sec = |t: Duration| n as f64 / t.as_secs_f64();
    let mut table = Table::default();
    table.row("chunks", format!("{n} ({} index files)", index_files.len()));
    table.row("init", secs(init_time));
    table.row(
        "write index files",
        format!(
            "{}  ({:.0} chunks/s)",
            secs(write_time),
            per_sec(write_time)
        ),
    );
    table.row("first open (key, config)", secs(open_time));
    table.row(
        "first open (cache build)",
        format!(
            "{}  ({:.0} chunks/s)",
            secs(cache_time),
            per_sec(cache_time)
        ),
    );
    table.row(
        "index files on disk",
        format!(
            "{}  ({:.1} B/chunk)",
            mib(index_bytes),
            index_bytes as f64 / n as f64
        ),
    );
    table.row(
        "redb cache file",
        format!(
            "{}  ({:.1} B/chunk)",
            mib(cache_bytes),
            cache_bytes as f64 / n as f64
        ),
    );
    table.row(
        "RSS before open / after",
        format!("{} / {}", mib_kib(rss_before.rss_kib), mib_kib(mem.rss_kib)),
    );
    table.row("peak RSS (VmHWM) of the build", mib_kib(mem.hwm_kib));
    table.row("cache file", cache_file.display().to_string());
    table.print("index-scale build");

    println!(
        "{{\"command\":\"build\",\"chunks\":{n},\"index_files\":{},\"init_s\":{:.3},\
         \"write_index_s\":{:.3},\"open_s\":{:.3},\"cache_build_s\":{:.3},\
         \"index_bytes\":{index_bytes},\"cache_bytes\":{cache_bytes},\
         \"rss_before_open_kib\":{},\"rss_after_kib\":{},\"hwm_kib\":{}}}",
        index_files.len(),
        init_time.as_secs_f64(),
        write_time.as_secs_f64(),
        open_time.as_secs_f64(),
        cache_time.as_secs_f64(),
        rss_before.rss_kib,
        mem.rss_kib,
        mem.hwm_kib,
    );
    Ok(())
}

/// Index file of chunks `first..last`: whole packs of [`BLOBS_PER_PACK`] chunks, laid out
/// one after another in each pack as the packer writes them.
fn synthetic_index_file(first: u64, last: u64) -> IndexFile {
    let mut packs: Vec<IndexedPack> = Vec::new();
    let mut offset = 0u32;
    for i in first..last {
        let pack = pack_id(i / BLOBS_PER_PACK);
        if packs.last().is_none_or(|p| p.id != pack) {
            packs.push(IndexedPack {
                id: pack,
                blobs: Vec::with_capacity(BLOBS_PER_PACK as usize),
            });
            offset = 0;
        }
        let raw_length = raw_length(i);
        let length = raw_length + OVERHEAD as u32;
        packs
            .last_mut()
            .expect("just pushed")
            .blobs
            .push(BlobEntry {
                id: blob_id(STREAM_BLOB, i),
                kind: BlobKind::Data,
                compression: Compression::None,
                offset,
                length,
                raw_length,
            });
        offset += length;
    }
    IndexFile { packs }
}

// ---- query ------------------------------------------------------------------------------

fn query(args: &Args) -> Result<(), String> {
    let n = args.chunks;
    let before = MemoryStatus::read()?;
    let start = Instant::now();
    let repo = Repository::open(backend(&args.dir), PASSWORD, &open_options(&args.dir))
        .map_err(|e| format!("open: {e}"))?;
    let open_time = start.elapsed();
    let start = Instant::now();
    let repo = repo
        .to_indexed()
        .map_err(|e| format!("loading the index: {e}"))?;
    let indexed = repo
        .indexed_blobs()
        .map_err(|e| format!("loading the index: {e}"))?;
    let load_time = start.elapsed();
    let opened = MemoryStatus::read()?;
    if indexed != n {
        return Err(format!(
            "the index holds {indexed} blobs, expected {n}: run build with --chunks {n}"
        ));
    }

    // One thread, then T threads sharing the repository; each phase makes M lookups.
    let start = Instant::now();
    let single = lookups(&repo, n, 0, args.lookups)?;
    let single_time = start.elapsed();
    let after_single = MemoryStatus::read()?;

    let threads = args.threads as u64;
    let start = Instant::now();
    let shared: Vec<Result<Checked, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let repo = &repo;
                let count = args.lookups / threads + u64::from(t < args.lookups % threads);
                s.spawn(move || lookups(repo, n, 1 + t, count))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("lookup thread panicked"))
            .collect()
    });
    let multi_time = start.elapsed();
    let mut multi = Checked::default();
    for result in shared {
        multi.add(&result?);
    }
    let after = MemoryStatus::read()?;

    for (phase, checked) in [("single-thread", &single), ("multi-thread", &multi)] {
        if checked.wrong_hits != 0 || checked.wrong_misses != 0 {
            return Err(format!(
                "{phase} lookups: {} of {} hits not found or wrong, {} of {} misses found",
                checked.wrong_hits, checked.hits, checked.wrong_misses, checked.misses
            ));
        }
    }

    let cache_bytes = file_size(&cache_file(&args.dir, &repo))?;
    let per_chunk = (after.hwm_kib.saturating_sub(before.rss_kib) * 1024) as f64 / n as f64;
    let single_rate = single.total() as f64 / single_time.as_secs_f64();
    let multi_rate = multi.total() as f64 / multi_time.as_secs_f64();

    let mut table = Table::default();
    table.row("chunks", n.to_string());
    table.row("redb cache file", mib(cache_bytes));
    table.row("open (key, config)", secs(open_time));
    table.row("load index (cache up to date)", secs(load_time));
    table.row(
        "lookups, 1 thread",
        format!(
            "{:.0}/s  ({} hits + {} misses, all correct)",
            single_rate, single.hits, single.misses
        ),
    );
    table.row(
        &format!("lookups, {threads} threads"),
        format!(
            "{:.0}/s  ({} hits + {} misses, all correct)",
            multi_rate, multi.hits, multi.misses
        ),
    );
    table.row("VmRSS before open", mib_kib(before.rss_kib));
    table.row("VmRSS after open + load", mib_kib(opened.rss_kib));
    table.row(
        "VmRSS after 1-thread lookups",
        mib_kib(after_single.rss_kib),
    );
    table.row(
        &format!("VmRSS after {threads}-thread lookups"),
        mib_kib(after.rss_kib),
    );
    table.row("VmHWM (peak)", mib_kib(after.hwm_kib));
    table.row(
        "resident bytes per chunk",
        format!("{per_chunk:.2}  (VmHWM - VmRSS before open) / N"),
    );
    table.print("index-scale query");

    println!(
        "{{\"command\":\"query\",\"chunks\":{n},\"cache_bytes\":{cache_bytes},\
         \"open_s\":{:.3},\"load_s\":{:.3},\"lookups\":{},\"threads\":{threads},\
         \"lookups_per_s_1\":{single_rate:.0},\"lookups_per_s_t\":{multi_rate:.0},\
         \"rss_before_open_kib\":{},\"rss_after_open_kib\":{},\"rss_after_lookups_kib\":{},\
         \"hwm_kib\":{},\"resident_bytes_per_chunk\":{per_chunk:.3}}}",
        open_time.as_secs_f64(),
        load_time.as_secs_f64(),
        args.lookups,
        before.rss_kib,
        opened.rss_kib,
        after.rss_kib,
        after.hwm_kib,
    );
    Ok(())
}

/// Lookup outcomes: how many of each kind were made and how many came out wrong.
#[derive(Debug, Default)]
struct Checked {
    hits: u64,
    misses: u64,
    wrong_hits: u64,
    wrong_misses: u64,
}

impl Checked {
    fn add(&mut self, other: &Checked) {
        self.hits += other.hits;
        self.misses += other.misses;
        self.wrong_hits += other.wrong_hits;
        self.wrong_misses += other.wrong_misses;
    }

    fn total(&self) -> u64 {
        self.hits + self.misses
    }
}

/// `count` lookups alternating between a random stored chunk and an id never stored. The
/// ids are generated as they go, so no list of them inflates the memory figures.
fn lookups(repo: &IndexedRepository, n: u64, stream: u64, count: u64) -> Result<Checked, String> {
    let mut checked = Checked::default();
    for j in 0..count {
        let r = mix(STREAM_LOOKUP + (stream << 8), j);
        if j % 2 == 0 {
            let i = r % n;
            let id = blob_id(STREAM_BLOB, i);
            let found = repo
                .find_blob(&id)
                .map_err(|e| format!("lookup of {}: {e}", id.short()))?;
            let right = found.is_some_and(|loc| {
                loc.entry.id == id
                    && loc.pack == pack_id(i / BLOBS_PER_PACK)
                    && loc.entry.raw_length == raw_length(i)
                    && loc.entry.length == raw_length(i) + OVERHEAD as u32
            });
            checked.hits += 1;
            checked.wrong_hits += u64::from(!right);
        } else {
            let id = blob_id(STREAM_MISS + (stream << 8), r);
            let found = repo
                .find_blob(&id)
                .map_err(|e| format!("lookup of {}: {e}", id.short()))?;
            checked.misses += 1;
            checked.wrong_misses += u64::from(found.is_some());
        }
    }
    Ok(checked)
}

// ---- synthetic data ---------------------------------------------------------------------

/// splitmix64's output function over `(SEED, stream, counter)`: a seeded generator that can
/// be read at any position.
fn mix(stream: u64, counter: u64) -> u64 {
    let mut z = SEED
        ^ stream.wrapping_mul(0xD6E8_FEB8_6659_FD93)
        ^ counter.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random_32(stream: u64, i: u64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (k, word) in out.chunks_exact_mut(8).enumerate() {
        word.copy_from_slice(&mix(stream, i.wrapping_mul(4).wrapping_add(k as u64)).to_le_bytes());
    }
    out
}

fn blob_id(stream: u64, i: u64) -> BlobId {
    BlobId(random_32(stream, i))
}

fn pack_id(p: u64) -> PackId {
    PackId(random_32(STREAM_PACK, p))
}

/// Plaintext length of chunk i: 512 KiB to 1.5 MiB, 1 MiB on average.
fn raw_length(i: u64) -> u32 {
    (512 << 10) + (mix(STREAM_LENGTH, i) % (1 << 20)) as u32
}

// ---- repository, files and memory -------------------------------------------------------

fn backend(dir: &Path) -> Arc<LocalBackend> {
    Arc::new(LocalBackend::new(dir.join("repo")))
}

fn open_options(dir: &Path) -> OpenOptions {
    OpenOptions::default().cache_dir(dir.join("cache"))
}

/// A cheap key derivation: the figures are about the index, not the password.
fn init_options(dir: &Path) -> InitOptions {
    InitOptions::default()
        .kdf(KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .open_options(open_options(dir))
}

/// Where the repository's index cache lives (`<cache base>/<repository id>/index.redb`).
fn cache_file(dir: &Path, repo: &Repository) -> PathBuf {
    dir.join("cache").join(&repo.config().id).join("index.redb")
}

fn file_size(path: &Path) -> Result<u64, String> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The process's resident set now and at its peak, from `/proc/self/status`.
struct MemoryStatus {
    rss_kib: u64,
    hwm_kib: u64,
}

impl MemoryStatus {
    fn read() -> Result<Self, String> {
        let status = std::fs::read_to_string("/proc/self/status")
            .map_err(|e| format!("/proc/self/status: {e}"))?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
                .ok_or_else(|| format!("/proc/self/status has no {name}"))
        };
        Ok(MemoryStatus {
            rss_kib: field("VmRSS:")?,
            hwm_kib: field("VmHWM:")?,
        })
    }
}

// ---- output -----------------------------------------------------------------------------

fn secs(t: Duration) -> String {
    format!("{:.2} s", t.as_secs_f64())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB)
}

fn mib_kib(kib: u64) -> String {
    mib(kib * 1024)
}

/// Two aligned columns.
#[derive(Default)]
struct Table(Vec<(String, String)>);

impl Table {
    fn row(&mut self, label: &str, value: String) {
        self.0.push((label.to_string(), value));
    }

    fn print(&self, title: &str) {
        let width = self.0.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
        let mut out = format!("{title}\n");
        for (label, value) in &self.0 {
            let _ = writeln!(out, "  {label:<width$}  {value}");
        }
        print!("{out}");
    }
}

// ---- arguments --------------------------------------------------------------------------

enum Command {
    Build,
    Query,
}

struct Args {
    command: Command,
    dir: PathBuf,
    chunks: u64,
    lookups: u64,
    threads: usize,
}

impl Args {
    fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let command = match args.next().as_deref() {
            Some("build") => Command::Build,
            Some("query") => Command::Query,
            Some(other) => return Err(format!("unknown command {other:?}")),
            None => return Err("no command".into()),
        };
        let mut dir = None;
        let (mut chunks, mut lookups, mut threads) = (10_000_000u64, 1_000_000u64, 2usize);
        while let Some(flag) = args.next() {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = || {
                value
                    .replace('_', "")
                    .parse::<u64>()
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or_else(|| format!("{flag}: {value:?} is not a positive number"))
            };
            match (flag.as_str(), &command) {
                ("--dir", _) => dir = Some(PathBuf::from(&value)),
                ("--chunks", _) => chunks = number()?,
                ("--lookups", Command::Query) => lookups = number()?,
                ("--threads", Command::Query) => threads = number()? as usize,
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        Ok(Args {
            command,
            dir: dir.ok_or("--dir is required")?,
            chunks,
            lookups,
            threads,
        })
    }
}
