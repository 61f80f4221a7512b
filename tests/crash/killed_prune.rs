//! `pvault prune` killed with SIGKILL at random moments.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{contents, temporary_packs, write_random, Pvault};

fn kills() -> u64 {
    std::env::var("PVAULT_PRUNE_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
}

/// Removes every snapshot file but those of `keep` (what `forget` does).
fn forget_all_but(repo: &Path, keep: &[String]) {
    for entry in std::fs::read_dir(repo.join("snapshots")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !keep.contains(&name) {
            std::fs::remove_file(path).unwrap();
        }
    }
}

fn prune_plan(pv: &Pvault) -> serde_json::Value {
    let out = pv.ok(&["--json", "prune", "--dry-run"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    serde_json::from_str(text.lines().last().unwrap()).unwrap()
}

#[test]
fn a_prune_killed_at_random_moments_never_costs_a_snapshot_and_the_next_prune_finishes_the_job() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("library");
    std::fs::create_dir_all(&src).unwrap();
    let pv = Pvault::new(work.path());
    pv.init(1);
    let mut kept: Vec<(String, BTreeMap<PathBuf, Vec<u8>>)> = Vec::new();
    let mut next_file = 0u64;
    let mut change = |src: &Path| {
        // Two photos go, two arrive: every round leaves packs partly unused.
        let mut files: Vec<PathBuf> = contents(src).into_keys().collect();
        files.sort();
        for old in files.iter().take(2) {
            std::fs::remove_file(src.join(old)).unwrap();
        }
        for _ in 0..2 {
            write_random(
                &src.join(format!("IMG_{next_file:04}.jpg")),
                next_file,
                250_000 + (next_file as usize % 5) * 60_000,
            );
            next_file += 1;
        }
    };
    for _ in 0..3 {
        change(&src);
    }
    let mut backup_and_forget = |kept: &mut Vec<(String, BTreeMap<PathBuf, Vec<u8>>)>| {
        change(&src);
        let id = pv.backup(&src)["snapshot_id"].as_str().unwrap().to_string();
        kept.push((id, contents(&src)));
        if kept.len() > 2 {
            kept.remove(0);
        }
        let ids: Vec<String> = kept.iter().map(|(id, _)| id.clone()).collect();
        forget_all_but(&pv.repo, &ids);
    };

    // One prune run to the end, to spread the kills across its length.
    backup_and_forget(&mut kept);
    backup_and_forget(&mut kept);
    let started = Instant::now();
    pv.ok(&["prune", "--max-unused", "0"]);
    let full = started.elapsed().max(Duration::from_millis(100));

    let mut moments = photovault_testkit::moments::Moments::from_env(0x9e37_79b9);
    for round in 0..kills() {
        backup_and_forget(&mut kept);
        let delay = moments.within(full * 3 / 2);
        let mut child = pv
            .command(&["prune", "-q", "--max-unused", "0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();

        let check = pv.run(&["check", "--read-data"]);
        assert!(
            check.status.success(),
            "round {round} (killed after {delay:?}): check failed:\n{}",
            String::from_utf8_lossy(&check.stderr)
        );
        for (id, content) in &kept {
            assert_eq!(
                &pv.restored(id, &src, &work.path().join("restore")),
                content,
                "round {round} (killed after {delay:?}): snapshot {id} no longer restores identically"
            );
        }
    }

    // What the kills left: temporary packs of repacks, aged here past the clock-skew margin,
    // and packs no index lists. The next prune, running alone, removes them all.
    let an_hour_ago = filetime::FileTime::from_system_time(
        std::time::SystemTime::now() - Duration::from_secs(3600),
    );
    for path in temporary_packs(&pv.repo) {
        filetime::set_file_mtime(path, an_hour_ago).unwrap();
    }
    pv.ok(&["prune", "--max-unused", "0"]);
    let after = prune_plan(&pv);
    assert_eq!(after["plan"]["unindexed_packs"], 0, "{after}");
    assert_eq!(after["plan"]["packs_to_delete"], 0, "{after}");
    assert_eq!(after["plan"]["bytes_unused"], 0, "{after}");
    assert_eq!(temporary_packs(&pv.repo), Vec::<PathBuf>::new());
    pv.ok(&["check", "--read-data"]);
    for (id, content) in &kept {
        assert_eq!(
            &pv.restored(id, &src, &work.path().join("restore")),
            content
        );
    }
}
