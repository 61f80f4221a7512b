//! `pvault dump SNAPSHOT PATH [--target FILE]`

use std::fs::File;
use std::io::{BufWriter, Write};

use photovault_core::ArchiveFormat;

use crate::cli::DumpArgs;
use crate::terminal::safe;
use crate::{CliError, Context};

/// Big enough that writing to a pipe costs few system calls.
const OUTPUT_BUFFER: usize = 1 << 20;

pub fn run(ctx: &Context, args: DumpArgs) -> Result<u8, CliError> {
    let format = match args.archive.as_str() {
        "tar" => ArchiveFormat::Tar,
        other => {
            return Err(CliError::usage(format!(
                "--archive {other}: only tar is supported"
            )))
        }
    };
    let repo = ctx.open_indexed()?;
    let entry = repo.find_snapshot(&args.snapshot)?;
    let mut out: Box<dyn Write> = match &args.target {
        Some(path) => Box::new(BufWriter::with_capacity(
            OUTPUT_BUFFER,
            File::create(path)
                .map_err(|e| CliError::usage(format!("--target {}: {e}", path.display())))?,
        )),
        None => Box::new(BufWriter::with_capacity(
            OUTPUT_BUFFER,
            std::io::stdout().lock(),
        )),
    };
    let outcome = repo.dump(&entry.snapshot, &args.path, format, &mut out)?;
    for skipped in &outcome.skipped {
        eprintln!(
            "warning: {} left out: its name is not a safe file name",
            safe(skipped)
        );
    }
    Ok(0)
}
