//! `pvault unlock`

use crate::cli::UnlockArgs;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: UnlockArgs) -> Result<u8, CliError> {
    let repo = ctx.open()?;
    let removed = repo.unlock(args.remove_all)?;
    if !ctx.global.quiet {
        println!("removed {removed} lock(s)");
    }
    Ok(0)
}
