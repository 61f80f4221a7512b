//! Repository locks: shared for backup and restore, a prune's for prune, exclusive for
//! repairs.
//!
//! A lock is a sealed file under `locks/`, refreshed every five minutes by a background
//! thread while held and removed when the guard is dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use crate::backend::FileKind;
use crate::error::{Error, Result};
use crate::format::lock::Lock;
use crate::format::sealed_file;
use crate::id::BlobId;

use super::{RepoInner, Repository};
use crate::host::{hostname, username};

const REFRESH_EVERY: Duration = Duration::from_secs(5 * 60);

/// How far the clocks of two machines sharing a repository may disagree.
const CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Holds a lock until dropped.
pub struct LockGuard {
    repo: Arc<RepoInner>,
    name: Arc<std::sync::Mutex<String>>,
    stop: Arc<AtomicBool>,
    refresher: Option<JoinHandle<()>>,
    alone_since: Option<SystemTime>,
    prune_running: bool,
}

impl LockGuard {
    /// Whether a prune held a live lock as this one was taken. A backup then leaves packs
    /// that no index lists alone (SPEC W11): the prune may be about to delete them.
    pub fn prune_running(&self) -> bool {
        self.prune_running
    }

    /// How many other processes hold a live lock now (stale ones do not count). A prune
    /// deletes packs only when this is zero after it has rewritten the index (SPEC W9).
    pub fn others_now(&self) -> Result<usize> {
        let own = self.name.lock().expect("lock name").clone();
        Ok(live_locks(&self.repo, &own)?.len())
    }
    /// When no other process held a live lock as this one was taken: the time before which
    /// every file still being written was last written by a process that has ended since
    /// (a writer takes its lock before writing). `None` when another lock was held.
    pub fn alone_since(&self) -> Option<SystemTime> {
        self.alone_since
    }
}

/// Which lock an operation takes (SPEC §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    /// For operations that add or read (backup, restore, check): many may hold one at once.
    Shared,
    /// For operations that remove index files and packs without the two phases of prune
    /// (repairs): held alone.
    Exclusive,
    /// For prune: backups and readers may hold shared locks meanwhile, but no other prune
    /// and no exclusive lock (SPEC W9).
    Prune,
}

/// Which locks [`Repository::unlock`] removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unlock {
    /// Stale locks, unreadable ones, and suspect ones dated in the future (SPEC L5, L6).
    Stale,
    /// Every lock, live or not: only when no other process can be running.
    All,
}

impl Repository {
    /// Takes a lock: a shared one fails only if an exclusive lock is held; a prune's fails if
    /// an exclusive or another prune's lock is held; an exclusive one fails if any other
    /// lock is held. Stale locks are ignored. ([`IndexedRepository::lock`](crate::IndexedRepository::lock)
    /// also brings its index up to date.)
    pub fn lock(&self, kind: LockKind) -> Result<LockGuard> {
        let repo = self.inner.clone();
        let name = write_lock(&repo, kind)?;
        let checked_at = SystemTime::now();
        // Check after writing, so two processes racing both see each other.
        let others = match check_conflicts(&repo, kind, &name) {
            Ok(others) => others,
            Err(e) => {
                let _ = repo.backend.remove(FileKind::Lock, &name);
                return Err(e);
            }
        };
        let prune_running = others.iter().any(|l| l.prune);
        let alone_since = others.is_empty().then(|| checked_at - CLOCK_SKEW);
        let name = Arc::new(std::sync::Mutex::new(name));
        let stop = Arc::new(AtomicBool::new(false));
        let refresher = {
            let (repo, name, stop) = (repo.clone(), name.clone(), stop.clone());
            std::thread::Builder::new()
                .name("pvault-lock".into())
                .spawn(move || refresh_loop(&repo, kind, &name, &stop))
                .ok()
        };
        Ok(LockGuard {
            repo,
            name,
            stop,
            refresher,
            alone_since,
            prune_running,
        })
    }

