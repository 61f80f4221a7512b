//! `pvault stats [SNAPSHOT...] [--mode MODE]`

use photovault_core::{BlobTotals, StatsMode};

use crate::cli::StatsArgs;
use crate::progress::bytes;
use crate::{CliError, Context};

pub fn run(ctx: &Context, args: StatsArgs) -> Result<u8, CliError> {
    let mode: StatsMode = args
        .mode
        .parse()
        .map_err(|e: photovault_core::Error| CliError::usage(format!("--mode: {e}")))?;
    let repo = ctx.open_indexed()?;
    let snapshots = repo.select_snapshots(&args.snapshots, &args.filter.filter())?;
    let stats = repo.stats(&snapshots, mode)?;
    if ctx.global.json {
        crate::print_json(&serde_json::to_value(&stats).expect("stats serialize"));
        return Ok(0);
    }
    let s = &stats.snapshots;
    println!("Stats in {} mode:", args.mode);
    println!("  Snapshots processed:  {}", s.snapshots);
    if let Some(files) = s.total_file_count {
        println!("  Total file count:     {files}");
    }
    if let Some(blobs) = s.total_blob_count {
        println!("  Total blob count:     {blobs}");
    }
    println!("  Total size:           {}", bytes(s.total_size));
    println!(
        "  Restore size:         {} in {} files",
        bytes(s.restore_size),
        s.files
    );
    println!(
        "  Distinct contents:    {} in {} files",
        bytes(s.distinct_contents_size),
        s.distinct_contents
    );
    println!("  Data blobs:           {}", blob_line(&s.data_blobs));
    println!("  Tree blobs:           {}", blob_line(&s.tree_blobs));
    println!("  Deduplication ratio:  {:.2}x", s.dedup_ratio);
    if s.missing_blobs > 0 {
        println!(
            "  Missing blobs:        {} (run `pvault check`)",
            s.missing_blobs
        );
    }
    let r = &stats.repository;
    println!("Repository:");
    println!(
        "  Packs:                {} ({})",
        r.packs,
        bytes(r.pack_bytes)
    );
    println!("  Data blobs:           {}", blob_line(&r.data_blobs));
    println!("  Tree blobs:           {}", blob_line(&r.tree_blobs));
    println!("  Thumbnails:           {}", blob_line(&r.thumbnail_blobs));
    println!("  Compression ratio:    {:.2}x", r.compression_ratio);
    Ok(0)
}

fn blob_line(t: &BlobTotals) -> String {
    format!(
        "{} ({} plaintext, {} stored)",
        t.count,
        bytes(t.plaintext),
        bytes(t.stored)
    )
}
