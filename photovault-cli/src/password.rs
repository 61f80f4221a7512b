//! Where the password comes from: `--password-file`/`PVAULT_PASSWORD_FILE`,
//! `PVAULT_PASSWORD`, or a prompt on a terminal.

use std::io::IsTerminal;
use std::path::Path;

use crate::CliError;

/// The repository password.
pub fn repository_password(file: Option<&Path>, confirm: bool) -> Result<Vec<u8>, CliError> {
    if let Some(file) = file {
        return read_password_file(file);
    }
    if let Ok(p) = std::env::var("PVAULT_PASSWORD") {
        return Ok(p.into_bytes());
    }
    prompt("enter password for repository: ", confirm)
}

/// The password of the repository copied from (`copy`, `init --copy-chunker-params-from`):
/// `--from-password-file`/`PVAULT_FROM_PASSWORD_FILE`, `PVAULT_FROM_PASSWORD`, or a prompt.
pub fn source_password(file: Option<&Path>) -> Result<Vec<u8>, CliError> {
    if let Some(file) = file {
        return read_password_file(file);
    }
    if let Ok(p) = std::env::var("PVAULT_FROM_PASSWORD") {
        return Ok(p.into_bytes());
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "no password given for the source repository: set PVAULT_FROM_PASSWORD or PVAULT_FROM_PASSWORD_FILE, or use --from-password-file".into(),
        ));
    }
    prompt("enter password for source repository: ", false)
}

/// A new password (key add / passwd).
pub fn new_password(file: Option<&Path>) -> Result<Vec<u8>, CliError> {
    match file {
        Some(file) => read_password_file(file),
        None => prompt("enter new password: ", true),
    }
}

fn read_password_file(file: &Path) -> Result<Vec<u8>, CliError> {
    let text = std::fs::read(file).map_err(|e| {
        CliError::usage(format!("cannot read password file {}: {e}", file.display()))
    })?;
    let line = text.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(line.strip_suffix(b"\r").unwrap_or(line).to_vec())
}

fn prompt(message: &str, confirm: bool) -> Result<Vec<u8>, CliError> {
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(
            "no password given: set PVAULT_PASSWORD or PVAULT_PASSWORD_FILE, or use --password-file".into(),
        ));
    }
    let first = rpassword::prompt_password(message)
        .map_err(|e| CliError::usage(format!("cannot read password: {e}")))?;
    if confirm {
        let second = rpassword::prompt_password("enter password again: ")
            .map_err(|e| CliError::usage(format!("cannot read password: {e}")))?;
        if first != second {
            return Err(CliError::usage("passwords do not match".into()));
        }
    }
    Ok(first.into_bytes())
}
