//! `pvault cat config|snapshot ID`

use crate::cli::CatArgs;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: CatArgs) -> Result<u8, CliError> {
    let repo = ctx.open()?;
    let value = match (args.what.as_str(), args.id.as_deref()) {
        ("config", None) => serde_json::to_value(repo.config()).expect("config serializes"),
        ("snapshot", Some(spec)) => {
            let entry = repo.find_snapshot(spec)?;
            super::snapshot_json(&entry.id, &entry.snapshot)
        }
        ("snapshot", None) => return Err(CliError::usage("usage: pvault cat snapshot ID".into())),
        (other, _) => {
            return Err(CliError::usage(format!(
                "cannot cat '{other}': use `config` or `snapshot ID`"
            )))
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&value).expect("JSON prints")
    );
    Ok(0)
}
