//! `pvault backup` killed with SIGKILL at random moments.

use std::time::{Duration, Instant};

use crate::support::{contents, copy_tree, pack_bytes, temporary_packs, write_random, Pvault};

fn iterations() -> u64 {
    std::env::var("PVAULT_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8)
}

#[test]
fn a_backup_killed_at_random_moments_leaves_a_sound_repository_and_the_next_one_resumes() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("library");
    for i in 0..12 {
        write_random(&src.join(format!("raw/IMG_{i:04}.CR3")), 100 + i, 2_000_000);
    }
    for i in 0..150 {
        write_random(
            &src.join(format!("thumbs/{:02}/t{i}.jpg", i % 10)),
            1000 + i,
            6_000,
        );
    }
    let pv = Pvault::new(work.path());
    pv.init(2);
    let first = pv.backup(&src);
    let first_id = first["snapshot_id"].as_str().unwrap().to_string();
    let first_content = contents(&src);

    // Time a full backup of comparable size, to spread the kills across it.
    let started = Instant::now();
    let timing = Pvault::new(&work.path().join("timing"));
    timing.init(2);
    timing.backup(&src);
    let full = started.elapsed().max(Duration::from_millis(200));

    let mut moments = photovault_testkit::moments::Moments::from_env(0x5eed);
    for round in 0..iterations() {
        // New data each round, so there is always something to store when the kill comes.
        write_random(
            &src.join(format!("new/round{round}.DNG")),
            5000 + round,
            3_000_000,
        );
        let delay = moments.within(full * 3 / 2);
        let mut child = pv
            .command(&["backup", "-q", src.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let check = pv.run(&["check"]);
        assert!(
            check.status.success(),
            "round {round} (killed after {delay:?}): check failed:\n{}",
            String::from_utf8_lossy(&check.stderr)
        );
        assert_eq!(
            pv.restored(&first_id, &src, &work.path().join("restore")),
            first_content,
            "round {round}: the first snapshot no longer restores identically"
        );
    }

    // What the kills left in data/: temporary packs. Aged past the clock-skew margin, the
    // next backup, which runs alone, removes them.
    let leftovers = temporary_packs(&pv.repo);
    let an_hour_ago = filetime::FileTime::from_system_time(
        std::time::SystemTime::now() - Duration::from_secs(3600),
    );
    for path in &leftovers {
        filetime::set_file_mtime(path, an_hour_ago).unwrap();
    }
    let last = pv.backup(&src);
    assert_eq!(temporary_packs(&pv.repo), Vec::<std::path::PathBuf>::new());
    assert_eq!(
        pv.restored("latest", &src, &work.path().join("restore")),
        contents(&src)
    );
    pv.ok(&["check", "--read-data"]);

    // Nothing that reached the repository was stored twice: the repository is hardly larger
    // than one made by a single uninterrupted run over the same two states.
    let reference = Pvault::new(&work.path().join("reference"));
    reference.init(2);
    let first_state = work.path().join("first-state");
    copy_tree(&src, &first_state); // same content; only its size matters below
    reference.backup(&src);
    let killed = pack_bytes(&pv.repo);
    let clean = pack_bytes(&reference.repo);
    assert!(
        killed <= clean + clean / 10 + 4 * (2 << 20),
        "interrupted repository holds {killed} pack bytes, an uninterrupted one {clean}; last backup: {last}"
    );
}
