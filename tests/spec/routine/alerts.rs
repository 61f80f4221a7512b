//! Alerts: a healthchecks-style URL hears every run (start, success, fail), a command gets
//! the summary as JSON on its standard input, and "no successful run for a while" is noticed.
//! The URL is a small HTTP server in the test.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use super::Setup;

/// A request the server received: method, path, body.
type Request = (String, String, String);

/// An HTTP server on a free loopback port that answers 200 and records every request.
fn server() -> (String, Arc<Mutex<Vec<Request>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        length = v.trim().parse().unwrap();
                    }
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let mut parts = first.split_whitespace();
            let method = parts.next().unwrap_or_default().to_string();
            let path = parts.next().unwrap_or_default().to_string();
            record.lock().unwrap().push((
                method,
                path,
                String::from_utf8_lossy(&body).into_owned(),
            ));
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nOK");
        }
    });
    (url, seen)
}

#[test]
fn a_healthchecks_url_hears_start_success_and_failure_and_a_command_gets_the_summary() {
    let t = Setup::new();
    let (url, seen) = server();
    let got = t.s.path("alert.json");
    let file = t.two_local(&format!(
        "\n[alerts]\nurl = \"{url}/ping/abc\"\ncommand = \"cat > {} && echo $PVAULT_EVENT >> {}\"\non = [\"failure\", \"success\"]\n",
        got.display(),
        t.s.path("events").display()
    ));
    t.init("photos", "disk");
    t.init("photos", "cloud");
    t.pv.ok(["-P", "photos", "run"]);
    {
        let seen = seen.lock().unwrap();
        let paths: Vec<(&str, &str)> = seen
            .iter()
            .map(|(m, p, _)| (m.as_str(), p.as_str()))
            .collect();
        assert_eq!(
            paths,
            [("POST", "/ping/abc/start"), ("POST", "/ping/abc")],
            "{seen:?}"
        );
        let body: serde_json::Value = serde_json::from_str(&seen[1].2).unwrap();
        assert_eq!(body["event"], "success");
        assert_eq!(body["summary"]["result"], "ok");
    }
    let alert: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&got).unwrap()).unwrap();
    assert_eq!(alert["event"], "success");
    assert_eq!(alert["summary"]["repositories"][1]["snapshots_copied"], 1);

    // The cloud repository disappears: /fail, and the command hears which and why.
    fs::rename(t.s.path("cloud"), t.s.path("cloud-gone")).unwrap();
    t.pv.run(["-P", "photos", "run"]).code(16);
    {
        let seen = seen.lock().unwrap();
        let (_, path, body) = seen.last().unwrap();
        assert_eq!(path, "/ping/abc/fail", "{seen:?}");
        assert!(
            body.contains("repository 'cloud'") || body.contains("\"cloud\""),
            "{body}"
        );
    }
    let alert: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&got).unwrap()).unwrap();
    assert_eq!(alert["event"], "failure");
    assert_eq!(alert["summary"]["failed"], serde_json::json!(["cloud"]));
    assert!(
        alert["message"]
            .as_str()
            .unwrap()
            .contains("cloud FAILED (open)"),
        "{alert}"
    );
    // --no-alerts sends nothing.
    let before = seen.lock().unwrap().len();
    t.pv.run(["-P", "photos", "run", "--no-alerts"]).code(16);
    assert_eq!(seen.lock().unwrap().len(), before);
    let _ = file;
}

#[test]
fn no_successful_run_for_too_long_and_a_broken_rule_are_alerts() {
    let t = Setup::new();
    let (url, seen) = server();
    t.two_local(&format!(
        "\n[alerts]\nurl = \"{url}/notify\"\nstyle = \"ntfy\"\noverdue-after = \"2d\"\n"
    ));
    t.init("photos", "disk");
    t.init("photos", "cloud");
    t.pv.ok(["-P", "photos", "run"]);
    // A success and the rule holding: an ntfy-style URL hears nothing.
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
    // The last success was three days ago.
    let state_file = t.state_file("photos");
    let mut state: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&state_file).unwrap()).unwrap();
    let old = (chrono::Utc::now() - chrono::TimeDelta::days(3)).to_rfc3339();
    state["last_success"] = serde_json::json!(old);
    fs::write(&state_file, state.to_string()).unwrap();
    let out = t.pv.ok(["-P", "photos", "status"]);
    assert!(
        out.stdout
            .contains("no successful run of profile 'photos' for 2d"),
        "{out}"
    );
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0].1, "/notify");
        assert!(seen[0].2.contains("no successful run"), "{seen:?}");
    }
    // Once per spell.
    t.pv.ok(["-P", "photos", "status"]);
    assert_eq!(seen.lock().unwrap().len(), 1);
    // The rule breaks (the cloud repository is emptied): one message, when it breaks.
    fs::remove_dir_all(t.s.path("cloud").join("snapshots")).unwrap();
    fs::create_dir(t.s.path("cloud").join("snapshots")).unwrap();
    t.pv.run(["-P", "photos", "status"]).code(17);
    t.pv.run(["-P", "photos", "status"]).code(17);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[1].2.contains("3-2-1: NOT MET"), "{seen:?}");
}
