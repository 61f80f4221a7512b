//! `stats` counts what snapshots hold in restic's four modes, and what the repository
//! stores, to the byte on known files.

use std::fs;

use crate::support::*;

/// Two snapshots of `x.bin` (100,000 random bytes), `y.bin` (a copy) and `z.bin` (50,000
/// other random bytes).
fn two_snapshots_of_a_copy() -> (Scratch, std::path::PathBuf) {
    let s = Scratch::with_repo();
    let src = s.path("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("x.bin"), random_bytes(100_000, 3)).unwrap();
    fs::write(src.join("y.bin"), random_bytes(100_000, 3)).unwrap();
    fs::write(src.join("z.bin"), random_bytes(50_000, 4)).unwrap();
    s.pv.backup(&[&src], &[]);
    s.pv.backup(&[&src], &["--tag", "second"]);
    (s, src)
}

fn stats(s: &Scratch, args: &[&str]) -> serde_json::Value {
    s.pv.ok(["stats", "--json"].iter().chain(args)).last_json()
}

#[test]
fn restore_size_counts_every_file_once_per_snapshot() {
    let (s, _) = two_snapshots_of_a_copy();
    let st = stats(&s, &[]);
    let snaps = &st["snapshots"];
    assert_eq!(snaps["mode"], "restore-size");
    assert_eq!(snaps["snapshots"], 2);
    assert_eq!(snaps["total_size"], 2 * 250_000);
    assert_eq!(snaps["total_file_count"], 6);
    let one = stats(&s, &["--tag", "second"]);
    assert_eq!(one["snapshots"]["total_size"], 250_000);
    assert_eq!(one["snapshots"]["total_file_count"], 3);
}

#[test]
fn files_by_contents_counts_each_distinct_content_once() {
    let (s, _) = two_snapshots_of_a_copy();
    let snaps = &stats(&s, &["--mode", "files-by-contents"])["snapshots"];
    assert_eq!(snaps["total_size"], 150_000);
    assert_eq!(snaps["total_file_count"], 2);
}

#[test]
fn raw_data_and_blobs_per_file_count_distinct_blobs() {
    let (s, _) = two_snapshots_of_a_copy();
    let raw = &stats(&s, &["--mode", "raw-data"])["snapshots"];
    let data = &raw["data_blobs"];
    let trees = &raw["tree_blobs"];
    assert_eq!(data["plaintext"], 150_000);
    assert!(data["stored"].as_u64().unwrap() > 0);
    assert_eq!(
        raw["total_size"].as_u64().unwrap(),
        150_000 + trees["plaintext"].as_u64().unwrap()
    );
    assert_eq!(
        raw["total_blob_count"].as_u64().unwrap(),
        data["count"].as_u64().unwrap() + trees["count"].as_u64().unwrap()
    );
    assert_eq!(raw["missing_blobs"], 0);
    let per_file = &stats(&s, &["--mode", "blobs-per-file"])["snapshots"];
    assert_eq!(per_file["total_size"], 150_000);
    assert_eq!(per_file["total_file_count"], 2);
    assert_eq!(per_file["total_blob_count"], data["count"]);
}

#[test]
fn the_dedup_ratio_is_the_restore_size_over_the_distinct_data() {
    let (s, _) = two_snapshots_of_a_copy();
    let ratio = stats(&s, &[])["snapshots"]["dedup_ratio"].as_f64().unwrap();
    assert!((ratio - 500_000.0 / 150_000.0).abs() < 1e-9, "{ratio}");
}

#[test]
fn the_repository_totals_are_its_packs_and_distinct_indexed_blobs() {
    let (s, _) = two_snapshots_of_a_copy();
    let repo = &stats(&s, &[])["repository"];
    let packs = list_files(&s.pv.repo().join("data"));
    assert_eq!(repo["packs"], packs.len(), "{repo}");
    assert_eq!(
        repo["pack_bytes"],
        packs.iter().map(|(_, size)| size).sum::<u64>()
    );
    assert_eq!(repo["data_blobs"]["plaintext"], 150_000);
    let plain = repo["data_blobs"]["plaintext"].as_f64().unwrap()
        + repo["tree_blobs"]["plaintext"].as_f64().unwrap();
    let stored = repo["data_blobs"]["stored"].as_f64().unwrap()
        + repo["tree_blobs"]["stored"].as_f64().unwrap();
    let ratio = repo["compression_ratio"].as_f64().unwrap();
    assert!((ratio - plain / stored).abs() < 1e-9, "{repo}");
}

#[test]
fn stats_refuses_an_unknown_mode_and_an_unknown_snapshot() {
    let (s, _) = two_snapshots_of_a_copy();
    let out = s.pv.run(["stats", "--mode", "sizes"]).code(1);
    assert!(out.stderr.contains("unknown stats mode 'sizes'"), "{out}");
    let out = s.pv.run(["stats", "deadbeef"]).code(1);
    assert!(
        out.stderr.contains("no snapshot matches 'deadbeef'"),
        "{out}"
    );
}

#[test]
fn text_stats_show_the_headline_and_the_repository() {
    let (s, _) = two_snapshots_of_a_copy();
    let out = s.pv.ok(["stats"]);
    assert!(out.stdout.contains("Total file count:     6"), "{out}");
    assert!(out.stdout.contains("Deduplication ratio:  3.33x"), "{out}");
    assert!(out.stdout.contains("Compression ratio:"), "{out}");
}
