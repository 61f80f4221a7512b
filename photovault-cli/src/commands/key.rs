//! `pvault key list|add|remove|passwd`

use photovault_core::KdfParams;
use serde_json::json;

use crate::cli::KeyCommand;
use crate::{password, CliError, Context};

pub fn run(ctx: &Context, cmd: KeyCommand) -> Result<u8, CliError> {
    let repo = ctx.open()?;
    match cmd {
        KeyCommand::List => {
            let keys = repo.keys()?;
            if ctx.global.json {
                println!("{}", serde_json::to_string(&keys).expect("keys serialize"));
            } else {
                println!(" {:<10} {:<12} {:<20} Created", "ID", "User", "Host");
                for k in keys {
                    println!(
                        "{}{:<10} {:<12} {:<20} {}",
                        if k.current { "*" } else { " " },
                        k.id.short(),
                        crate::terminal::safe(&k.username),
                        crate::terminal::safe(&k.hostname),
                        k.created
                    );
                }
            }
        }
        KeyCommand::Add(args) => {
            let new = password::new_password(args.new_password_file.as_deref())?;
            let id = repo.add_key(&new, kdf(args.kdf_memory, args.kdf_iterations))?;
            report(
                ctx,
                "key_added",
                &id.to_hex(),
                &format!("saved new key {}", id.short()),
            );
        }
        KeyCommand::Remove { id } => {
            let removed = repo.remove_key(&id)?;
            report(
                ctx,
                "key_removed",
                &removed.to_hex(),
                &format!("removed key {}", removed.short()),
            );
        }
        KeyCommand::Passwd(args) => {
            let new = password::new_password(args.new_password_file.as_deref())?;
            let id = repo.change_password(&new, kdf(args.kdf_memory, args.kdf_iterations))?;
            report(
                ctx,
                "password_changed",
                &id.to_hex(),
                &format!("password changed; new key {}", id.short()),
            );
        }
    }
    Ok(0)
}

fn kdf(memory_kib: u32, iterations: u32) -> KdfParams {
    KdfParams {
        memory_kib,
        iterations,
        parallelism: 1,
    }
}

fn report(ctx: &Context, kind: &str, id: &str, text: &str) {
    if ctx.global.json {
        crate::print_json(&json!({"message_type": kind, "id": id}));
    } else if !ctx.global.quiet {
        println!("{text}");
    }
}
