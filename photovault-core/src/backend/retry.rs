//! Trying again: what turns a flaky network into a reliable store.
//!
//! A network store fails now and then (a timeout, a throttled request, a reset connection)
//! in ways that a second attempt a moment later fixes. [`Retrying`] wraps any backend and
//! repeats a call that failed with a transient error ([`BackendError::is_transient`]),
//! waiting exponentially longer each time with random jitter, until the policy's attempts
//! are used up; the final error is the store's own, naming the object and the operation.
//!
//! It also catches what a store delivers wrong without saying so: a range read that comes
//! back shorter than asked is tried again, and a whole object whose bytes do not hash to
//! its name (every name but `config` is the BLAKE3 of the object, SPEC §3) is read a second
//! time; if both reads agree, that is what is stored, and the reader's own check (rule R1)
//! reports it as damage.
//!
//! Writes are safe to repeat: objects are named by their content, a pending write can be
//! finished again from the same bytes, and a removal whose first attempt succeeded
//! although its answer was lost finds the object gone, which counts as done.

use std::sync::Arc;
use std::time::Duration;

use super::{Backend, BackendError, BackendResult, FileInfo, FileKind, PendingWrite};

/// How often and how patiently to try again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// The wait before the second attempt; each later wait doubles, up to `max_delay`.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Ten attempts over about a minute and a half: enough to ride out a restarting server
    /// or a few seconds of throttling, short enough that a dead store is reported.
    fn default() -> Self {
        RetryPolicy {
            attempts: 10,
            first_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No waiting between attempts (tests).
    pub fn immediate(attempts: u32) -> Self {
        RetryPolicy {
            attempts,
            first_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }

    /// The wait after failed attempt `n` (1-based): full jitter over an exponentially
    /// growing ceiling, so that many clients failing together do not retry together.
    fn delay(&self, n: u32) -> Duration {
        let ceiling = self
            .first_delay
            .saturating_mul(1u32 << n.saturating_sub(1).min(20))
            .min(self.max_delay);
        let mut random = [0u8; 4];
        crate::crypto::random_bytes(&mut random);
        let fraction = 0.5 + f64::from(u32::from_le_bytes(random)) / f64::from(u32::MAX) / 2.0;
        ceiling.mul_f64(fraction)
    }

    /// Runs `call` until it succeeds, fails with an error that is not transient, or the
    /// attempts are used up.
    pub fn run<T>(&self, mut call: impl FnMut(u32) -> BackendResult<T>) -> BackendResult<T> {
        let mut attempt = 1;
        loop {
            match call(attempt) {
                Err(e) if e.is_transient() && attempt < self.attempts.max(1) => {
                    std::thread::sleep(self.delay(attempt));
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// A backend whose transient failures are tried again (see the module documentation).
#[derive(Debug)]
pub struct Retrying {
    inner: Arc<dyn Backend>,
    policy: RetryPolicy,
}

impl Retrying {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Backend>, policy: RetryPolicy) -> Self {
        Retrying { inner, policy }
    }

    fn short_read(&self, kind: FileKind, name: &str, got: usize, wanted: u64) -> BackendError {
        BackendError::Remote {
            location: self.inner.location(),
            op: "read",
            path: super::object_key(kind, name),
            message: format!("the store sent {got} of the {wanted} bytes asked for"),
            transient: true,
        }
    }
}

/// Whether `bytes` are what an object called `name` must hold.
fn matches_its_name(kind: FileKind, name: &str, bytes: &[u8]) -> bool {
    kind == FileKind::Config || blake3::hash(bytes).to_hex().as_str() == name
}

impl Backend for Retrying {
    fn location(&self) -> String {
        self.inner.location()
    }

    fn create(&self) -> BackendResult<()> {
        self.policy.run(|_| self.inner.create())
    }

    fn list(&self, kind: FileKind) -> BackendResult<Vec<FileInfo>> {
        self.policy.run(|_| self.inner.list(kind))
    }

    fn read(&self, kind: FileKind, name: &str, offset: u64, length: u64) -> BackendResult<Vec<u8>> {
        let whole = offset == 0 && length == 0;
        let mut last: Option<Vec<u8>> = None;
        let result = self.policy.run(|_| {
            let bytes = self.inner.read(kind, name, offset, length)?;
            if length > 0 && bytes.len() as u64 != length {
                return Err(self.short_read(kind, name, bytes.len(), length));
            }
            if !whole || matches_its_name(kind, name, &bytes) {
                return Ok(bytes);
            }
            // Not what the name promises: damaged where it is stored (then a second read
            // agrees, and the reader's own check reports it) or on the way here (then the
            // two differ, and the read is tried again).
            let again = self.inner.read(kind, name, offset, length)?;
            if again == bytes {
                return Ok(bytes);
            }
            let got = again.len();
            last = Some(again);
            Err(BackendError::Remote {
                location: self.inner.location(),
                op: "read",
                path: super::object_key(kind, name),
                message: format!("the {got} bytes received do not match the object's name"),
                transient: true,
            })
        });
        match (result, last) {
            // Attempts used up while reads kept differing: hand over the last one, for
            // the reader's check to name the damage.
            (Err(e), Some(last)) if e.is_transient() => Ok(last),
            (result, _) => result,
        }
    }

    fn write(&self, kind: FileKind, name: &str, data: &[u8]) -> BackendResult<()> {
        self.policy.run(|_| self.inner.write(kind, name, data))
    }

    fn remove(&self, kind: FileKind, name: &str) -> BackendResult<()> {
        self.policy
            .run(|attempt| match self.inner.remove(kind, name) {
                // An earlier attempt removed it and only its answer was lost.
                Err(e) if attempt > 1 && e.is_not_found() => Ok(()),
                other => other,
            })
    }

    fn begin_write(&self, kind: FileKind) -> BackendResult<Box<dyn PendingWrite>> {
        self.policy.run(|_| self.inner.begin_write(kind))
    }

    fn finish_write(&self, pending: &mut dyn PendingWrite, name: &str) -> BackendResult<()> {
        self.policy.run(|_| self.inner.finish_write(pending, name))
    }

    fn remove_unfinished_writes(&self, before: std::time::SystemTime) -> BackendResult<u64> {
        self.policy
            .run(|_| self.inner.remove_unfinished_writes(before))
    }

    fn is_remote(&self) -> bool {
        self.inner.is_remote()
    }

    fn parallel_writes(&self) -> usize {
        self.inner.parallel_writes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_grow_exponentially_with_jitter_up_to_the_ceiling() {
        let policy = RetryPolicy {
            attempts: 10,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for _ in 0..50 {
            let first = policy.delay(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.delay(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(policy.delay(30) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn only_transient_failures_are_tried_again_and_only_as_often_as_allowed() {
        let transient = || BackendError::Remote {
            location: "test".into(),
            op: "read",
            path: "config".into(),
            message: "503".into(),
            transient: true,
        };
        let mut calls = 0;
        let result: BackendResult<()> = RetryPolicy::immediate(4).run(|_| {
            calls += 1;
            Err(transient())
        });
        assert!(result.is_err());
        assert_eq!(calls, 4);

        let mut calls = 0;
        let result: BackendResult<()> = RetryPolicy::immediate(4).run(|_| {
            calls += 1;
            Err(BackendError::NotFound {
                location: "test".into(),
                kind: FileKind::Key,
                name: "k".into(),
            })
        });
        assert!(result.is_err());
        assert_eq!(calls, 1, "a missing object is not worth asking for again");

        let mut calls = 0;
        let result = RetryPolicy::immediate(4).run(|n| {
            calls += 1;
            if n < 3 {
                Err(transient())
            } else {
                Ok(n)
            }
        });
        assert_eq!(result.unwrap(), 3);
    }
}
