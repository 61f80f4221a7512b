//! The blob cache: decrypted, verified blobs, shared by every file a browser opens.
//!
//! Least recently used blobs are evicted once the cached bytes exceed the capacity. A blob
//! being fetched is remembered while it is in flight, so a reader that needs a blob the
//! read-ahead is already fetching waits for it instead of fetching it twice. Failures are
//! not cached: the next read tries again (and reports again).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex};

use crate::id::BlobId;

/// A blob's plaintext.
pub(super) type Bytes = Arc<[u8]>;

/// A bounded, shared cache of blob plaintexts.
pub(super) struct BlobCache {
    capacity: u64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Cached blobs and their last use.
    blobs: HashMap<BlobId, (Bytes, u64)>,
    /// Last use → blob: the oldest first.
    by_use: BTreeMap<u64, BlobId>,
    bytes: u64,
    clock: u64,
    in_flight: HashMap<BlobId, Arc<Pending>>,
}

/// A fetch under way; its outcome once done.
#[derive(Default)]
struct Pending {
    outcome: Mutex<Option<Result<Bytes, String>>>,
    done: Condvar,
}

impl BlobCache {
    /// A cache holding at most `capacity` bytes of plaintext.
    pub(super) fn new(capacity: u64) -> Self {
        BlobCache {
            capacity,
            state: Mutex::new(State::default()),
        }
    }

    /// The capacity in bytes.
    pub(super) fn capacity(&self) -> u64 {
        self.capacity
    }

    /// Whether the blob is cached (without marking it used).
    pub(super) fn contains(&self, id: &BlobId) -> bool {
        let state = self.state.lock().expect("blob cache");
        state.blobs.contains_key(id) || state.in_flight.contains_key(id)
    }

    /// The blob `id`: from the cache, from a fetch already under way, or fetched now with
    /// `fetch` (and cached).
    pub(super) fn get_or_fetch(
        &self,
        id: &BlobId,
        fetch: impl FnOnce() -> Result<Vec<u8>, String>,
    ) -> Result<Bytes, String> {
        let pending = {
            let mut state = self.state.lock().expect("blob cache");
            if let Some(bytes) = state.touch(id) {
                return Ok(bytes);
            }
            if let Some(pending) = state.in_flight.get(id).cloned() {
                drop(state);
                return pending.wait();
            }
            let pending = Arc::new(Pending::default());
            state.in_flight.insert(*id, pending.clone());
            pending
        };
        let outcome = fetch().map(Bytes::from);
        {
            let mut state = self.state.lock().expect("blob cache");
            state.in_flight.remove(id);
            if let Ok(bytes) = &outcome {
                state.insert(*id, bytes.clone(), self.capacity);
            }
        }
        *pending.outcome.lock().expect("pending blob") = Some(outcome.clone());
        pending.done.notify_all();
        outcome
    }

    /// Bytes cached now.
    #[cfg(test)]
    pub(super) fn cached_bytes(&self) -> u64 {
        self.state.lock().expect("blob cache").bytes
    }
}

impl State {
    fn touch(&mut self, id: &BlobId) -> Option<Bytes> {
        self.clock += 1;
        let clock = self.clock;
        let (bytes, used) = self.blobs.get_mut(id)?;
        self.by_use.remove(used);
        *used = clock;
        self.by_use.insert(clock, *id);
        Some(bytes.clone())
    }

    fn insert(&mut self, id: BlobId, bytes: Bytes, capacity: u64) {
        let len = bytes.len() as u64;
        if len > capacity || self.blobs.contains_key(&id) {
            return;
        }
        while self.bytes + len > capacity {
            let Some((_, oldest)) = self.by_use.pop_first() else {
                break;
            };
            if let Some((evicted, _)) = self.blobs.remove(&oldest) {
                self.bytes -= evicted.len() as u64;
            }
        }
        self.clock += 1;
        self.by_use.insert(self.clock, id);
        self.blobs.insert(id, (bytes, self.clock));
        self.bytes += len;
    }
}

impl Pending {
    fn wait(&self) -> Result<Bytes, String> {
        let mut outcome = self.outcome.lock().expect("pending blob");
        loop {
            if let Some(outcome) = outcome.as_ref() {
                return outcome.clone();
            }
            outcome = self.done.wait(outcome).expect("pending blob");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn id(n: u8) -> BlobId {
        BlobId([n; 32])
    }

    #[test]
    fn least_recently_used_blobs_go_first() {
        let cache = BlobCache::new(30);
        for n in 1..=3 {
            cache.get_or_fetch(&id(n), || Ok(vec![n; 10])).unwrap();
        }
        // Use 1 again, then add 4: 2 is the least recently used.
        cache.get_or_fetch(&id(1), || panic!("cached")).unwrap();
        cache.get_or_fetch(&id(4), || Ok(vec![4; 10])).unwrap();
        assert_eq!(cache.cached_bytes(), 30);
        assert!(cache.contains(&id(1)) && cache.contains(&id(3)) && cache.contains(&id(4)));
        assert!(!cache.contains(&id(2)));
        // Too large to cache: returned, not kept.
        let big = cache.get_or_fetch(&id(9), || Ok(vec![9; 31])).unwrap();
        assert_eq!(big.len(), 31);
        assert!(!cache.contains(&id(9)));
        assert_eq!(cache.cached_bytes(), 30);
    }

    #[test]
    fn failures_are_not_cached() {
        let cache = BlobCache::new(100);
        assert!(cache
            .get_or_fetch(&id(1), || Err("damaged".into()))
            .is_err());
        assert_eq!(&*cache.get_or_fetch(&id(1), || Ok(vec![1])).unwrap(), &[1]);
    }

    #[test]
    fn concurrent_readers_share_one_fetch() {
        let cache = Arc::new(BlobCache::new(1 << 20));
        let fetches = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (cache, fetches) = (cache.clone(), fetches.clone());
                std::thread::spawn(move || {
                    cache
                        .get_or_fetch(&id(7), || {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            Ok(vec![7; 100])
                        })
                        .unwrap()
                        .len()
                })
            })
            .collect();
        for t in threads {
            assert_eq!(t.join().unwrap(), 100);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }
}
