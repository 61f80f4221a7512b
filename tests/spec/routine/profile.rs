//! Profiles: mistakes are reported with the file, the line and the key; `-P` and
//! `--repo-name` make any command work on a profile's repository; `profile check` opens
//! every repository and names the one that fails.

use std::fs;

use super::{line_of, Setup};

#[test]
fn an_unknown_key_is_an_error_naming_the_file_the_line_and_the_key() {
    let t = Setup::new();
    let file = t.two_local("\n[retention]\nkeep-daily = 7\nkep-weekly = 4\n");
    let text = fs::read_to_string(&file).unwrap();
    let out = t.pv.run(["-P", "photos", "profile", "check"]).code(1);
    let line = line_of(&text, "kep-weekly");
    assert!(
        out.stderr.contains(&format!(
            "photos.toml:{line}:1: [retention] key 'kep-weekly'"
        )),
        "{out}"
    );
    assert!(out.stderr.contains("unknown field"), "{out}");
}

#[test]
fn a_wrong_type_is_an_error_naming_the_line_and_the_key() {
    let t = Setup::new();
    let file = t.two_local("");
    let text = fs::read_to_string(&file)
        .unwrap()
        .replace("offsite = true", "offsite = \"yes\"");
    fs::write(&file, &text).unwrap();
    let out = t.pv.run(["-P", "photos", "snapshots"]).code(1);
    let line = line_of(&text, "offsite = \"yes\"");
    assert!(
        out.stderr.contains(&format!("photos.toml:{line}:"))
            && out.stderr.contains("[repositories.cloud] key 'offsite'")
            && out.stderr.contains("invalid type"),
        "{out}"
    );
}

#[test]
fn mistakes_toml_cannot_see_are_placed_too() {
    let t = Setup::new();
    // A second primary.
    let file = t.two_local("primary = true\n");
    let text = fs::read_to_string(&file).unwrap();
    let out = t.pv.run(["-P", "photos", "profile", "check"]).code(1);
    let line = text
        .lines()
        .collect::<Vec<_>>()
        .iter()
        .rposition(|l| l.contains("primary = true"))
        .unwrap()
        + 1;
    assert!(
        out.stderr.contains(&format!("photos.toml:{line}: [repositories.cloud] key 'primary': only one repository can be primary")),
        "{out}"
    );
    // A password in the clear, a bad count, a bad age, a copy-from that names nothing.
    for (extra, key, says) in [
        ("password = \"hunter2\"\n", "password", "readable by anyone"),
        (
            "copy-from = \"usb\"\n",
            "copy-from",
            "'usb' is not another repository",
        ),
        (
            "\n[retention]\nkeep-daily = \"seven\"\n",
            "keep-daily",
            "is not a count",
        ),
        (
            "\n[retention]\nkeep-daily = 7\nprune-every = \"weekly\"\n",
            "prune-every",
            "is not an age",
        ),
        ("\n[verify]\nsubset = \"1/0\"\n", "subset", "1 <= N <= M"),
        ("\n[alerts]\nurl = \"ftp://x\"\n", "url", "not an http"),
    ] {
        let file = t.two_local(extra);
        let text = fs::read_to_string(&file).unwrap();
        let out = t.pv.run(["-P", "photos", "profile", "check"]).code(1);
        let needle = format!("{key} =");
        let line = text
            .lines()
            .collect::<Vec<_>>()
            .iter()
            .rposition(|l| l.starts_with(&needle))
            .unwrap()
            + 1;
        assert!(
            out.stderr.contains(&format!("photos.toml:{line}: "))
                && out.stderr.contains(&format!("key '{key}'"))
                && out.stderr.contains(says),
            "{extra}: {out}"
        );
    }
    // A missing table.
    fs::write(
        &file,
        "[repositories.disk]\nlocation = \"/x\"\npassword-env = \"P\"\n",
    )
    .unwrap();
    let out = t.pv.run(["-P", "photos", "profile", "check"]).code(1);
    assert!(
        out.stderr.contains("photos.toml:1:") && out.stderr.contains("source"),
        "{out}"
    );
    // No such profile.
    let out = t.pv.run(["-P", "holiday", "run"]).code(1);
    assert!(
        out.stderr.contains("no profile 'holiday'") && out.stderr.contains("holiday.toml"),
        "{out}"
    );
}

#[test]
fn any_command_works_on_the_profiles_repositories() {
    let t = Setup::new();
    let file = t.two_local("");
    t.init("photos", "disk");
    t.init("photos", "cloud");
    t.pv.ok(["-P", "photos", "backup", t.photos.to_str().unwrap()]);
    // The primary by default, by name or by path; another with --repo-name.
    let count = |args: &[&str]| {
        let out = t.pv.ok(args.iter().chain(&["--json", "snapshots"]));
        out.json().as_array().unwrap().len()
    };
    assert_eq!(count(&["-P", "photos"]), 1);
    assert_eq!(count(&["-P", file.to_str().unwrap()]), 1);
    assert_eq!(count(&["-P", "photos", "--repo-name", "cloud"]), 0);
    let out =
        t.pv.run(["-P", "photos", "--repo-name", "usb", "snapshots"])
            .code(1);
    assert!(
        out.stderr
            .contains("no repository 'usb'; it has: disk, cloud"),
        "{out}"
    );
    let out = t.pv.run(["--repo-name", "cloud", "snapshots"]).code(1);
    assert!(out.stderr.contains("-P/--profile"), "{out}");
}

#[test]
fn profile_check_opens_every_repository_and_names_the_one_that_fails() {
    let t = Setup::new();
    let file = t.two_local("");
    t.init("photos", "disk");
    // cloud does not exist yet.
    let out = t.pv.run(["-P", "photos", "profile", "check"]).code(10);
    assert!(
        out.stdout.contains("disk") && out.stdout.contains("ok, 0 snapshot(s)"),
        "{out}"
    );
    assert!(
        out.stderr.contains("repository 'cloud'") && out.stderr.contains("no repository at"),
        "{out}"
    );
    t.init("photos", "cloud");
    t.pv.ok(["-P", "photos", "profile", "check"]);
    // A wrong password: exit code 12, and the repository and where the password came from.
    let wrong = t.s.path("wrong");
    fs::write(&wrong, "not it\n").unwrap();
    let text = fs::read_to_string(&file).unwrap();
    let cloud_at = text.find("[repositories.cloud]").unwrap();
    let (head, tail) = text.split_at(cloud_at);
    let tail = tail.replace(t.password_file.to_str().unwrap(), wrong.to_str().unwrap());
    fs::write(&file, format!("{head}{tail}")).unwrap();
    let out =
        t.pv.run(["-P", "photos", "--json", "profile", "check"])
            .code(12);
    let v = out.last_json();
    assert_eq!(
        v["repositories"][0]["failure"],
        serde_json::Value::Null,
        "{out}"
    );
    let failure = &v["repositories"][1]["failure"];
    assert_eq!(failure["repository"], "cloud", "{out}");
    assert!(
        failure["message"]
            .as_str()
            .unwrap()
            .contains("wrong password")
            && failure["message"].as_str().unwrap().contains("wrong"),
        "{out}"
    );
    // Nothing was written into the repositories: no locks left.
    for repo in ["disk", "cloud"] {
        let locks = t.s.path(repo).join("locks");
        assert!(
            fs::read_dir(&locks).map(|d| d.count()).unwrap_or(0) == 0,
            "{repo} has locks"
        );
    }
}
