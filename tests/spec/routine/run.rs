//! `pvault run`: backup into the primary, copies into the others, retention, prune and
//! verification, one summary; a repository that fails does not stop the others; two runs
//! of a profile never overlap.

use std::fs;
use std::os::unix::io::AsRawFd;

use super::Setup;
use crate::support::*;

#[test]
fn a_run_backs_up_copies_thins_and_verifies_every_repository() {
    let t = Setup::new();
    t.two_local("\n[retention]\nkeep-last = 2\n\n[verify]\nsubset = \"1/2\"\n");
    t.init("photos", "disk");
    t.init("photos", "cloud");
    let first = t.pv.ok(["-P", "photos", "--json", "run"]).last_json();
    assert_eq!(first["result"], "ok", "{first}");
    assert_eq!(first["exit_code"], 0);
    let repos = first["repositories"].as_array().unwrap();
    assert_eq!(repos[0]["repository"], "disk");
    assert!(repos[0]["snapshot"].is_string());
    assert!(
        repos[0]["bytes_added"].as_u64().unwrap() > 100_000,
        "{first}"
    );
    assert_eq!(repos[1]["repository"], "cloud");
    assert_eq!(repos[1]["snapshots_copied"], 1);
    assert_eq!(repos[0]["verified"]["slice"], serde_json::json!([1, 2]));
    // The next run reads the next slice, copies only the new snapshot, and keep-last 2
    // thins both repositories from the third run on.
    write_random_file(&t.photos.join("2024/IMG_0100.JPG"), 30_000, 7);
    let second = t.pv.ok(["-P", "photos", "--json", "run"]).last_json();
    assert_eq!(
        second["repositories"][0]["verified"]["slice"],
        serde_json::json!([2, 2])
    );
    assert_eq!(second["repositories"][1]["snapshots_copied"], 1);
    let third = t.pv.ok(["-P", "photos", "--json", "run"]).last_json();
    for r in third["repositories"].as_array().unwrap() {
        assert_eq!(r["snapshots_removed"], 1, "{third}");
    }
    for repo in ["disk", "cloud"] {
        let out =
            t.pv.ok(["-P", "photos", "--repo-name", repo, "--json", "snapshots"]);
        assert_eq!(out.json().as_array().unwrap().len(), 2, "{repo}");
    }
    // The first run pruned (none before); the copies restore.
    assert_eq!(first["repositories"][0]["pruned"], true);
    let target = t.s.path("restored");
    t.pv.ok([
        "-P",
        "photos",
        "--repo-name",
        "cloud",
        "restore",
        "latest",
        "--target",
        target.to_str().unwrap(),
    ]);
    assert_same_content(&t.photos, &restored_path(&target, &t.photos));
    // The text summary is a table with a row per repository.
    let text = t.pv.ok(["-P", "photos", "run"]);
    assert!(
        text.stdout.contains("repository")
            && text.stdout.contains("\ndisk ")
            && text.stdout.contains("\ncloud "),
        "{text}"
    );
    assert!(text.stdout.contains("every repository is done"), "{text}");
}

