//! `pvault mount`: serves the mount until Ctrl-C, SIGTERM or an unmount from outside.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use photovault_core::MountOptions;
use serde_json::json;

use crate::cli::MountArgs;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: MountArgs) -> Result<u8, CliError> {
    let repo = ctx.open_indexed()?;
    let mut options = MountOptions::default()
        .cache_size(args.cache_size.saturating_mul(1 << 20))
        .allow_other(args.allow_other);
    if let Some(spec) = args.snapshot {
        options = options.snapshot(spec);
    }
    // Before mounting, so that a signal arriving during the mount still unmounts.
    let (stop, stopped) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop.send(());
    })
    .map_err(|e| CliError::usage(format!("cannot handle Ctrl-C: {e}")))?;
    let handle = repo.mount_background(&args.mountpoint, &options)?;
    let shown = args.mountpoint.display();
    if ctx.global.json {
        crate::print_json(&json!({"message_type": "mounted", "mountpoint": shown.to_string()}));
    } else if !ctx.global.quiet {
        println!(
            "mounted {} at {shown}; Ctrl-C (or `fusermount3 -u {shown}`) unmounts",
            repo.location()
        );
    }
    loop {
        match stopped.recv_timeout(Duration::from_millis(200)) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => {
                handle.unmount()?;
                break;
            }
            Err(RecvTimeoutError::Timeout) if !handle.is_mounted() => {
                handle.wait()?;
                break;
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
    if ctx.verbose() {
        println!("unmounted {shown}");
    }
    Ok(0)
}
