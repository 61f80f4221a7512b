//! `pvault ls`

use photovault_core::NodeKind;
use serde_json::json;

use crate::cli::LsArgs;
use crate::terminal::safe;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: LsArgs) -> Result<u8, CliError> {
    let repo = ctx.open_indexed()?;
    let entry = repo.find_snapshot(&args.snapshot)?;
    if ctx.global.json {
        let mut head = super::snapshot_json(&entry.id, &entry.snapshot);
        head["message_type"] = json!("snapshot");
        crate::print_json(&head);
    }
    let path = args.path.as_deref().unwrap_or("/");
    repo.ls(&entry.snapshot, path, &mut |e| {
        let n = &e.node;
        let kind = match n.kind {
            NodeKind::File => "file",
            NodeKind::Dir => "dir",
            NodeKind::Symlink => "symlink",
        };
        let mtime = chrono::DateTime::from_timestamp(n.mtime.secs, n.mtime.nanos).unwrap_or_default();
        if ctx.global.json {
            crate::print_json(&json!({
                "message_type": "node",
                "path": e.path.display().to_string(),
                "name": n.display_name(),
                "type": kind,
                "size": n.size,
                "mode": n.mode,
                "uid": n.uid,
                "gid": n.gid,
                "mtime": mtime.to_rfc3339(),
                "link_target": n.link_target.as_ref().map(|t| String::from_utf8_lossy(t).into_owned()),
                "media": n.media,
                "blobs": n.content.len(),
                "unsafe_name": n.name_problem(),
            }));
        } else if let Some(problem) = n.name_problem() {
            println!("{}  [unsafe name ({problem}): restore skips it]", safe(&e.path.display().to_string()));
        } else if args.long {
            println!("{:>7o} {:>12} {} {}", n.mode & 0o7777, n.size, mtime.format("%Y-%m-%d %H:%M:%S"), safe(&e.path.display().to_string()));
        } else {
            println!("{}", safe(&e.path.display().to_string()));
        }
    })?;
    Ok(0)
}
