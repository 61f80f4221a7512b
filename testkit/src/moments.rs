//! Random moments for the tests that kill or race processes: a seeded sequence, so that a
//! failing run can be repeated with `PVAULT_CRASH_SEED`.

use std::time::Duration;

/// A seeded source of delays (xorshift64).
#[derive(Debug, Clone)]
pub struct Moments {
    state: u64,
}

impl Moments {
    /// A sequence from `seed`, varied by `PVAULT_CRASH_SEED` when it is set.
    pub fn from_env(seed: u64) -> Self {
        let varied = seed
            ^ std::env::var("PVAULT_CRASH_SEED")
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0);
        Moments { state: varied | 1 }
    }

    /// The next number of the sequence.
    pub fn next_u64(&mut self) -> u64 {
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }

    /// A delay from zero up to `longest`.
    pub fn within(&mut self, longest: Duration) -> Duration {
        Duration::from_micros(self.next_u64() % (longest.as_micros() as u64 + 1))
    }
}
