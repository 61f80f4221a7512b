//! How an application embeds photovault: open (or create) a repository, back up a folder,
//! list the snapshots, and restore one file.
//!
//! ```sh
//! cargo run -p photovault-core --example embed -- /tmp/example-repo ~/Pictures /tmp/example-out
//! ```
//! The password comes from `PVAULT_PASSWORD` (default "example").

use std::path::{Path, PathBuf};

use photovault_core::{
    backend, BackupOptions, BackupProgress, EntryReport, Error, NodeKind, OpenOptions, Repository,
    RestoreOptions,
};

/// An application's progress sink: here it only prints unreadable files.
struct PrintErrors;

impl BackupProgress for PrintErrors {
    fn error(&self, report: &EntryReport) {
        eprintln!("could not back up {report}");
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(repo_path), Some(folder), Some(out)) = (args.next(), args.next(), args.next()) else {
        eprintln!("usage: embed REPOSITORY FOLDER OUTPUT_DIR");
        std::process::exit(2);
    };
    let password = std::env::var("PVAULT_PASSWORD").unwrap_or_else(|_| "example".into());

    // Open the repository, or create it the first time.
    let backend = backend::open_location(&repo_path)?;
    let repo = match Repository::open(
        backend.clone(),
        password.as_bytes(),
        &OpenOptions::default(),
    ) {
        Ok(repo) => repo,
        Err(Error::RepositoryNotFound { .. }) => {
            Repository::init(backend, password.as_bytes(), &Default::default())?
        }
        Err(e) => return Err(e.into()),
    };
    // Load the index once: every operation below that reads or stores blobs uses it.
    let repo = repo.to_indexed()?;

    // Back up the folder.
    let options = BackupOptions::default().tag("example");
    let outcome = repo.backup(&[PathBuf::from(&folder)], &options, &PrintErrors)?;
    let s = &outcome.summary;
    println!(
        "snapshot {}: {} files, {} new, {} changed, {} unmodified, {} bytes added",
        outcome.snapshot_id.short(),
        s.total_files,
        s.files_new,
        s.files_changed,
        s.files_unmodified,
        s.data_added
    );

    // List the snapshots.
    for entry in repo.snapshots()? {
        println!(
            "{}  {}  {}",
            entry.id.short(),
            entry.snapshot.time,
            entry.snapshot.paths.join(", ")
        );
    }

    // Find the first file of the latest snapshot and restore just that file.
    let latest = repo.find_snapshot("latest")?;
    let mut first_file = None;
    repo.ls(&latest.snapshot, "/", &mut |e| {
        if first_file.is_none() && e.node.kind == NodeKind::File {
            first_file = Some(e.path.clone());
        }
    })?;
    if let Some(file) = first_file {
        let restored = repo.restore(
            &latest.snapshot,
            &file.to_string_lossy(),
            Path::new(&out),
            &RestoreOptions::default(),
            &(),
        )?;
        println!(
            "restored {} ({} bytes) into {out}",
            file.display(),
            restored.bytes
        );
    }
    Ok(())
}
