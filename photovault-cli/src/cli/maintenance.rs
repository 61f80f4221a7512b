//! Commands that keep a repository sound: `forget`, `prune`, `check`, `repair`, `key`,
//! `unlock`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::SnapshotFilterArgs;

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
