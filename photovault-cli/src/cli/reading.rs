//! Commands that read snapshots: listing, finding, comparing, restoring, mounting, serving.

use std::path::PathBuf;

use clap::Args;

/// Which snapshots a command works on (restic's `--host`, `--tag`, `--path`).
#[derive(Debug, Args, Default)]
pub struct SnapshotFilterArgs {
    /// Only snapshots of this host (repeatable: any of them)
    #[arg(long = "host", value_name = "HOST")]
    pub hosts: Vec<String>,
    /// Only snapshots with these tags (`a,b`: both; repeatable: any of the groups)
    #[arg(long = "tag", value_name = "TAG[,TAG...]")]
    pub tags: Vec<String>,
    /// Only snapshots that backed up this path (repeatable: all of them)
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<String>,
}

impl SnapshotFilterArgs {
    /// The core's filter for these flags.
    pub fn filter(&self) -> photovault_core::SnapshotFilter {
        let mut filter = photovault_core::SnapshotFilter::default();
        for host in &self.hosts {
            filter = filter.host(host);
        }
        for group in &self.tags {
            filter = filter.tag_group(group);
        }
        for path in &self.paths {
            filter = filter.path(path);
        }
        filter
    }
}

#[derive(Debug, Args)]
pub struct SnapshotsArgs {
    /// Snapshot ids, unique prefixes or `latest` (default: all)
    pub snapshots: Vec<String>,
    #[command(flatten)]
    pub filter: SnapshotFilterArgs,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Snapshot id, unique prefix, or `latest`
    pub snapshot: String,
    /// Folder or file inside the snapshot
    pub path: Option<String>,
    /// Long listing: mode, size, mtime
    #[arg(short, long)]
    pub long: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier snapshot (id, unique prefix, or `latest`)
    pub snapshot1: String,
    /// The later snapshot
    pub snapshot2: String,
    /// Compare only below this folder (or this file)
    pub path: Option<String>,
}

#[derive(Debug, Args)]
pub struct ThumbnailsArgs {
    /// Snapshots to add thumbnails to (id, unique prefix, or `latest`; default: all)
    pub snapshots: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VerifySourceArgs {
    /// Local files and folders to compare (default: the snapshot's paths)
    pub paths: Vec<PathBuf>,
    /// The snapshot to compare with (id, unique prefix, or `latest`)
    #[arg(long, default_value = "latest", value_name = "ID")]
    pub snapshot: String,
}

#[derive(Debug, Args)]
pub struct FindArgs {
    /// Name patterns (`*.jpg`; with `/`: path patterns), or ids with --blob / --tree
    #[arg(required = true)]
    pub patterns: Vec<String>,
    /// Ignore case when matching patterns
    #[arg(short = 'i', long)]
    pub ignore_case: bool,
    /// Search only this snapshot (repeatable; default: all matching the filters)
    #[arg(short = 's', long = "snapshot", value_name = "ID")]
    pub snapshots: Vec<String>,
    /// Only entries modified at or before this time (`2024-05-01`, `2024-05-01 14:30[:00]`, RFC 3339)
    #[arg(short = 'N', long, value_name = "TIME")]
    pub newest: Option<String>,
    /// Only entries modified at or after this time
    #[arg(short = 'O', long, value_name = "TIME")]
    pub oldest: Option<String>,
    /// The patterns are blob ids (at least 8 hex characters): find the files holding them
    #[arg(long, conflicts_with = "tree")]
    pub blob: bool,
    /// The patterns are tree ids (at least 8 hex characters): find the folders they are
    #[arg(long)]
    pub tree: bool,
    #[command(flatten)]
    pub filter: SnapshotFilterArgs,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Snapshot ids, unique prefixes or `latest` (default: all matching the filters)
    pub snapshots: Vec<String>,
    /// What to count: restore-size, files-by-contents, raw-data or blobs-per-file
    #[arg(long, default_value = "restore-size")]
    pub mode: String,
    #[command(flatten)]
    pub filter: SnapshotFilterArgs,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// Snapshot ids, unique prefixes or `latest` (default: all matching the filters)
    pub snapshots: Vec<String>,
    /// Add these tags (`a,b`; repeatable)
    #[arg(long, value_name = "TAG[,TAG...]")]
    pub add: Vec<String>,
    /// Remove these tags (repeatable)
    #[arg(long, value_name = "TAG[,TAG...]")]
    pub remove: Vec<String>,
    /// Replace all tags with these (repeatable; `--set ''` removes every tag)
    #[arg(long, value_name = "TAG[,TAG...]")]
    pub set: Vec<String>,
    #[command(flatten)]
    pub filter: SnapshotFilterArgs,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    /// Snapshot id, unique prefix, or `latest`
    pub snapshot: String,
    /// The file or folder inside the snapshot (`/`: everything)
    pub path: String,
    /// Archive format for a folder
    #[arg(short = 'a', long, default_value = "tar", value_parser = ["tar"])]
    pub archive: String,
    /// Write to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// SNAPSHOT or SNAPSHOT:SUBPATH (the folder's content goes into the target)
    pub snapshot: String,
    /// Folder to restore into
    #[arg(short, long)]
    pub target: PathBuf,
    /// Only restore paths matching this pattern (repeatable)
    #[arg(short, long = "include")]
    pub include: Vec<String>,
    /// When to replace a file already in the target: always, if-changed (content differs), if-newer, never
    #[arg(long, default_value = "if-changed", value_name = "WHEN")]
    pub overwrite: String,
    /// Remove files and folders in the target that the snapshot does not have
    #[arg(long)]
    pub delete: bool,
    /// Show what would be written, left alone and deleted; change nothing
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Read every written file back and compare it with the snapshot
    #[arg(long)]
    pub verify: bool,
    /// Worker threads (default: two per CPU)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, Args)]
pub struct MountArgs {
    /// Existing folder to mount on
    pub mountpoint: PathBuf,
    /// Snapshot whose photos timeline/ shows (id, prefix or `latest`; default the newest)
    #[arg(long)]
    pub snapshot: Option<String>,
    /// Memory for decrypted data, in MiB (at least 16)
    #[arg(long, default_value_t = 256)]
    pub cache_size: u64,
    /// Let other users see the mount (permissions in the snapshot still apply)
    #[arg(long)]
    pub allow_other: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; anything but loopback needs a password
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Show only this snapshot (id, prefix or `latest`; default: all)
    #[arg(long)]
    pub snapshot: Option<String>,
    /// File holding a password the browser asks for, as well as the URL's token
    /// (or PVAULT_SERVE_PASSWORD)
    #[arg(long, env = "PVAULT_SERVE_PASSWORD_FILE")]
    pub serve_password_file: Option<PathBuf>,
    /// Memory for decrypted data, in MiB (at least 16)
    #[arg(long, default_value_t = 128)]
    pub cache_size: u64,
}

#[derive(Debug, Args)]
pub struct CatArgs {
    /// `config` or `snapshot`
    pub what: String,
    /// Snapshot id (for `snapshot`)
    pub id: Option<String>,
}
