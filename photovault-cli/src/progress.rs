//! Progress for people (indicatif bars on a terminal) and scripts (`--json` status lines).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use photovault_core::{
    BackupProgress, DryRunAction, EntryReport, FileStatus, RestoreProgress, UnverifiedPack,
};

#[derive(Default)]
struct Counts {
    total_files: AtomicU64,
    total_bytes: AtomicU64,
    files_done: AtomicU64,
    bytes_done: AtomicU64,
    files_skipped: AtomicU64,
    bytes_skipped: AtomicU64,
    errors: AtomicU64,
}

/// Shared by backup and restore.
pub struct Progress {
    bar: Option<ProgressBar>,
    json: bool,
    counts: Arc<Counts>,
    stop: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
    interrupted: Arc<AtomicBool>,
}

impl Progress {
    /// A bar when stderr is a terminal and output is not JSON or quiet; JSON status lines
    /// once a second with `--json`; nothing otherwise.
    pub fn new(json: bool, quiet: bool, verb: &'static str) -> Self {
        let counts = Arc::new(Counts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let bar = (!json && !quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(&format!(
                    "{verb} {{bar:30}} {{bytes}}/{{total_bytes}} {{bytes_per_sec}} ETA {{eta}} {{msg}}"
                ))
                .expect("valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let ticker = json.then(|| {
            let (counts, stop) = (counts.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut waited = 0;
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(100));
                    waited += 1;
                    if waited % 10 == 0 {
                        status_line(&counts);
                    }
                }
            })
        });
        Progress {
            bar,
            json,
            counts,
            stop,
            ticker,
            interrupted: Arc::new(AtomicBool::new(false)),
        }
    }

    fn add_bytes(&self, n: u64) {
        self.counts.bytes_done.fetch_add(n, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn add_totals(&self, files: u64, bytes: u64) {
        self.counts.total_files.fetch_add(files, Ordering::Relaxed);
        let total = self.counts.total_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    fn file(&self) {
        let done = self.counts.files_done.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(bar) = &self.bar {
            if done % 64 == 0 {
                bar.set_message(format!("{done} files"));
            }
        }
    }

    fn report_error(&self, path: &Path, message: &str) {
        self.counts.errors.fetch_add(1, Ordering::Relaxed);
        self.say(&format!("error: {}: {message}", path.display()));
        if self.json {
            crate::print_json(&serde_json::json!({
                "message_type": "error", "item": path.display().to_string(), "error": message,
            }));
        }
    }

    /// From now on, Ctrl-C (and SIGTERM, SIGHUP) asks the operation to stop cleanly instead
    /// of killing the process; a second Ctrl-C while it stops is ignored.
    pub fn stop_on_ctrl_c(&self) {
        let interrupted = self.interrupted.clone();
        let _ = ctrlc::set_handler(move || interrupted.store(true, Ordering::Relaxed));
    }

    /// Prints a line on stderr without tearing the bar.
    fn say(&self, line: &str) {
        let line = crate::terminal::safe(line);
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// Stops the bar and the ticker.
    pub fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

fn status_line(c: &Counts) {
    let total = c.total_bytes.load(Ordering::Relaxed);
    let done = c.bytes_done.load(Ordering::Relaxed);
    let finished = done + c.bytes_skipped.load(Ordering::Relaxed);
    crate::print_json(&serde_json::json!({
        "message_type": "status",
        "percent_done": if total > 0 { finished as f64 / total as f64 } else { 0.0 },
        "total_files": c.total_files.load(Ordering::Relaxed),
        "files_done": c.files_done.load(Ordering::Relaxed),
        "total_bytes": total,
        "bytes_done": done,
        "files_skipped": c.files_skipped.load(Ordering::Relaxed),
        "bytes_skipped": c.bytes_skipped.load(Ordering::Relaxed),
        "error_count": c.errors.load(Ordering::Relaxed),
    }));
}

impl BackupProgress for Progress {
    fn wants_totals(&self) -> bool {
        self.bar.is_some() || self.json
    }
    fn totals(&self, files: u64, bytes: u64) {
        self.add_totals(files, bytes);
    }
    fn bytes_done(&self, bytes: u64) {
        self.add_bytes(bytes);
    }
    fn file_done(&self, _path: &Path, _size: u64, _status: FileStatus) {
        self.file();
    }
    fn error(&self, report: &EntryReport) {
        self.report_error(&report.path, &report.problem.to_string());
    }
    fn skipped(&self, path: &Path, reason: &str) {
        self.say(&format!("skipped {}: {reason}", path.display()));
    }
    fn warning(&self, report: &EntryReport) {
        let (path, message) = (&report.path, report.problem.to_string());
        self.say(&format!("warning: {}: {message}", path.display()));
        if self.json {
            crate::print_json(&serde_json::json!({
                "message_type": "warning", "item": path.display().to_string(), "warning": message,
            }));
        }
    }
    fn source_damaged(&self, report: &EntryReport) {
        let (path, message) = (&report.path, report.problem.to_string());
        self.say(&format!(
            "DAMAGED SOURCE FILE: {}: {message}",
            path.display()
        ));
        if self.json {
            let good_copy = match &report.problem {
                photovault_core::EntryProblem::SourceDamaged { good_copy } => good_copy.to_hex(),
                _ => String::new(),
            };
            crate::print_json(&serde_json::json!({
                "message_type": "source_damaged", "item": path.display().to_string(),
                "good_copy": good_copy, "message": message,
            }));
        }
    }
    fn pack_unverified(&self, unverified: &UnverifiedPack) {
        self.say(&format!(
            "warning: pack {} is in the repository but in no index, and does not verify ({}); \
             it was not used. Run `pvault check --read-data`.",
            unverified.pack, unverified.reason
        ));
        if self.json {
            crate::print_json(&serde_json::json!({
                "message_type": "warning", "pack": unverified.pack.to_hex(),
                "warning": "pack does not verify and was not used", "reason": unverified.reason,
            }));
        }
    }
}

impl RestoreProgress for Progress {
    fn cancelled(&self) -> bool {
        self.interrupted.load(Ordering::Relaxed)
    }
    fn planned(&self, files: u64, bytes: u64) {
        self.add_totals(files, bytes);
    }
    fn bytes_done(&self, bytes: u64) {
        self.add_bytes(bytes);
    }
    fn file_done(&self, _path: &Path, _size: u64) {
        self.file();
    }
    fn would(&self, path: &Path, action: DryRunAction) {
        let (verb, size) = match action {
            DryRunAction::Write(size) => ("write", Some(size)),
            DryRunAction::Keep(size) => ("keep", Some(size)),
            DryRunAction::Delete => ("delete", None),
            _ => ("?", None),
        };
        if self.json {
            crate::print_json(&serde_json::json!({
                "message_type": "dry_run", "action": verb, "item": path.display().to_string(), "size": size,
            }));
        } else {
            let shown = size.map(bytes).unwrap_or_default();
            let line = format!("would {verb:<6} {shown:>10}  {}", path.display());
            match &self.bar {
                Some(bar) => bar.suspend(|| println!("{}", crate::terminal::safe(&line))),
                None => println!("{}", crate::terminal::safe(&line)),
            }
        }
    }
    fn skipped(&self, bytes: u64) {
        // Counted apart from what is written, but on the same bar, so the ETA covers both.
        self.counts.files_skipped.fetch_add(1, Ordering::Relaxed);
        self.counts
            .bytes_skipped
            .fetch_add(bytes, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }
    fn error(&self, report: &EntryReport) {
        self.report_error(&report.path, &report.problem.to_string());
    }
}

/// `1.23 GiB`.
pub fn bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}
