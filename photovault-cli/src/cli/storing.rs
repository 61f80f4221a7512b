//! Commands that put snapshots into a repository: `init`, `backup`, `copy`.

use std::path::PathBuf;

use clap::Args;

use super::SnapshotFilterArgs;

/// The repository a command reads from besides its own (`copy`, `init`).
#[derive(Debug, Args, Default)]
pub struct FromRepoArgs {
    /// The source repository's password file (first line)
    #[arg(long, env = "PVAULT_FROM_PASSWORD_FILE", value_name = "FILE")]
    pub from_password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// Repository to copy from
    #[arg(
        long = "from-repo",
        env = "PVAULT_FROM_REPOSITORY",
        value_name = "REPO"
    )]
    pub from_repo: Option<String>,
    #[command(flatten)]
    pub from: FromRepoArgs,
    /// Snapshots to copy: ids, unique prefixes or `latest` (default: all)
    pub snapshots: Vec<String>,
    #[command(flatten)]
    pub filter: SnapshotFilterArgs,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Name blobs and cut chunks as this repository does, so `copy` from it moves blobs as they are
    #[arg(long, value_name = "REPO")]
    pub copy_chunker_params_from: Option<String>,
    #[command(flatten)]
    pub from: FromRepoArgs,
    /// Where chunk boundaries fall: `container` (cut between a photo's or video's metadata
    /// and its image data first, so metadata edits cost kilobytes) or `plain` (FastCDC over
    /// the whole file, as repositories made before 0.3). Default: container, or the
    /// source's with --copy-chunker-params-from
    #[arg(long, value_name = "SCHEME")]
    pub chunking: Option<photovault_core::chunk::ChunkingScheme>,
    /// Target pack file size in MiB
    #[arg(long, default_value_t = 16)]
    pub pack_size: u32,
    /// Argon2id memory in KiB for the first key
    #[arg(long, default_value_t = 65536)]
    pub kdf_memory: u32,
    /// Argon2id passes for the first key
    #[arg(long, default_value_t = 3)]
    pub kdf_iterations: u32,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Files and folders to back up
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Add a tag to the snapshot (repeatable)
    #[arg(long = "tag")]
    pub tags: Vec<String>,
    /// Host name to record (default: this machine's)
    #[arg(long)]
    pub host: Option<String>,
    /// Exclude paths matching this pattern (repeatable; `*.tmp`, `/abs/path/**`)
    #[arg(short = 'e', long = "exclude")]
    pub excludes: Vec<String>,
    /// Compare against this snapshot instead of the latest of the same host and paths
    #[arg(long)]
    pub parent: Option<String>,
    /// Read every file, ignoring the parent snapshot
    #[arg(long)]
    pub force: bool,
    /// Worker threads (default: one per CPU)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Record this snapshot time instead of now (RFC 3339, or "YYYY-MM-DD HH:MM:SS" local time)
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    /// Read unchanged files again and compare them with the parent snapshot (catches damage
    /// on the source disk: exit code 15)
    #[arg(long)]
    pub verify_unchanged: bool,
    /// Read this percentage of the unchanged files again on each run; successive runs read
    /// different files, so all are read within 100/PERCENT runs
    #[arg(
        long,
        value_name = "PERCENT",
        conflicts_with = "verify_unchanged",
        value_parser = percent
    )]
    pub verify_unchanged_fraction: Option<f64>,
    /// Say so (exit code 14) when more than this percentage of the parent snapshot's files
    /// are gone or truncated to zero bytes
    #[arg(long, value_name = "PERCENT", default_value_t = 10.0, value_parser = percent)]
    pub mass_deletion_threshold: f64,
    /// Store no thumbnails of new photos and videos (`pvault thumbnails` adds them later)
    #[arg(long)]
    pub no_thumbnails: bool,
}

/// A percentage from 0 to 100.
fn percent(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("'{text}' is not a number: give a percentage such as 10"))?;
    if (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{text} is not between 0 and 100"))
    }
}
