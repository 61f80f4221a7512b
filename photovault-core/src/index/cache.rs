//! The local index cache: a redb database under the user's cache folder.
//!
//! Tables: `blobs` (blob id → pack number and record), `packs` (pack number → pack id),
//! `pack_numbers` (pack id → number), `index_files` (index file id → blob count), and
//! `elsewhere` (blob id → further records of a blob stored in more than one pack). Pack
//! numbers keep each blob's record at 18 bytes. A blob's first indexed location stays its
//! primary one: a pack that appears later (another index file, an adopted leftover) can add
//! a location but never displace one; readers try the others when one fails. The cache is rebuilt from scratch whenever an
//! index file it mirrors has disappeared from the repository (after prune), and it is always
//! safe to delete.

use std::path::Path;
use std::sync::{Arc, RwLock};

use rayon::prelude::*;
use redb::{
    Database, Durability, ReadOnlyTable, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition,
};

use crate::backend::{Backend, FileKind};
use crate::crypto::MasterKey;
use crate::error::{Error, Result};
use crate::format::blob::{BlobEntry, BlobKind, BlobLocation, Compression};
use crate::format::index_file::IndexFile;
use crate::id::{BlobId, IndexId, PackId};

use super::files::read_index_file;

const BLOBS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("blobs");
const PACKS: TableDefinition<u32, &[u8]> = TableDefinition::new("packs");
const PACK_NUMBERS: TableDefinition<&[u8], u32> = TableDefinition::new("pack_numbers");
const INDEX_FILES: TableDefinition<&str, u64> = TableDefinition::new("index_files");
const ELSEWHERE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("elsewhere");

/// Name of the cache file; a new layout gets a new name, so an old cache is never misread.
pub(crate) const CACHE_FILE: &str = "index-v2.redb";
/// Cache files of earlier layouts, removed when found.
pub(crate) const OLD_CACHE_FILES: [&str; 1] = ["index.redb"];

/// redb's page cache; the index itself stays on disk.
const PAGE_CACHE_BYTES: usize = 32 << 20;

pub(crate) struct IndexCache {
    db: Database,
    path: String,
    /// A read transaction shared by every lookup until the next write: opening one per
    /// lookup would cost more than the lookup itself.
    reader: RwLock<Option<Arc<Reader>>>,
}

struct Reader {
    blobs: ReadOnlyTable<&'static [u8], &'static [u8]>,
    packs: ReadOnlyTable<u32, &'static [u8]>,
}