    /// The shared lock of an operation that only reads (restore, check, mount, a web
    /// viewer), or none when the repository was opened with
    /// [`OpenOptions::no_lock`](crate::OpenOptions::no_lock). Hold it for as long as what
    /// is read must not be pruned.
    pub fn lock_for_reading(&self) -> Result<Option<LockGuard>> {
        if self.inner.no_lock() {
            return Ok(None);
        }
        self.lock(LockKind::Shared).map(Some)
    }

    /// Removes the locks `which` says (see [`Unlock`]). Returns how many were removed.
    pub fn unlock(&self, which: Unlock) -> Result<usize> {
        let all = which == Unlock::All;
        let now = chrono::Local::now().fixed_offset();
        let host = hostname();
        let mut removed = 0;
        for file in self.inner.backend.list(FileKind::Lock)? {
            let stale = match read_lock(&self.inner, &file.name) {
                Ok(lock) => lock.is_stale(now, &host) || lock.is_from_the_future(now),
                Err(_) => true,
            };
            if all || stale {
                self.inner.backend.remove(FileKind::Lock, &file.name)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn write_lock(repo: &RepoInner, kind: LockKind) -> Result<String> {
    let lock = Lock {
        time: chrono::Local::now().fixed_offset(),
        exclusive: kind == LockKind::Exclusive,
        hostname: hostname(),
        username: username(),
        pid: std::process::id(),
        prune: kind == LockKind::Prune,
    };
    let sealed = sealed_file::seal_json(&repo.key, "lock", &lock);
    let name = BlobId::hash_of(&sealed).to_hex();
    repo.backend.write(FileKind::Lock, &name, &sealed)?;
    Ok(name)
}

fn read_lock(repo: &RepoInner, name: &str) -> Result<Lock> {
    let sealed = repo.backend.read_all(FileKind::Lock, name)?;
    sealed_file::open_json(&repo.key, "lock", &format!("lock {name}"), &sealed)
}

/// Fails if a live lock conflicts with one of `kind`; otherwise returns the other live locks.
fn check_conflicts(repo: &RepoInner, kind: LockKind, own: &str) -> Result<Vec<Lock>> {
    let others = live_locks(repo, own)?;
    let conflict = others.iter().find(|lock| match kind {
        LockKind::Exclusive => true,
        LockKind::Prune => lock.exclusive || lock.prune,
        LockKind::Shared => lock.exclusive,
    });
    match conflict {
        Some(lock) => Err(Error::Locked {
            holder: lock.describe(),
        }),
        None => Ok(others),
    }
}

/// Every live lock but `own`. Unreadable locks (another key's garbage) and locks released
/// while listing do not count.
fn live_locks(repo: &RepoInner, own: &str) -> Result<Vec<Lock>> {
    let now = chrono::Local::now().fixed_offset();
    let host = hostname();
    let mut out = Vec::new();
    for file in repo.backend.list(FileKind::Lock)? {
        if file.name == own {
            continue;
        }
        match read_lock(repo, &file.name) {
            Ok(lock) if !lock.is_stale(now, &host) => out.push(lock),
            Ok(_) => {}
            Err(Error::Backend(e)) if !e.is_about_the_file() => return Err(Error::Backend(e)),
            Err(_) => {}
        }
    }
    Ok(out)
}

fn refresh_loop(
    repo: &RepoInner,
    kind: LockKind,
    name: &std::sync::Mutex<String>,
    stop: &AtomicBool,
) {
    let step = Duration::from_millis(200);
    let mut waited = Duration::ZERO;
    while !stop.load(Ordering::Relaxed) {
        // Parked rather than asleep, so that dropping the guard wakes it at once.
        std::thread::park_timeout(step);
        waited += step;
        if waited < REFRESH_EVERY {
            continue;
        }
        waited = Duration::ZERO;
        if let Ok(new_name) = write_lock(repo, kind) {
            let mut current = name.lock().expect("lock name");
            let _ = repo.backend.remove(FileKind::Lock, &current);
            *current = new_name;
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.refresher.take() {
            h.thread().unpark();
            let _ = h.join();
        }
        let name = self.name.lock().expect("lock name").clone();
        let _ = self.repo.backend.remove(FileKind::Lock, &name);
    }
}
