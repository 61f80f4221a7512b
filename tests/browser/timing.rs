//! How fast the timeline of a large snapshot appears: 20,000 photos over ten years, the
//! first screen of thumbnails measured from the moment `pvault serve` printed its address.
//! Heavier than the rest (a backup of 20,000 files): runs with `--ignored`.

use std::fs;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

const PHOTOS: usize = 20_000;
/// 2014-01-01T00:00:00Z.
const START: i64 = 1_388_534_400;
const TEN_YEARS: i64 = 10 * 365 * 86_400;

#[test]
#[ignore = "heavy (a backup of 20,000 photos): cargo test --test browser -- --ignored"]
fn the_first_timeline_page_of_20000_photos_appears_within_a_second() {
    if !browser_available() {
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("browser-big")
        .tempdir()
        .unwrap();
    let photos = dir.path().join("Photos");
    let base = jpeg(640, 480, 9);
    for i in 0..PHOTOS {
        let folder = photos.join(format!("{:03}", i / 200));
        fs::create_dir_all(&folder).unwrap();
        let path = folder.join(format!("IMG_{i:05}.JPG"));
        // Distinct content (bytes after the end-of-image marker are ignored by decoders).
        let mut bytes = base.clone();
        bytes.extend_from_slice(format!("#{i}").as_bytes());
        fs::write(&path, bytes).unwrap();
        set_mtime(&path, START + (i as i64) * (TEN_YEARS / PHOTOS as i64));
    }
    let repo = dir.path().join("repo");
    let pvault = pvault(&repo);
    pvault.init();
    let started = Instant::now();
    pvault.backup(&[&photos], &[]);
    eprintln!(
        "big timeline: backup of {PHOTOS} photos took {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let downloads = dir.path().join("downloads");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (_driver, client) = browser(&dir.path().join("profile"), &downloads).await;
        client.goto("about:blank").await.unwrap();
        let (server, url) = serve(&repo, &[]);
        let served = Instant::now();
        client.goto(&url).await.unwrap();
        loop {
            let shown = client
                .execute(
                    "const s = document.querySelector('section.month'); if (!s || !s.dataset.loaded) return 0; \
                     const seen = [...s.querySelectorAll('.tile img')].filter(i => i.getBoundingClientRect().top < innerHeight); \
                     return seen.length && seen.every(i => i.complete && i.naturalWidth > 0) ? seen.length : 0;",
                    vec![],
                )
                .await
                .unwrap();
            if shown.as_u64().unwrap_or(0) > 0 {
                let elapsed = served.elapsed();
                let total = client
                    .execute("return document.querySelectorAll('section.month').length", vec![])
                    .await
                    .unwrap();
                eprintln!(
                    "big timeline: first screen ({shown} thumbnails, {total} months) after {} ms",
                    elapsed.as_millis()
                );
                assert!(elapsed < Duration::from_secs(1), "the first page took {elapsed:?}");
                break;
            }
            assert!(served.elapsed() < Duration::from_secs(30), "the timeline never appeared");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Scrolling through every month: the server's memory stays bounded (its caches of
        // thumbnails and blobs have fixed budgets; months far away are emptied by the page).
        let months: Vec<String> = serde_json::from_value(
            client
                .execute("return [...document.querySelectorAll('section.month')].map(s => s.dataset.month)", vec![])
                .await
                .unwrap(),
        )
        .unwrap();
        let scrolled = Instant::now();
        for month in &months {
            loop {
                let done = client
                    .execute(
                        "const s = document.querySelector(`section[data-month=\"${arguments[0]}\"]`); s.scrollIntoView(); \
                         if (!s.dataset.loaded) return false; \
                         const seen = [...s.querySelectorAll('.tile img')].filter(i => { \
                           const r = i.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; }); \
                         return seen.every(i => i.complete);",
                        vec![serde_json::json!(month)],
                    )
                    .await
                    .unwrap();
                if done.as_bool() == Some(true) {
                    break;
                }
                assert!(scrolled.elapsed() < Duration::from_secs(600), "month {month} never loaded");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        let peak_kib = peak_memory_kib(server.0.id());
        eprintln!(
            "big timeline: scrolled through {} months in {:.1} s; server peak memory {} MiB",
            months.len(),
            scrolled.elapsed().as_secs_f64(),
            peak_kib / 1024
        );
        assert!(peak_kib < 512 * 1024, "pvault serve peaked at {peak_kib} KiB");
        let _: Value = client.execute("return 0", vec![]).await.unwrap();
        client.close().await.unwrap();
    });
}

/// The peak resident memory of a process (VmHWM), in KiB.
fn peak_memory_kib(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}