impl IndexCache {
    /// Opens (or creates) the cache file, or an in-memory cache when `path` is `None` or the
    /// file is held by another running pvault.
    pub(crate) fn open(path: Option<&Path>) -> Result<Self> {
        if let Some(path) = path {
            let shown = path.display().to_string();
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| Error::cache(&shown, e))?;
            }
            match Database::builder()
                .set_cache_size(PAGE_CACHE_BYTES)
                .create(path)
            {
                Ok(db) => return Self::prepared(db, shown),
                Err(redb::DatabaseError::DatabaseAlreadyOpen) => {}
                Err(e) => {
                    // A damaged cache is only a cache: start a new one.
                    let _ = std::fs::remove_file(path);
                    let db = Database::builder()
                        .set_cache_size(PAGE_CACHE_BYTES)
                        .create(path)
                        .map_err(|e2| Error::cache(&shown, format!("{e}; recreating: {e2}")))?;
                    return Self::prepared(db, shown);
                }
            }
        }
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| Error::cache("memory", e))?;
        Self::prepared(db, "memory".into())
    }

    fn prepared(db: Database, path: String) -> Result<Self> {
        let cache = IndexCache {
            db,
            path,
            reader: RwLock::new(None),
        };
        let txn = cache.db.begin_write().map_err(|e| cache.err(e))?;
        {
            txn.open_table(BLOBS).map_err(|e| cache.err(e))?;
            txn.open_table(PACKS).map_err(|e| cache.err(e))?;
            txn.open_table(PACK_NUMBERS).map_err(|e| cache.err(e))?;
            txn.open_table(INDEX_FILES).map_err(|e| cache.err(e))?;
            txn.open_table(ELSEWHERE).map_err(|e| cache.err(e))?;
        }
        txn.commit().map_err(|e| cache.err(e))?;
        Ok(cache)
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::cache(&self.path, e)
    }

    /// Loads index files the cache has not seen; starts over if one it mirrors is gone.
    /// Returns how many blob records it loaded. An index file removed between listing and
    /// reading (a prune replacing index files meanwhile) makes it list again.
    pub(crate) fn sync(&self, backend: &dyn Backend, key: &MasterKey) -> Result<usize> {
        let mut attempts = 0;
        loop {
            match self.sync_once(backend, key) {
                Err(Error::Backend(e)) if e.is_not_found() && attempts < 10 => attempts += 1,
                result => return result,
            }
        }
    }

    fn sync_once(&self, backend: &dyn Backend, key: &MasterKey) -> Result<usize> {
        let listed: Vec<String> = backend
            .list(FileKind::Index)?
            .into_iter()
            .map(|f| f.name)
            .collect();
        let known = self.known_index_files()?;
        let listed_set: std::collections::HashSet<&str> =
            listed.iter().map(String::as_str).collect();
        if known.iter().any(|k| !listed_set.contains(k.as_str())) {
            self.clear()?;
            return self.load_files(backend, key, &listed);
        }
        let known_set: std::collections::HashSet<&str> = known.iter().map(String::as_str).collect();
        let missing: Vec<String> = listed
            .into_iter()
            .filter(|n| !known_set.contains(n.as_str()))
            .collect();
        self.load_files(backend, key, &missing)
    }

    fn load_files(
        &self,
        backend: &dyn Backend,
        key: &MasterKey,
        names: &[String],
    ) -> Result<usize> {
        let mut loaded = 0;
        // A few files at a time: each decoded file holds up to 50,000 entries in memory.
        for batch in names.chunks(8) {
            let files: Vec<(IndexId, IndexFile)> = batch
                .par_iter()
                .map(|name| read_index_file(backend, key, name))
                .collect::<Result<_>>()?;
            let files: Vec<(&IndexId, &IndexFile)> = files.iter().map(|(i, f)| (i, f)).collect();
            self.insert_index_files(&files)?;
            loaded += files.iter().map(|(_, f)| f.blob_count()).sum::<usize>();
        }
        Ok(loaded)
    }

    /// Gives back the space that loading many index files left free (each transaction
    /// rewrites the pages it touches, and the old copies stay in the file). Takes time in
    /// proportion to the file; a failure only leaves the file larger.
    pub(crate) fn compact(&mut self) {
        *self.reader.get_mut().expect("index reader") = None;
        while let Ok(true) = self.db.compact() {}
    }

    fn known_index_files(&self) -> Result<Vec<String>> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = txn.open_table(INDEX_FILES).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        for row in table.iter().map_err(|e| self.err(e))? {
            let (k, _) = row.map_err(|e| self.err(e))?;
            out.push(k.value().to_string());
        }
        Ok(out)
    }

    fn clear(&self) -> Result<()> {
        let txn = self.db.begin_write().map_err(|e| self.err(e))?;
        txn.delete_table(BLOBS).map_err(|e| self.err(e))?;
        txn.delete_table(PACKS).map_err(|e| self.err(e))?;
        txn.delete_table(PACK_NUMBERS).map_err(|e| self.err(e))?;
        txn.delete_table(INDEX_FILES).map_err(|e| self.err(e))?;
        txn.delete_table(ELSEWHERE).map_err(|e| self.err(e))?;
        {
            txn.open_table(BLOBS).map_err(|e| self.err(e))?;
            txn.open_table(PACKS).map_err(|e| self.err(e))?;
            txn.open_table(PACK_NUMBERS).map_err(|e| self.err(e))?;
            txn.open_table(INDEX_FILES).map_err(|e| self.err(e))?;
            txn.open_table(ELSEWHERE).map_err(|e| self.err(e))?;
        }
        self.committed(txn)
    }

    /// Commits a write and retires the shared reader, which no longer sees everything.
    fn committed(&self, txn: redb::WriteTransaction) -> Result<()> {
        txn.commit().map_err(|e| self.err(e))?;
        *self.reader.write().expect("index reader") = None;
        Ok(())
    }

    fn reader(&self) -> Result<Arc<Reader>> {
        if let Some(reader) = &*self.reader.read().expect("index reader") {
            return Ok(Arc::clone(reader));
        }
        // Begun under the lock, so a commit's retirement always comes after this reader's
        // snapshot or before it.
        let mut slot = self.reader.write().expect("index reader");
        if let Some(reader) = &*slot {
            return Ok(Arc::clone(reader));
        }
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let reader = Arc::new(Reader {
            blobs: txn.open_table(BLOBS).map_err(|e| self.err(e))?,
            packs: txn.open_table(PACKS).map_err(|e| self.err(e))?,
        });
        *slot = Some(Arc::clone(&reader));
        Ok(reader)
    }

    /// Adds one index file's entries and remembers the file, in one transaction.
    pub(crate) fn insert_index_file(&self, id: &IndexId, file: &IndexFile) -> Result<()> {
        self.insert_index_files(&[(id, file)])
    }

    /// Adds several index files in one transaction, their entries in key order. Each
    /// transaction rewrites every B-tree page it touches, and random ids touch most of them:
    /// a few large sorted transactions build a big cache many times faster than one per file.
    fn insert_index_files(&self, files: &[(&IndexId, &IndexFile)]) -> Result<()> {
        let mut txn = self.db.begin_write().map_err(|e| self.err(e))?;
        txn.set_durability(Durability::Immediate)
            .map_err(|e| self.err(e))?;
        {
            let mut blobs = txn.open_table(BLOBS).map_err(|e| self.err(e))?;
            let mut packs = txn.open_table(PACKS).map_err(|e| self.err(e))?;
            let mut numbers = txn.open_table(PACK_NUMBERS).map_err(|e| self.err(e))?;
            let mut known = txn.open_table(INDEX_FILES).map_err(|e| self.err(e))?;
            let mut next = packs.len().map_err(|e| self.err(e))? as u32;
            let total = files.iter().map(|(_, f)| f.blob_count()).sum();
            let mut records: Vec<(BlobId, [u8; 18])> = Vec::with_capacity(total);
            for (id, file) in files {
                for pack in &file.packs {
                    let existing = numbers
                        .get(pack.id.as_bytes().as_slice())
                        .map_err(|e| self.err(e))?
                        .map(|v| v.value());
                    let number = match existing {
                        Some(n) => n,
                        None => {
                            let n = next;
                            next += 1;
                            packs
                                .insert(n, pack.id.as_bytes().as_slice())
                                .map_err(|e| self.err(e))?;
                            numbers
                                .insert(pack.id.as_bytes().as_slice(), n)
                                .map_err(|e| self.err(e))?;
                            n
                        }
                    };
                    records.extend(pack.blobs.iter().map(|e| (e.id, encode_value(number, e))));
                }
                known
                    .insert(id.to_hex().as_str(), file.blob_count() as u64)
                    .map_err(|e| self.err(e))?;
            }
            // Stable, so that of two records of one blob the first in file order is met first.
            records.sort_by_key(|r| r.0);
            let mut elsewhere = txn.open_table(ELSEWHERE).map_err(|e| self.err(e))?;
            for (id, value) in &records {
                let key = id.as_bytes().as_slice();
                let earlier = blobs
                    .insert(key, value.as_slice())
                    .map_err(|e| self.err(e))?
                    .map(|old| old.value().to_vec());
                let Some(earlier) = earlier else { continue };
                // Known already: the earlier location stays primary, this one is recorded
                // as another place the blob can be read from (once).
                blobs
                    .insert(key, earlier.as_slice())
                    .map_err(|e| self.err(e))?;
                if earlier.as_slice() == value.as_slice() {
                    continue; // the same record listed twice
                }
                let mut others = elsewhere
                    .get(key)
                    .map_err(|e| self.err(e))?
                    .map(|v| v.value().to_vec())
                    .unwrap_or_default();
                if !others.chunks_exact(18).any(|r| r == value.as_slice()) {
                    others.extend_from_slice(value);
                    elsewhere
                        .insert(key, others.as_slice())
                        .map_err(|e| self.err(e))?;
                }
            }
        }
        self.committed(txn)
    }

    /// A blob's primary record without the pack it is in (one table lookup): its kind and
    /// lengths, for walks that only ask what a blob is.
    pub(crate) fn entry(&self, id: &BlobId) -> Result<Option<BlobEntry>> {
        let reader = self.reader()?;
        Ok(self.primary(&reader, id)?.map(|(_, entry)| entry))
    }

    pub(crate) fn get(&self, id: &BlobId) -> Result<Option<BlobLocation>> {
        let reader = self.reader()?;
        let Some((number, entry)) = self.primary(&reader, id)? else {
            return Ok(None);
        };
        let pack = self.pack_at(&reader.packs, number)?;
        Ok(Some(BlobLocation { pack, entry }))
    }

    /// A blob's primary record: its pack number and entry.
    fn primary(&self, reader: &Reader, id: &BlobId) -> Result<Option<(u32, BlobEntry)>> {
        let Some(value) = reader
            .blobs
            .get(id.as_bytes().as_slice())
            .map_err(|e| self.err(e))?
        else {
            return Ok(None);
        };
        decode_value(*id, value.value())
            .map(Some)
            .map_err(|e| self.err(e))
    }

    /// Every location of a blob: the primary one first, then the others in the order they
    /// were indexed. Empty if the cache does not list it.
    pub(crate) fn locations(&self, id: &BlobId) -> Result<Vec<BlobLocation>> {
        let Some(primary) = self.get(id)? else {
            return Ok(Vec::new());
        };
        let mut out = vec![primary];
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let elsewhere = txn.open_table(ELSEWHERE).map_err(|e| self.err(e))?;
        let Some(others) = elsewhere
            .get(id.as_bytes().as_slice())
            .map_err(|e| self.err(e))?
        else {
            return Ok(out);
        };
        let packs = txn.open_table(PACKS).map_err(|e| self.err(e))?;
        for record in others.value().chunks_exact(18) {
            let (number, entry) = decode_value(*id, record).map_err(|e| self.err(e))?;
            let pack = self.pack_at(&packs, number)?;
            out.push(BlobLocation { pack, entry });
        }
        Ok(out)
    }

    /// Calls `each` with every location the cache holds, primary ones (`true`) and then
    /// further ones (`false`), in blob id order: one pass over each table, in constant memory
    /// (prune and repair group them by pack).
    pub(crate) fn for_each_location(&self, each: &mut dyn FnMut(BlobLocation, bool)) -> Result<()> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let packs = txn.open_table(PACKS).map_err(|e| self.err(e))?;
        let mut pack_ids: std::collections::HashMap<u32, PackId> = std::collections::HashMap::new();
        let mut pack_of = |number: u32| -> Result<PackId> {
            if let Some(id) = pack_ids.get(&number) {
                return Ok(*id);
            }
            let id = self.pack_at(&packs, number)?;
            pack_ids.insert(number, id);
            Ok(id)
        };
        for (table, primary) in [(BLOBS, true), (ELSEWHERE, false)] {
            let table = txn.open_table(table).map_err(|e| self.err(e))?;
            for row in table.iter().map_err(|e| self.err(e))? {
                let (key, value) = row.map_err(|e| self.err(e))?;
                let id = BlobId(
                    key.value()
                        .try_into()
                        .map_err(|_| self.err("bad blob id length"))?,
                );
                for record in value.value().chunks_exact(18) {
                    let (number, entry) = decode_value(id, record).map_err(|e| self.err(e))?;
                    each(
                        BlobLocation {
                            pack: pack_of(number)?,
                            entry,
                        },
                        primary,
                    );
                }
            }
        }
        Ok(())
    }

    /// The pack a record's pack number names.
    fn pack_at(&self, packs: &ReadOnlyTable<u32, &'static [u8]>, number: u32) -> Result<PackId> {
        let id = packs
            .get(number)
            .map_err(|e| self.err(e))?
            .ok_or_else(|| self.err(format!("pack number {number} missing")))?;
        let id = id
            .value()
            .try_into()
            .map_err(|_| self.err("bad pack id length"))?;
        Ok(PackId(id))
    }

    /// Whether the cache lists a blob of this kind (usually one table lookup).
    pub(crate) fn contains_kind(&self, id: &BlobId, kind: BlobKind) -> Result<bool> {
        let reader = self.reader()?;
        let Some(primary) = reader
            .blobs
            .get(id.as_bytes().as_slice())
            .map_err(|e| self.err(e))?
        else {
            return Ok(false);
        };
        let of_kind = |record: &[u8]| record.get(4) == Some(&(kind as u8));
        if of_kind(primary.value()) {
            return Ok(true);
        }
        Ok(self.locations(id)?.iter().any(|l| l.entry.kind == kind))
    }

    /// Whether the cache lists a blob (one table lookup, no decoding).
    pub(crate) fn contains(&self, id: &BlobId) -> Result<bool> {
        let reader = self.reader()?;
        let found = reader
            .blobs
            .get(id.as_bytes().as_slice())
            .map_err(|e| self.err(e))?;
        Ok(found.is_some())
    }

    /// Every pack the cache knows.
    pub(crate) fn pack_ids(&self) -> Result<std::collections::HashSet<PackId>> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let numbers = txn.open_table(PACK_NUMBERS).map_err(|e| self.err(e))?;
        let mut out = std::collections::HashSet::new();
        for row in numbers.iter().map_err(|e| self.err(e))? {
            let (id, _) = row.map_err(|e| self.err(e))?;
            out.insert(PackId(
                id.value()
                    .try_into()
                    .map_err(|_| self.err("bad pack id length"))?,
            ));
        }
        Ok(out)
    }

    pub(crate) fn len(&self) -> Result<u64> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let blobs = txn.open_table(BLOBS).map_err(|e| self.err(e))?;
        blobs.len().map_err(|e| self.err(e))
    }
}

