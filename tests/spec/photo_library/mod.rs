//! A photo library as it lives: reorganised, rotting, disappearing, hard-linked, and dated
//! by the files beside its photos and by the many places phones and cameras write dates.

mod capture_dates;
mod hard_links;
mod mass_deletion;
mod moves;
mod source_damage;

use std::fs;
use std::path::Path;
use std::time::SystemTime;

/// Sets a file's mtime; the kernel sets its ctime to now.
pub fn set_mtime(path: &Path, mtime: SystemTime) {
    let file = fs::File::options().write(true).open(path).unwrap();
    file.set_times(fs::FileTimes::new().set_modified(mtime))
        .unwrap();
}

/// A JSON field as u64, or a panic naming the document.
pub fn u64_of(doc: &serde_json::Value, field: &str) -> u64 {
    doc[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no {field} in {doc}"))
}
