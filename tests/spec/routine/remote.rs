//! The done-when of the routine: a profile with a local disk and an S3 bucket on the test
//! server; `run` then `status` gives a correct verdict; an unreachable store and a wrong
//! password are errors that name the repository. Skipped loudly without the servers.

use std::fs;

use super::Setup;
use crate::remote::Server;

/// A profile with `disk` (local, primary) and `cloud` at `location` with the S3 server's
/// credentials in its `env` table, and `retries`.
fn profile(t: &Setup, location: &str, retries: u32) {
    let env: String = Server::S3
        .env()
        .into_iter()
        .map(|(k, v)| format!("{k} = \"{v}\"\n"))
        .collect();
    t.two_local("");
    let text = fs::read_to_string(t.s.path("config/photovault/photos.toml"))
        .unwrap()
        .replace(
            &format!("location = \"{}\"", t.s.path("cloud").display()),
            &format!("location = \"{location}\""),
        );
    t.profile(
        "photos",
        &format!(
            "{text}options = {{ retries = \"{retries}\" }}\n\n[repositories.cloud.env]\n{env}"
        ),
    );
}

#[test]
fn a_local_disk_and_an_s3_bucket_make_a_3_2_1_routine() {
    let Some(location) = Server::S3.fresh_location("routine") else {
        return;
    };
    let t = Setup::new();
    profile(&t, &location, 3);
    t.init("photos", "disk");
    t.init("photos", "cloud");
    t.pv.ok(["-P", "photos", "profile", "check"]);
    let out = t.pv.run(["-P", "photos", "status"]).code(17);
    assert!(out.stdout.contains("no snapshot yet"), "{out}");
    let v = t.pv.ok(["-P", "photos", "--json", "run"]).last_json();
    assert_eq!(v["result"], "ok", "{v}");
    assert_eq!(v["repositories"][1]["snapshots_copied"], 1, "{v}");
    let out = t.pv.ok(["-P", "photos", "status"]);
    assert!(
        out.stdout
            .contains("3-2-1: OK (6 files, each with 3 copies or more)"),
        "{out}"
    );
    // A photo in the primary only: the verdict counts it.
    super::super::support::write_random_file(&t.photos.join("2024/new.JPG"), 10_000, 3);
    t.pv.ok([
        "-P",
        "photos",
        "backup",
        "--host",
        "testhost",
        t.photos.to_str().unwrap(),
    ]);
    let out = t.pv.run(["-P", "photos", "status"]).code(17);
    assert!(
        out.stdout.contains("1 files have fewer than 3 copies"),
        "{out}"
    );
    t.pv.ok(["-P", "photos", "run"]);
    t.pv.ok(["-P", "photos", "status"]);

    // A wrong password for the bucket.
    let wrong = t.s.path("wrong");
    fs::write(&wrong, "nope\n").unwrap();
    let file = t.s.path("config/photovault/photos.toml");
    let text = fs::read_to_string(&file).unwrap();
    let at = text.find("[repositories.cloud]").unwrap();
    let fixed = format!(
        "{}{}",
        &text[..at],
        text[at..].replace(t.password_file.to_str().unwrap(), wrong.to_str().unwrap())
    );
    fs::write(&file, fixed).unwrap();
    let out = t.pv.run(["-P", "photos", "profile", "check"]).code(12);
    assert!(
        out.stderr
            .contains(&format!("repository 'cloud' ({location}): wrong password")),
        "{out}"
    );
}

#[test]
fn an_unreachable_store_fails_its_repository_only() {
    if Server::S3.base().is_none() {
        return;
    }
    let t = Setup::new();
    // Nothing listens on port 9 of loopback.
    profile(&t, "s3:http://127.0.0.1:9/nobody-here", 0);
    t.init("photos", "disk");
    let v =
        t.pv.run(["-P", "photos", "--json", "run"])
            .code(16)
            .last_json();
    assert_eq!(v["failed"], serde_json::json!(["cloud"]), "{v}");
    assert!(v["repositories"][0]["snapshot"].is_string());
    let p = &v["repositories"][1]["problems"][0];
    assert_eq!(p["stage"], "open");
    assert!(
        p["message"].as_str().unwrap().contains("cannot be reached"),
        "{v}"
    );
    let out = t.pv.run(["-P", "photos", "profile", "check"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("repository 'cloud' (s3:http://127.0.0.1:9/nobody-here): cannot be reached"),
        "{out}"
    );
}
