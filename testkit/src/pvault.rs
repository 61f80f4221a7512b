//! Running the `pvault` binary in tests: one runner for every suite.
//!
//! Each runner is isolated: its own repository and cache folder, its password in
//! `PVAULT_PASSWORD`, nothing inherited from the caller's `PVAULT_*` variables, and no
//! standard input. The suites hand it the binary cargo built for them
//! (`env!("CARGO_BIN_EXE_pvault")`).

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Argon2 parameters small enough that opening a repository costs nothing.
pub const FAST_KDF: [&str; 4] = ["--kdf-memory", "1024", "--kdf-iterations", "1"];

/// The uid/gid `pvault` runs as when a test needs an unprivileged user.
pub const NOBODY: u32 = 65534;

/// What one `pvault` run printed and how it ended.
#[derive(Debug)]
pub struct Output {
    /// Exit code (-1 if killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Asserts exit code 0 and returns self.
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "pvault failed:\n{self}");
        self
    }

    /// Asserts this exit code and returns self.
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code:\n{self}");
        self
    }

    /// The last stdout line, parsed as JSON.
    #[track_caller]
    pub fn last_json(&self) -> serde_json::Value {
        let line = self.stdout.lines().last().expect("no output");
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    }

    /// Every stdout line, parsed as JSON.
    #[track_caller]
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// All of stdout parsed as one JSON document.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

impl std::fmt::Display for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the `pvault` binary against one repository, with its own cache folder, the test
/// password in `PVAULT_PASSWORD`, and nothing inherited from the caller's `PVAULT_*`.
#[derive(Debug, Clone)]
pub struct Pvault {
    bin: PathBuf,
    /// The repository folder passed as `-r`; `None` passes no `-r`.
    pub repo: Option<PathBuf>,
    cache: PathBuf,
    password: Option<String>,
    envs: Vec<(OsString, OsString)>,
    cwd: Option<PathBuf>,
    unprivileged: bool,
}

impl Pvault {
    /// A runner of the `pvault` binary at `bin` (a test crate's
    /// `env!("CARGO_BIN_EXE_pvault")`) for the repository at `repo`, with its cache in
    /// `cache` and `password` in `PVAULT_PASSWORD`.
    pub fn new(
        bin: impl Into<PathBuf>,
        repo: impl Into<PathBuf>,
        cache: impl Into<PathBuf>,
        password: &str,
    ) -> Self {
        Pvault {
            bin: bin.into(),
            repo: Some(repo.into()),
            cache: cache.into(),
            password: Some(password.into()),
            envs: Vec::new(),
            cwd: None,
            unprivileged: false,
        }
    }

    /// The same, with another password (`None`: no `PVAULT_PASSWORD` at all).
    pub fn with_password(&self, password: Option<&str>) -> Self {
        Pvault {
            password: password.map(str::to_string),
            ..self.clone()
        }
    }

    /// The same, without `-r` (for `PVAULT_REPOSITORY`).
    pub fn without_repo_flag(&self) -> Self {
        Pvault {
            repo: None,
            ..self.clone()
        }
    }

    /// The same, with an extra environment variable.
    pub fn with_env(&self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        let mut out = self.clone();
        out.envs.push((key.into(), value.into()));
        out
    }

    /// The same, run from the folder `dir`.
    pub fn in_dir(&self, dir: &Path) -> Self {
        Pvault {
            cwd: Some(dir.to_path_buf()),
            ..self.clone()
        }
    }

    /// The same, running `pvault` as uid/gid 65534 through `setpriv` when we are root (root
    /// reads files whatever their mode).
    pub fn unprivileged(&self) -> Self {
        Pvault {
            unprivileged: is_root(),
            ..self.clone()
        }
    }

    /// The repository folder.
    pub fn repo(&self) -> &Path {
        self.repo.as_deref().expect("runner has a repository")
    }

    /// Runs `pvault ARGS` and collects what happened.
    pub fn run<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Output {
        let out = self
            .command(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run pvault: {e}"));
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs `pvault ARGS`, failing the test if it has not ended after `limit`: for the
    /// specifications that say a command must not hang (it is killed first).
    #[track_caller]
    pub fn run_within<S: AsRef<OsStr>>(
        &self,
        limit: std::time::Duration,
        args: impl IntoIterator<Item = S>,
    ) -> Output {
        let child = self
            .command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot run pvault");
        let pid = child.id() as i32;
        // Output is collected while pvault runs, so that a full pipe cannot stall it.
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || sender.send(child.wait_with_output()));
        let out = match receiver.recv_timeout(limit) {
            Ok(out) => out.expect("collect pvault's output"),
            Err(_) => {
                // SAFETY: kill has no memory-safety preconditions.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                let out = receiver.recv().unwrap().expect("collect pvault's output");
                panic!(
                    "pvault did not finish within {limit:?} (it hangs):\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        };
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `pvault ARGS` ready to run, with this runner's repository, password, cache and
    /// environment, and no standard input.
    pub fn command<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Command {
        let bin = &self.bin;
        let mut cmd = if self.unprivileged {
            let mut c = Command::new("setpriv");
            c.args([
                format!("--reuid={NOBODY}"),
                format!("--regid={NOBODY}"),
                "--clear-groups".into(),
            ])
            .arg(bin);
            c
        } else {
            Command::new(bin)
        };
        if let Some(repo) = &self.repo {
            cmd.arg("-r").arg(repo);
        }
        cmd.args(args);
        for (var, _) in std::env::vars_os() {
            if var.as_bytes().starts_with(b"PVAULT_") {
                cmd.env_remove(var);
            }
        }
        cmd.env("XDG_CACHE_HOME", &self.cache);
        if let Some(p) = &self.password {
            cmd.env("PVAULT_PASSWORD", p);
        }
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        if let Some(dir) = &self.cwd {
            cmd.current_dir(dir);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    /// Runs `pvault ARGS` and asserts it succeeds.
    #[track_caller]
    pub fn ok<S: AsRef<OsStr>>(&self, args: impl IntoIterator<Item = S>) -> Output {
        self.run(args).success()
    }

    /// `pvault init` with cheap Argon2 parameters.
    #[track_caller]
    pub fn init(&self) {
        self.init_with(&[]);
    }

    /// `pvault init` with cheap Argon2 parameters and `extra` options (`--pack-size 2`).
    #[track_caller]
    pub fn init_with(&self, extra: &[&str]) {
        self.ok(["init"].iter().chain(&FAST_KDF).chain(extra));
    }

    /// `pvault backup --json PATHS EXTRA...`; returns the summary line.
    #[track_caller]
    pub fn backup(&self, paths: &[&Path], extra: &[&str]) -> serde_json::Value {
        let mut args: Vec<OsString> = vec!["backup".into(), "--json".into()];
        args.extend(extra.iter().map(OsString::from));
        args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
        let summary = self.ok(&args).last_json();
        assert_eq!(summary["message_type"], "summary", "{summary}");
        summary
    }

    /// `pvault restore SPEC --target TARGET EXTRA...`; returns what it printed.
    #[track_caller]
    pub fn restore(&self, spec: &str, target: &Path, extra: &[&str]) -> Output {
        let mut args: Vec<OsString> = vec![spec.into(), "--target".into(), target.into()];
        args.extend(extra.iter().map(OsString::from));
        self.run(std::iter::once(OsString::from("restore")).chain(args))
    }
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
