//! A cache of thumbnails, bounded in bytes: what the web viewer serves again without
//! reading the repository. Thumbnails themselves are made in [`crate::thumbnail`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::thumbnail::Thumbnail;

/// Thumbnails by content (the file's list of blobs, hashed), most recently used kept,
/// bounded in bytes. Shared between threads.
pub struct ThumbnailCache {
    capacity: usize,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    by_key: HashMap<[u8; 32], (Thumbnail, u64)>,
    by_use: BTreeMap<u64, [u8; 32]>,
    bytes: usize,
    tick: u64,
}

impl ThumbnailCache {
    /// A cache holding at most `capacity` bytes of thumbnails.
    pub fn new(capacity: usize) -> ThumbnailCache {
        ThumbnailCache {
            capacity,
            state: Mutex::new(CacheState::default()),
        }
    }

    /// The cache key of a file: a hash of its blob ids.
    pub fn key(node: &crate::Node) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new();
        for id in &node.content {
            hasher.update(&id.0);
        }
        *hasher.finalize().as_bytes()
    }

    /// The cached thumbnail for `key`, marked as just used.
    pub fn get(&self, key: &[u8; 32]) -> Option<Thumbnail> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.tick += 1;
        let tick = state.tick;
        let (thumbnail, used) = state.by_key.get_mut(key)?;
        let old = std::mem::replace(used, tick);
        let thumbnail = thumbnail.clone();
        state.by_use.remove(&old);
        state.by_use.insert(tick, *key);
        Some(thumbnail)
    }

    /// Keeps a thumbnail, dropping the least recently used ones past the capacity.
    pub fn insert(&self, key: [u8; 32], thumbnail: Thumbnail) {
        let size = thumbnail.bytes.len();
        if size > self.capacity {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.tick += 1;
        let tick = state.tick;
        if let Some((old, used)) = state.by_key.insert(key, (thumbnail, tick)) {
            state.bytes -= old.bytes.len();
            state.by_use.remove(&used);
        }
        state.by_use.insert(tick, key);
        state.bytes += size;
        while state.bytes > self.capacity {
            let Some((_, oldest)) = state.by_use.pop_first() else {
                break;
            };
            if let Some((gone, _)) = state.by_key.remove(&oldest) {
                state.bytes -= gone.bytes.len();
            }
        }
    }

    /// Bytes held now.
    pub fn size(&self) -> usize {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::thumbnail::ThumbnailSource;

    #[test]
    fn the_cache_keeps_the_most_recently_used_within_its_bytes() {
        let cache = ThumbnailCache::new(2500);
        let thumb = |n: usize| Thumbnail {
            bytes: vec![0u8; n].into(),
            content_type: "image/jpeg",
            source: ThumbnailSource::Decoded,
        };
        cache.insert([1; 32], thumb(1000));
        cache.insert([2; 32], thumb(1000));
        assert!(cache.get(&[1; 32]).is_some());
        cache.insert([3; 32], thumb(1000));
        assert!(
            cache.get(&[2; 32]).is_none(),
            "least recently used goes first"
        );
        assert!(cache.get(&[1; 32]).is_some());
        assert!(cache.get(&[3; 32]).is_some());
        assert_eq!(cache.size(), 2000);
        cache.insert([4; 32], thumb(5000));
        assert!(cache.get(&[4; 32]).is_none(), "larger than the whole cache");
    }
}
