//! `pvault unlock`

use crate::cli::UnlockArgs;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: UnlockArgs) -> Result<u8, CliError> {
    let repo = ctx.open()?;
    let which = if args.remove_all {
        photovault_core::Unlock::All
    } else {
        photovault_core::Unlock::Stale
    };
    let removed = repo.unlock(which)?;
    if !ctx.global.quiet {
        println!("removed {removed} lock(s)");
    }
    Ok(0)
}
