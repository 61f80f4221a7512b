//! `pvault serve` as a reader of the repository: while it runs, it holds a shared lock, so a
//! prune removes no data a page may show (the browser itself is tested in tests/browser).

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::*;

#[test]
fn prune_deletes_no_pack_while_serve_runs_and_does_once_it_stopped() {
    let s = Scratch::with_repo();
    let photos = s.path("Photos");
    write_random_file(&photos.join("a.bin"), 100_000, 1);
    let first = s.pv.backup(&[&photos], &[]);
    write_random_file(&photos.join("a.bin"), 100_000, 2);
    s.pv.backup(&[&photos], &[]);
    s.pv.ok([
        "forget",
        first["snapshot_id"].as_str().unwrap(),
        "--allow-last-copy-loss",
    ]);

    let mut serve =
        s.pv.command(["--json", "serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run pvault serve");
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("token="), "pvault serve printed {line:?}");

    // Prune plans, but deletes no pack while a reader holds a lock (SPEC §16.4: the
    // two-phase prune leaves them for the next one).
    let beside = s.pv.ok(["prune"]);
    assert!(
        beside.stdout.contains("deleted 0 packs")
            && beside.stdout.contains("1 other process(es) hold a lock"),
        "prune beside serve: {beside}"
    );
    // Stopped (SIGTERM, as Ctrl-C), the server lets its lock go.
    // SAFETY: kill has no memory-safety preconditions; the pid is our child's.
    unsafe { libc::kill(serve.id() as i32, libc::SIGTERM) };
    assert!(serve.wait().unwrap().success());
    let after = s.pv.ok(["prune"]);
    assert!(
        after.stdout.contains("deleted 2 packs"),
        "prune after serve: {after}"
    );
    s.pv.ok(["check", "--read-data"]);
}
