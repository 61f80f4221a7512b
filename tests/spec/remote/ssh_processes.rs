//! opendal's SFTP service starts an `ssh` control master per connection, which keeps
//! running until it is told to exit. A `pvault` run must leave none behind.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{copy_tree, corpus, Scratch, FAST_KDF};

use super::Server;

/// Processes whose environment holds `marker` (which only this test's `pvault` runs and
/// the programs they started carry).
fn processes_marked(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let dir = entry.path();
        let Ok(environ) = std::fs::read(dir.join("environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|v| v == marker.as_bytes()) {
            let command = std::fs::read(dir.join("cmdline")).unwrap_or_default();
            found.push(format!(
                "{}: {}",
                dir.file_name().unwrap().to_string_lossy(),
                String::from_utf8_lossy(&command).replace('\0', " ")
            ));
        }
    }
    found
}

/// Waits up to a few seconds for the marked processes to end, and returns those that did not.
fn left_running(marker: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let running = processes_marked(marker);
        if running.is_empty() || Instant::now() > deadline {
            return running;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn pvault_leaves_no_ssh_process_running_after_it_exits() {
    let Some(location) = Server::Sftp.fresh_location("ssh-processes") else {
        return;
    };
    assert!(Path::new("/proc/self/environ").exists(), "needs /proc");
    let s = Scratch::new();
    let photos = s.path("photos");
    copy_tree(corpus(), &photos);
    let marker = format!("PVAULT_TEST_SSH_MARKER={}", std::process::id());
    let (name, value) = marker.split_once('=').unwrap();
    let pv = Server::Sftp.pvault(&s, &location).with_env(name, value);

    pv.run(["init"].into_iter().chain(FAST_KDF)).success();
    assert_eq!(left_running(&marker), Vec::<String>::new(), "after init");
    pv.run(["backup", photos.to_str().unwrap()]).success();
    pv.run(["check", "--read-data"]).success();
    assert_eq!(
        left_running(&marker),
        Vec::<String>::new(),
        "after backup and check"
    );
}