#[test]
fn a_repository_that_fails_does_not_stop_the_others() {
    let t = Setup::new();
    let file = t.two_local(&format!(
        "\n[repositories.usb]\nlocation = \"{}\"\npassword-file = \"{}\"\nmedium = \"disk\"\n",
        t.s.path("usb-not-plugged-in").display(),
        t.password_file.display()
    ));
    t.init("photos", "disk");
    t.init("photos", "cloud");
    let out = t.pv.run(["-P", "photos", "--json", "run"]).code(16);
    let v = out.last_json();
    assert_eq!(v["result"], "failed");
    assert_eq!(v["failed"], serde_json::json!(["usb"]));
    let usb = &v["repositories"][2];
    assert_eq!(usb["repository"], "usb");
    assert_eq!(usb["problems"][0]["stage"], "open");
    assert_eq!(usb["problems"][0]["code"], 10);
    assert_eq!(v["repositories"][1]["snapshots_copied"], 1, "{v}");
    // In text, the failing repository is named with what to do.
    let out = t.pv.run(["-P", "photos", "run"]).code(16);
    assert!(
        out.stderr.contains("repository 'usb'")
            && out
                .stderr
                .contains("pvault -P PROFILE --repo-name usb init"),
        "{out}"
    );
    assert!(out.stdout.contains("FAILED for usb"), "{out}");
    // A wrong password on the primary: nothing is backed up, the copy says why.
    let wrong = t.s.path("wrong");
    fs::write(&wrong, "nope\n").unwrap();
    let text = fs::read_to_string(&file).unwrap();
    let text = text.replacen(
        t.password_file.to_str().unwrap(),
        wrong.to_str().unwrap(),
        1,
    );
    fs::write(&file, text).unwrap();
    let v =
        t.pv.run(["-P", "photos", "--json", "run"])
            .code(16)
            .last_json();
    assert_eq!(v["repositories"][0]["problems"][0]["code"], 12, "{v}");
    assert!(
        v["repositories"][1]["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("'disk', could not be opened"),
        "{v}"
    );
}

#[test]
fn two_runs_of_a_profile_never_overlap() {
    let t = Setup::new();
    t.two_local("");
    t.init("photos", "disk");
    t.init("photos", "cloud");
    let lock_dir = t.s.path("state/photovault/photos");
    fs::create_dir_all(&lock_dir).unwrap();
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_dir.join("run.lock"))
        .unwrap();
    // SAFETY: flock on a descriptor we own.
    assert_eq!(
        unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
        0
    );
    let out = t.pv.run(["-P", "photos", "run"]).code(11);
    assert!(
        out.stderr
            .contains("another `pvault run` of profile 'photos' is running"),
        "{out}"
    );
    drop(lock);
    t.pv.ok(["-P", "photos", "run"]);
}

#[test]
fn the_last_copy_guard_stops_retention_with_a_warning() {
    let t = Setup::new();
    t.two_local("\n[retention]\nkeep-last = 1\n");
    t.init("photos", "disk");
    t.init("photos", "cloud");
    t.pv.ok(["-P", "photos", "run"]);
    // A photo deleted from the library lives only in the older snapshot.
    fs::remove_file(t.photos.join("2023/IMG_0000.JPG")).unwrap();
    let v =
        t.pv.run(["-P", "photos", "--json", "run"])
            .code(3)
            .last_json();
    assert_eq!(v["result"], "warning", "{v}");
    let p = &v["repositories"][0]["problems"][0];
    assert_eq!(p["stage"], "retention");
    assert_eq!(p["code"], 13);
    assert!(
        p["message"]
            .as_str()
            .unwrap()
            .contains("retention not applied"),
        "{v}"
    );
    assert_eq!(v["repositories"][0]["snapshots_removed"], 0);
}

#[test]
fn a_vanished_library_and_bit_rot_surface_as_warnings_of_the_run() {
    let t = Setup::new();
    // Ten more photos, so that losing most of them is a mass deletion (at least 10 files).
    for i in 6..16u64 {
        write_random_file(
            &t.photos.join(format!("2024/IMG_{i:04}.JPG")),
            10_000,
            90 + i,
        );
    }
    let profile = t.two_local("");
    let text = fs::read_to_string(&profile).unwrap().replace(
        "[source]\n",
        "[source]\nverify-unchanged-fraction = 100\nmass-deletion-threshold = 50\n",
    );
    fs::write(&profile, text).unwrap();
    t.init("photos", "disk");
    t.init("photos", "cloud");
    t.pv.ok(["-P", "photos", "run"]);

    // One photo rots in place (same size and mtime); most of the rest disappear.
    let rotted = t.photos.join("2023/IMG_0000.JPG");
    let mtime = fs::metadata(&rotted).unwrap().modified().unwrap();
    let mut bytes = fs::read(&rotted).unwrap();
    bytes[100] ^= 1;
    fs::write(&rotted, &bytes).unwrap();
    fs::File::options()
        .write(true)
        .open(&rotted)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    for i in 6..16u64 {
        fs::remove_file(t.photos.join(format!("2024/IMG_{i:04}.JPG"))).unwrap();
    }

    let v =
        t.pv.run(["-P", "photos", "--json", "run"])
            .code(3)
            .last_json();
    assert_eq!(v["result"], "warning", "{v}");
    let problems = v["repositories"][0]["problems"].as_array().unwrap();
    let with_code = |code: i64| {
        problems
            .iter()
            .find(|p| p["code"] == code)
            .unwrap_or_else(|| panic!("no problem with code {code}: {v}"))["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(with_code(14).contains("MASS DELETION"), "{v}");
    assert!(with_code(15).contains("IMG_0000.JPG"), "{v}");
}
