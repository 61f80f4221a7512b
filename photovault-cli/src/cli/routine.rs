//! The routine's commands: `run`, `status`, `profile` and `schedule`.

use clap::{Args, Subcommand};

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
