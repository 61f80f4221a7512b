//! `pvault init`

use photovault_core::{InitOptions, KdfParams, Repository};
use serde_json::json;

use crate::cli::InitArgs;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: InitArgs) -> Result<u8, CliError> {
    let source = match &args.copy_chunker_params_from {
        Some(location) => Some(ctx.open_source(location, args.from.from_password_file.as_deref())?),
        None => None,
    };
    let backend = ctx.backend()?;
    let password = ctx.password(true)?;
    let mut options = InitOptions::default()
        .kdf(KdfParams {
            memory_kib: args.kdf_memory,
            iterations: args.kdf_iterations,
            parallelism: 1,
        })
        .open_options(ctx.open_options());
    options = options.pack_size(args.pack_size.saturating_mul(1 << 20));
    if let Some(source) = &source {
        options = options.chunker_params_from(source);
    }
    if let Some(scheme) = args.chunking {
        if source.is_some() && scheme != options.chunking {
            return Err(CliError::usage(format!(
                "--chunking {scheme} differs from the source's {}: copy could not move blobs as they are; leave --chunking out",
                options.chunking
            )));
        }
        options = options.chunking(scheme);
    }
    let repo = Repository::init(backend, &password, &options)?;
    let id = &repo.config().id;
    if ctx.global.json {
        crate::print_json(
            &json!({"message_type": "initialized", "id": id, "repository": repo.location(), "chunking": repo.config().chunking.name()}),
        );
    } else if !ctx.global.quiet {
        println!(
            "created photovault repository {} at {}",
            &id[..10],
            repo.location()
        );
        println!();
        println!("Keep the password safe: without it the repository cannot be read by anyone, you included.");
    }
    Ok(0)
}
