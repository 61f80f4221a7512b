//! Zip archives of a selection, written as they are read: each file is copied blob range
//! by blob range into a streaming zip writer (entries stored, not compressed: photos and
//! videos are compressed already), so nothing is held whole in memory or on disk.

use std::io::Write;

use chrono::{Datelike, Timelike};

use super::error::ServeError;
use super::selection::Selected;
use crate::browse::Browser;

/// Bytes read from the repository per step.
const STEP: usize = 1 << 20;

/// Writes a zip archive of `files` to `out`; returns the bytes of file content written.
/// An error (a damaged blob, the reader gone) stops the archive where it is: a client
/// sees a truncated, invalid zip, never a zip with a wrong file in it.
pub fn write_zip<W: Write>(
    browser: &Browser,
    files: &[Selected],
    out: W,
) -> Result<u64, ServeError> {
    let mut zip = ::zip::ZipWriter::new_stream(out);
    let mut total = 0u64;
    for file in files {
        let node = &file.node;
        let time = chrono::DateTime::from_timestamp(node.mtime.secs, 0).unwrap_or_default();
        let mut options = ::zip::write::SimpleFileOptions::default()
            .compression_method(::zip::CompressionMethod::Stored)
            .large_file(node.size >= u64::from(u32::MAX))
            .unix_permissions(node.mode & 0o777);
        if let Ok(t) = ::zip::DateTime::from_date_and_time(
            time.year().clamp(1980, 2107) as u16,
            time.month() as u8,
            time.day() as u8,
            time.hour() as u8,
            time.minute() as u8,
            time.second() as u8,
        ) {
            options = options.last_modified_time(t);
        }
        zip.start_file(file.archive_name.as_str(), options)
            .map_err(zip_error)?;
        let open = browser.open(node)?;
        let mut offset = 0u64;
        while offset < open.size() {
            let bytes = open.read_at(offset, STEP)?;
            if bytes.is_empty() {
                break;
            }
            zip.write_all(&bytes).map_err(io_error)?;
            offset += bytes.len() as u64;
        }
        total += offset;
    }
    zip.finish().map_err(zip_error)?;
    Ok(total)
}

fn zip_error(e: ::zip::result::ZipError) -> ServeError {
    ServeError::BadRequest(format!("writing the zip archive: {e}"))
}

fn io_error(e: std::io::Error) -> ServeError {
    ServeError::BadRequest(format!("writing the zip archive: {e}"))
}
