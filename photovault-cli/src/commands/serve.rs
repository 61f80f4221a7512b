//! `pvault serve`: the web viewer, until Ctrl-C or SIGTERM.

use std::sync::mpsc;

use photovault_serve::ServeOptions;
use serde_json::json;

use crate::cli::ServeArgs;
use crate::{CliError, Context};

/// The viewer's own password: `--serve-password-file`, else `PVAULT_SERVE_PASSWORD`.
fn serve_password(args: &ServeArgs) -> Result<Option<String>, CliError> {
    if let Some(file) = &args.serve_password_file {
        let text = std::fs::read_to_string(file).map_err(|e| {
            CliError::usage(format!(
                "cannot read the password file {}: {e}",
                file.display()
            ))
        })?;
        let password = text.lines().next().unwrap_or("").to_string();
        if password.is_empty() {
            return Err(CliError::usage(format!(
                "{} holds no password",
                file.display()
            )));
        }
        return Ok(Some(password));
    }
    Ok(std::env::var("PVAULT_SERVE_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty()))
}

pub fn run(ctx: &Context, args: ServeArgs) -> Result<u8, CliError> {
    let mut options = ServeOptions::default()
        .listen(args.listen)
        .cache_size(args.cache_size.saturating_mul(1 << 20));
    if let Some(spec) = &args.snapshot {
        options = options.snapshot(spec.clone());
    }
    if let Some(password) = serve_password(&args)? {
        options = options.password(password);
    }
    // Refuse a bad address before asking for the repository's password.
    photovault_serve::Access::new(&options).map_err(|e| CliError::usage(e.to_string()))?;
    let repo = ctx.open_indexed()?;
    let (stop, stopped) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop.send(());
    })
    .map_err(|e| CliError::usage(format!("cannot handle Ctrl-C: {e}")))?;
    let server = photovault_serve::start(repo, options).map_err(|e| match e {
        photovault_serve::StartError::Repository(e) => CliError::from(e),
        other => CliError::usage(other.to_string()),
    })?;
    if ctx.global.json {
        crate::print_json(
            &json!({"message_type": "serving", "url": server.url(), "address": server.address().to_string()}),
        );
    } else {
        println!("serving at {}", server.url());
        println!("(the token in this address is needed to see anything; Ctrl-C stops)");
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let _ = stopped.recv();
    server.stop();
    if ctx.verbose() {
        println!("stopped");
    }
    Ok(0)
}
