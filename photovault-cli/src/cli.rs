//! The command line, as clap sees it. Flags follow restic's where restic has one.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// pvault: encrypted, deduplicated backups of photo and video libraries.
#[derive(Debug, Parser)]
#[command(name = "pvault", version, about, long_about = None, disable_version_flag = false, after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Shown after `pvault --help`.
const EXAMPLES: &str = "\
Examples:
  pvault -r /mnt/usb/photos init                 create a repository
  pvault -r /mnt/usb/photos backup ~/Pictures    back up a folder
  pvault -r /mnt/usb/photos snapshots            list what is there
  pvault -r /mnt/usb/photos restore latest:/home/me/Pictures --target ~/restored
  pvault -P photos profile check                 validate ~/.config/photovault/photos.toml
  pvault -P photos run                           back up, copy, thin, verify: the whole routine
  pvault -P photos status                        is every photo in 3 copies, 2 media, 1 off-site?
  pvault -P photos --repo-name cloud snapshots   any command, on a repository of the profile
  pvault schedule install photos --every daily   run the routine every day (systemd or cron)";

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Use a profile's repository: a name ($XDG_CONFIG_HOME/photovault/NAME.toml) or a
    /// path; its primary unless --repo-name says otherwise (overrides -r)
    #[arg(
        short = 'P',
        long = "profile",
        env = "PVAULT_PROFILE",
        global = true,
        value_name = "NAME|PATH"
    )]
    pub profile: Option<String>,
    /// With --profile: the repository of the profile to use (default: its primary)
    #[arg(long, global = true, value_name = "NAME")]
    pub repo_name: Option<String>,
    /// Repository location: a folder, sftp:user@host:/path, s3:https://host/bucket[/prefix],
    /// webdav:https://host/path, or opendal:SERVICE
    #[arg(short = 'r', long = "repo", env = "PVAULT_REPOSITORY", global = true)]
    pub repo: Option<String>,
    /// Backend option KEY=VALUE, repeatable: connections=N, s3.region=R,
    /// s3.bucket-lookup=path|dns, s3.storage-class=C, sftp.key=FILE,
    /// sftp.known-hosts=strict|accept|add, opendal.KEY=VALUE (VALUE env:NAME reads $NAME)
    #[arg(short = 'o', long = "option", global = true, value_name = "KEY=VALUE")]
    pub options: Vec<String>,
    /// Read the password from this file (first line)
    #[arg(long, env = "PVAULT_PASSWORD_FILE", global = true)]
    pub password_file: Option<PathBuf>,
    /// Print JSON lines instead of text
    #[arg(long, global = true)]
    pub json: bool,
    /// Print nothing but errors (and what a command is asked to print, like ids)
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Base folder of the local cache (default: $XDG_CACHE_HOME/photovault)
    #[arg(long, env = "PVAULT_CACHE_DIR", global = true)]
    pub cache_dir: Option<PathBuf>,
    /// Keep the index cache in memory only
    #[arg(long, global = true)]
    pub no_cache: bool,
    /// Read without taking a lock (restore, check, mount), for a repository on read-only media
    #[arg(long, global = true)]
    pub no_lock: bool,
    /// Try key files asking for at most this much Argon2id memory, in KiB (default 1 GiB)
    #[arg(
        long,
        env = "PVAULT_KDF_LIMIT_MEMORY",
        global = true,
        value_name = "KIB"
    )]
    pub kdf_limit_memory: Option<u32>,
    /// Try key files asking for at most this many Argon2id passes (default 16)
    #[arg(
        long,
        env = "PVAULT_KDF_LIMIT_ITERATIONS",
        global = true,
        value_name = "N"
    )]
    pub kdf_limit_iterations: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new repository
    Init(InitArgs),
    /// Back up files and folders into a new snapshot
    Backup(BackupArgs),
    /// List snapshots
    Snapshots(SnapshotsArgs),
    /// Remove snapshots: named ones, or those a retention policy does not keep
    Forget(Box<ForgetArgs>),
    /// List the files in a snapshot
    Ls(LsArgs),
    /// Restore a snapshot, or a folder or file of it
    Restore(RestoreArgs),
    /// Show what changed between two snapshots
    Diff(DiffArgs),
    /// Find files and folders by name across snapshots, or blobs and trees by id
    Find(FindArgs),
    /// Count what snapshots hold and what the repository stores
    Stats(StatsArgs),
    /// Add, remove or replace the tags of snapshots
    Tag(TagArgs),
    /// Write a file of a snapshot to stdout, or a folder as a tar archive
    Dump(DumpArgs),
    /// Check the repository's integrity (--read-data to verify every blob)
    Check(CheckArgs),
    /// Compare local originals with a snapshot by hashing them locally (finds bit rot)
    VerifySource(VerifySourceArgs),
    /// Add the missing thumbnails of photos and videos to snapshots (made from the stored
    /// content; for snapshots made with --no-thumbnails or before thumbnails existed)
    Thumbnails(ThumbnailsArgs),
    /// Browse snapshots as read-only folders (FUSE), with a photo timeline
    Mount(MountArgs),
    /// Serve a web page to browse, view, play, download and restore photos of snapshots
    Serve(ServeArgs),
    /// Copy snapshots from another repository into this one
    Copy(CopyArgs),
    /// Remove data no snapshot uses any more (after `forget`)
    Prune(PruneArgs),
    /// Repair a damaged repository
    #[command(subcommand)]
    Repair(RepairCommand),
    /// Print a repository object as JSON
    Cat(CatArgs),
    /// Manage passwords (key files)
    #[command(subcommand)]
    Key(KeyCommand),
    /// Remove stale locks
    Unlock(UnlockArgs),
    /// Do a profile's whole routine: back up, copy, apply retention, prune, verify
    Run(RunArgs),
    /// Is every file of a profile safe? Copies, media and off-site copies (3-2-1)
    Status(StatusArgs),
    /// Check profiles
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Run a profile's routine on a timer (systemd user units, or cron)
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completion {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `pvault man > pvault.1`
    Man,
    /// Print version information
    Version,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Worker threads for the backup (default: one per CPU)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Send no alerts for this run
    #[arg(long)]
    pub no_alerts: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// List at most this many files with too few copies (--json lists all)
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Send no alerts
    #[arg(long)]
    pub no_alerts: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Validate a profile and open every repository (reading only; nothing is changed)
    Check {
        /// Profile name or path (default: --profile)
        profile: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Install and start a timer that runs `pvault -P PROFILE run`
    Install {
        /// Profile name or path (default: --profile)
        profile: Option<String>,
        /// daily, hourly, or five cron fields ("30 2 * * *")
        #[arg(long, default_value = "daily")]
        every: String,
        /// Write a crontab line instead of systemd units
        #[arg(long)]
        cron: bool,
        /// Write the units but do not ask systemctl to enable them
        #[arg(long)]
        no_activate: bool,
    },
    /// Stop and remove the timer of a profile
    Remove {
        /// Profile name or path (default: --profile)
        profile: Option<String>,
    },
    /// Show the installed schedule and the last run's result
    Show {
        /// Profile name or path (default: --profile)
        profile: Option<String>,
    },
}

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

/// `pvault forget`. Counts and durations are parsed by the command, so that a bad value is
/// a usage error with exit code 1 and a message saying what is accepted.
#[derive(Debug, Args)]
pub struct ForgetArgs {
    /// Snapshot ids, unique prefixes or `latest` to remove (no --keep-* then)
    pub snapshots: Vec<String>,
    /// Keep the last N snapshots (N or `unlimited`)
    #[arg(short = 'l', long, value_name = "N", allow_hyphen_values = true)]
    pub keep_last: Option<String>,
    /// Keep the newest snapshot of each of the last N hours that have snapshots
    #[arg(short = 'H', long, value_name = "N", allow_hyphen_values = true)]
    pub keep_hourly: Option<String>,
    /// Keep the newest snapshot of each of the last N days that have snapshots
    #[arg(short = 'd', long, value_name = "N", allow_hyphen_values = true)]
    pub keep_daily: Option<String>,
    /// Keep the newest snapshot of each of the last N ISO weeks that have snapshots
    #[arg(short = 'w', long, value_name = "N", allow_hyphen_values = true)]
    pub keep_weekly: Option<String>,
    /// Keep the newest snapshot of each of the last N months that have snapshots
    #[arg(short = 'm', long, value_name = "N", allow_hyphen_values = true)]
    pub keep_monthly: Option<String>,
    /// Keep the newest snapshot of each of the last N years that have snapshots
    #[arg(short = 'y', long, value_name = "N", allow_hyphen_values = true)]
    pub keep_yearly: Option<String>,
    /// Keep snapshots newer than DURATION (like 1y2m3d4h) before the group's newest
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub keep_within: Option<String>,
    /// Keep hourly snapshots within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub keep_within_hourly: Option<String>,
    /// Keep daily snapshots within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub keep_within_daily: Option<String>,
    /// Keep weekly snapshots within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub keep_within_weekly: Option<String>,
    /// Keep monthly snapshots within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub keep_within_monthly: Option<String>,
    /// Keep yearly snapshots within DURATION of the group's newest
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub keep_within_yearly: Option<String>,
    /// Keep snapshots with these tags (`a,b`: both; repeatable: any of the groups)
    #[arg(long = "keep-tag", value_name = "TAG[,TAG...]")]
    pub keep_tags: Vec<String>,
    /// Apply the policy to each group of snapshots sharing these (host, paths, tags; '' for one group)
    #[arg(
        short = 'g',
        long,
        default_value = "host,paths",
        value_name = "host,paths,tags"
    )]
    pub group_by: String,
    #[command(flatten)]
    pub filter: SnapshotFilterArgs,
    /// Only show what would be kept and removed, and why
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Allow removing every snapshot (no policy, or a policy that keeps nothing of a group)
    #[arg(long)]
    pub unsafe_allow_remove_all: bool,
    /// Remove snapshots even when they are the last to hold some files
    #[arg(long)]
    pub allow_last_copy_loss: bool,
    /// Prune right after removing the snapshots
    #[arg(long)]
    pub prune: bool,
    /// With --prune: unused data tolerated in kept packs (5%, 2G or unlimited)
    #[arg(long, default_value = "5%", value_name = "LIMIT", requires = "prune")]
    pub max_unused: String,
    /// With --prune: rewrite at most this many bytes of packs
    #[arg(long, value_name = "SIZE", requires = "prune")]
    pub max_repack_size: Option<String>,
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
pub struct CheckArgs {
    /// Also read and verify every pack
    #[arg(long)]
    pub read_data: bool,
    /// Read only a subset: N/M (slice N of M), P% (random sample) or a size (e.g. 2G)
    #[arg(long, value_name = "SUBSET")]
    pub read_data_subset: Option<String>,
    /// Worker threads (default: four per CPU, at most 32)
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, Args, Clone)]
pub struct PruneArgs {
    /// Only show what would be deleted and rewritten
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Unused data tolerated in kept packs: a percentage of the repository (5%), a size (2G) or `unlimited`
    #[arg(long, default_value = "5%", value_name = "LIMIT")]
    pub max_unused: String,
    /// Rewrite at most this many bytes of packs in one run (e.g. 10G)
    #[arg(long, value_name = "SIZE")]
    pub max_repack_size: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum RepairCommand {
    /// Rebuild the index from the pack headers
    Index,
    /// Rewrite damaged packs without their damaged blobs (default: those `check --read-data` finds)
    Packs {
        /// Pack ids (full)
        packs: Vec<String>,
    },
    /// Rewrite snapshots that reference lost data, keeping everything intact
    Snapshots {
        /// Only show what would change
        #[arg(long)]
        dry_run: bool,
        /// Remove the original snapshots once repaired
        #[arg(long)]
        forget: bool,
    },
}

#[derive(Debug, Args)]
pub struct CatArgs {
    /// `config` or `snapshot`
    pub what: String,
    /// Snapshot id (for `snapshot`)
    pub id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// List the repository's keys
    List,
    /// Add a password
    Add(NewPasswordArgs),
    /// Remove a key by id prefix
    Remove {
        /// Key id or unique prefix
        id: String,
    },
    /// Change the password of the key in use
    Passwd(NewPasswordArgs),
}

#[derive(Debug, Args)]
pub struct NewPasswordArgs {
    /// Read the new password from this file
    #[arg(long)]
    pub new_password_file: Option<PathBuf>,
    /// Argon2id memory in KiB
    #[arg(long, default_value_t = 65536)]
    pub kdf_memory: u32,
    /// Argon2id passes
    #[arg(long, default_value_t = 3)]
    pub kdf_iterations: u32,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Remove all locks, not only stale ones
    #[arg(long)]
    pub remove_all: bool,
}
