//! The command line, as clap sees it. Flags follow restic's where restic has one. This file
//! holds the global flags and the list of commands; each family's arguments live beside it.

mod maintenance;
mod reading;
mod routine;
mod storing;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use maintenance::*;
pub use reading::*;
pub use routine::*;
pub use storing::*;

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
