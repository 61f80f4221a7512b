//! `pvault schedule`: systemd user units that systemd itself accepts, put where systemd
//! looks and enabled through systemctl; a crontab line where there is no systemd; and
//! `show` says what is installed and how the last run went. systemctl and crontab are
//! recorders here, so that the test never touches the machine's own timers.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use super::Setup;

/// A script at `path` that appends its arguments to `log` (and, as crontab, keeps a table).
fn recorder(path: &Path, log: &Path, table: Option<&Path>) {
    let body = match table {
        None => format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()),
        Some(table) => format!(
            "#!/bin/sh\necho \"$@\" >> '{log}'\nif [ \"$1\" = -l ]; then cat '{table}' 2>/dev/null || exit 1; else cat > '{table}'; fi\n",
            log = log.display(),
            table = table.display()
        ),
    };
    fs::write(path, body).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn install_writes_units_systemd_accepts_and_enables_the_timer() {
    let t = Setup::new();
    t.two_local("");
    let log = t.s.path("systemctl.log");
    let systemctl = t.s.path("systemctl");
    recorder(&systemctl, &log, None);
    let pv = t.pv.with_env("PVAULT_SYSTEMCTL", &systemctl);
    pv.ok(["schedule", "install", "photos", "--every", "30 2 * * 1-5"]);
    let units = t.s.path("config/systemd/user");
    let service = fs::read_to_string(units.join("pvault-photos.service")).unwrap();
    let timer = fs::read_to_string(units.join("pvault-photos.timer")).unwrap();
    assert!(
        service.contains("ExecStart=")
            && service.contains("--profile")
            && service.contains("photos.toml run"),
        "{service}"
    );
    assert!(
        timer.contains("OnCalendar=Mon..Fri *-*-* 02:30:00"),
        "{timer}"
    );
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        "--user daemon-reload\n--user enable --now pvault-photos.timer\n"
    );
    match Command::new("systemd-analyze").arg("--version").output() {
        Ok(_) => {
            let out = Command::new("systemd-analyze")
                .arg("verify")
                .arg(units.join("pvault-photos.service"))
                .arg(units.join("pvault-photos.timer"))
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "systemd-analyze verify: {stderr}");
            for every in ["daily", "hourly", "*/15 * * * *", "0 3 1 */2 0"] {
                let value = every
                    .parse::<photovault_core::routine::schedule::Every>()
                    .unwrap()
                    .on_calendar()
                    .unwrap();
                let out = Command::new("systemd-analyze").args(["calendar", &value]).output().unwrap();
                assert!(out.status.success(), "{every} → {value}: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        Err(_) => eprintln!("\n*** SKIPPED: systemd-analyze is not installed; the units were not verified by systemd. ***\n"),
    }
    // show names the timer; remove disables it and deletes the files.
    let out = pv.ok(["schedule", "show", "photos"]);
    assert!(
        out.stdout.contains("OnCalendar=Mon..Fri *-*-* 02:30:00")
            && out.stdout.contains("no run yet"),
        "{out}"
    );
    pv.ok(["schedule", "remove", "photos"]);
    assert!(!units.join("pvault-photos.timer").exists());
    assert!(fs::read_to_string(&log)
        .unwrap()
        .contains("--user disable --now pvault-photos.timer"));
}

#[test]
fn without_systemd_a_crontab_line_is_installed_and_show_reports_the_last_run() {
    let t = Setup::new();
    t.two_local("");
    t.init("photos", "disk");
    t.init("photos", "cloud");
    let log = t.s.path("crontab.log");
    let table = t.s.path("crontab.table");
    fs::write(&table, "0 1 * * * backup-something-else\n").unwrap();
    let crontab = t.s.path("crontab");
    recorder(&crontab, &log, Some(&table));
    let pv = t.pv.with_env("PVAULT_CRONTAB", &crontab);
    pv.ok([
        "-P", "photos", "schedule", "install", "--cron", "--every", "hourly",
    ]);
    pv.ok([
        "-P", "photos", "schedule", "install", "--cron", "--every", "daily",
    ]);
    let text = fs::read_to_string(&table).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0], "0 1 * * * backup-something-else");
    assert!(
        lines[1].starts_with("17 3 * * * '")
            && lines[1].contains("--quiet run # pvault schedule pvault-photos"),
        "{text}"
    );
    t.pv.ok(["-P", "photos", "run"]);
    let out = pv.ok(["-P", "photos", "schedule", "show"]);
    assert!(
        out.stdout.contains("crontab: 17 3 * * *")
            && out.stdout.contains(": ok")
            && out.stdout.contains("last successful run"),
        "{out}"
    );
    pv.ok(["-P", "photos", "schedule", "remove"]);
    assert_eq!(
        fs::read_to_string(&table).unwrap(),
        "0 1 * * * backup-something-else\n"
    );
}