/// `pack_number u32 || kind u8 || compression u8 || offset u32 || length u32 || raw u32`.
fn encode_value(pack_number: u32, e: &BlobEntry) -> [u8; 18] {
    let mut v = [0u8; 18];
    v[..4].copy_from_slice(&pack_number.to_le_bytes());
    v[4] = e.kind as u8;
    v[5] = e.compression as u8;
    v[6..10].copy_from_slice(&e.offset.to_le_bytes());
    v[10..14].copy_from_slice(&e.length.to_le_bytes());
    v[14..18].copy_from_slice(&e.raw_length.to_le_bytes());
    v
}

fn decode_value(id: BlobId, v: &[u8]) -> std::result::Result<(u32, BlobEntry), String> {
    if v.len() != 18 {
        return Err(format!("cache record of {} bytes", v.len()));
    }
    let u32_at = |i: usize| u32::from_le_bytes([v[i], v[i + 1], v[i + 2], v[i + 3]]);
    Ok((
        u32_at(0),
        BlobEntry {
            id,
            kind: BlobKind::from_u8(v[4]).ok_or("bad kind")?,
            compression: Compression::from_u8(v[5]).ok_or("bad compression")?,
            offset: u32_at(6),
            length: u32_at(10),
            raw_length: u32_at(14),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::index_file::IndexedPack;

    /// An index file of `packs` packs of 100 blobs each, every id derived from `seed`.
    fn index_file(seed: u32, packs: u32) -> (IndexId, IndexFile) {
        let id = |n: u32| *blake3::hash(&[seed.to_le_bytes(), n.to_le_bytes()].concat()).as_bytes();
        let packs = (0..packs)
            .map(|p| IndexedPack {
                id: PackId(id(1_000_000 + p)),
                blobs: (0..100)
                    .map(|b| BlobEntry {
                        id: BlobId(id(p * 100 + b)),
                        kind: BlobKind::Data,
                        compression: Compression::Zstd,
                        offset: b * 1000,
                        length: 1000,
                        raw_length: 2000 + b,
                    })
                    .collect(),
            })
            .collect();
        (IndexId::hash_of(&seed.to_le_bytes()), IndexFile { packs })
    }

    #[test]
    fn files_loaded_together_or_apart_give_the_same_lookups_and_compaction_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<(IndexId, IndexFile)> = (0..12).map(|s| index_file(s, 20)).collect();
        let apart = IndexCache::open(Some(&dir.path().join("apart.redb"))).unwrap();
        for (id, file) in &files {
            apart.insert_index_file(id, file).unwrap();
        }
        let path = dir.path().join("together.redb");
        let mut together = IndexCache::open(Some(&path)).unwrap();
        let refs: Vec<(&IndexId, &IndexFile)> = files.iter().map(|(i, f)| (i, f)).collect();
        together.insert_index_files(&refs[..7]).unwrap();
        together.insert_index_files(&refs[7..]).unwrap();
        let size_before = std::fs::metadata(&path).unwrap().len();
        together.compact();
        assert!(std::fs::metadata(&path).unwrap().len() <= size_before);

        assert_eq!(together.len().unwrap(), 12 * 20 * 100);
        for (_, file) in &files {
            for pack in &file.packs {
                for entry in &pack.blobs {
                    let expected = Some(BlobLocation {
                        pack: pack.id,
                        entry: *entry,
                    });
                    assert_eq!(apart.get(&entry.id).unwrap(), expected);
                    assert_eq!(together.get(&entry.id).unwrap(), expected);
                }
            }
        }
        assert_eq!(together.known_index_files().unwrap().len(), 12);
        assert_eq!(together.get(&BlobId([0; 32])).unwrap(), None);
    }

    #[test]
    fn a_blob_in_two_packs_keeps_its_first_location_and_lists_both() {
        let cache = IndexCache::open(None).unwrap();
        let (first_id, first) = index_file(1, 1);
        let mut second = first.clone();
        second.packs[0].id = PackId([0xEE; 32]);
        for (i, entry) in second.packs[0].blobs.iter_mut().enumerate() {
            entry.offset = 7 + i as u32 * 1000;
        }
        let second_id = IndexId::hash_of(b"second");
        cache.insert_index_file(&first_id, &first).unwrap();
        cache.insert_index_file(&second_id, &second).unwrap();

        let blob = first.packs[0].blobs[3];
        let locations = cache.locations(&blob.id).unwrap();
        assert_eq!(locations.len(), 2);
        assert_eq!(
            locations[0].pack, first.packs[0].id,
            "the first location stays primary"
        );
        assert_eq!(locations[1].pack, PackId([0xEE; 32]));
        assert_eq!(
            cache.get(&blob.id).unwrap().unwrap().pack,
            first.packs[0].id
        );

        let mut by_pack: std::collections::HashMap<PackId, usize> = Default::default();
        cache
            .for_each_location(&mut |l, _| *by_pack.entry(l.pack).or_default() += 1)
            .unwrap();
        assert_eq!(by_pack[&first.packs[0].id], 100);
        assert_eq!(by_pack[&PackId([0xEE; 32])], 100);
        assert!(cache.contains_kind(&blob.id, BlobKind::Data).unwrap());
        assert!(!cache.contains_kind(&blob.id, BlobKind::Tree).unwrap());
    }
}
