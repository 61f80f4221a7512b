//! A backend that misbehaves like a bad network, for tests of everything above it.
//!
//! [`Flaky`] wraps a backend and, at the rates it is given, fails calls with transient
//! errors (before or after the call reached the store), returns range reads cut short,
//! stores only the first part of an object and then fails, and delays calls. Its faults are
//! drawn from a seeded generator, so a failing run can be repeated. With [`Retrying`](super::Retrying)
//! on top, an operation must come through all of it with nothing lost; on its own it shows
//! that a failure leaves no object that later looks valid.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::{Backend, BackendError, BackendResult, FileInfo, FileKind, PendingWrite};

/// How often each fault happens, as fractions of the calls it can happen to.
#[derive(Debug, Clone, Copy, Default)]
pub struct FaultRates {
    /// Calls that fail with a transient error; half of these fail after the call went
    /// through (a lost answer).
    pub fail: f64,
    /// Range reads that return fewer bytes than asked, without an error.
    pub truncate: f64,
    /// Whole-object writes that store only a prefix under the name, then fail.
    pub partial_write: f64,
    /// Calls delayed by up to `max_delay`.
    pub delay: f64,
    /// The longest delay.
    pub max_delay: Duration,
}

impl FaultRates {
    /// `fail` of all calls fail, and as many reads and writes come back short.
    pub fn failing(fail: f64) -> Self {
        FaultRates {
            fail,
            truncate: fail,
            partial_write: fail,
            delay: fail,
            max_delay: Duration::from_millis(2),
        }
    }
}

/// Wraps a backend and injects faults (see the module documentation).
#[derive(Debug)]
pub struct Flaky {
    inner: Arc<dyn Backend>,
    rates: FaultRates,
    state: AtomicU64,
    injected: AtomicU64,
}

enum Fault {
    None,
    Before,
    After,
}

impl Flaky {
    /// Wraps `inner`; `seed` fixes the sequence of faults.
    pub fn new(inner: Arc<dyn Backend>, rates: FaultRates, seed: u64) -> Self {
        Flaky {
            inner,
            rates,
            state: AtomicU64::new(seed ^ 0x9e37_79b9_7f4a_7c15),
            injected: AtomicU64::new(0),
        }
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }

    /// A uniform draw in [0, 1) (splitmix64 over a shared counter).
    fn draw(&self) -> f64 {
        let mut z = self
            .state
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    fn happens(&self, rate: f64) -> bool {
        let hit = rate > 0.0 && self.draw() < rate;
        if hit {
            self.injected.fetch_add(1, Ordering::Relaxed);
        }
        hit
    }

    fn maybe_delay(&self) {
        if self.happens(self.rates.delay) {
            std::thread::sleep(self.rates.max_delay.mul_f64(self.draw()));
        }
    }

    fn fault(&self) -> Fault {
        self.maybe_delay();
        if !self.happens(self.rates.fail) {
            Fault::None
        } else if self.draw() < 0.5 {
            Fault::Before
        } else {
            Fault::After
        }
    }

    fn error(&self, op: &'static str, path: String) -> BackendError {
        BackendError::Remote {
            location: self.inner.location(),
            op,
            path,
            message: "injected fault: connection reset".into(),
            transient: true,
        }
    }

    /// Runs `call` under a drawn fault: failing before it, after it, or not at all.
    fn around<T>(
        &self,
        op: &'static str,
        path: impl Fn() -> String,
        call: impl FnOnce() -> BackendResult<T>,
    ) -> BackendResult<T> {
        match self.fault() {
            Fault::None => call(),
            Fault::Before => Err(self.error(op, path())),
            Fault::After => {
                call()?;
                Err(self.error(op, path()))
            }
        }
    }
}

impl Backend for Flaky {
    fn location(&self) -> String {
        self.inner.location()
    }

    fn create(&self) -> BackendResult<()> {
        self.around("create", || "/".into(), || self.inner.create())
    }

    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>> {
        self.around("list", || kind.dir().into(), || self.inner.list(kind))
    }

    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>> {
        let key = || super::object_key(kind, name);
        let mut bytes = self.around("read", key, || self.inner.read(kind, name, offset, length))?;
        if length > 0 && !bytes.is_empty() && self.happens(self.rates.truncate) {
            let keep = (self.draw() * bytes.len() as f64) as usize;
            bytes.truncate(keep);
        }
        Ok(bytes)
    }

    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()> {
        if data.len() > 1 && self.happens(self.rates.partial_write) {
            let part = &data[..data.len() / 2];
            self.inner.write(kind, name, part)?;
            return Err(self.error("write", super::object_key(kind, name)));
        }
        self.around(
            "write",
            || super::object_key(kind, name),
            || self.inner.write(kind, name, data),
        )
    }

    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        self.around(
            "remove",
            || super::object_key(kind, name),
            || self.inner.remove(kind, name),
        )
    }

    fn begin_write(&self, kind: FileKind) -> BackendResult<Box<dyn PendingWrite>> {
        self.inner.begin_write(kind)
    }

    fn finish_write(&self, pending: &mut dyn PendingWrite, name: &str) -> BackendResult<()> {
        let kind = pending.kind();
        self.around(
            "write",
            || super::object_key(kind, name),
            || self.inner.finish_write(pending, name),
        )
    }

    fn remove_unfinished_writes(&self, before: std::time::SystemTime) -> BackendResult<u64> {
        self.inner.remove_unfinished_writes(before)
    }

    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }

    fn parallel_writes(&self) -> usize {
        self.inner.parallel_writes()
    }
}
