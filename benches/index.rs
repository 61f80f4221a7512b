//! The index, measured through the public API only (`Index` is crate-private).
//!
//! * `index_file/*`: encoding, decoding and unsealing one index file of `FLUSH_BLOBS`
//!   entries, what opening a repository costs per index file before the cache insert.
//! * `index/backup_all_hits/N`: a repository (tiny 64 B/256 B/1 KiB chunks so that N blobs
//!   take little data, on-disk redb cache) already holds a file of N chunks; each iteration
//!   backs up a copy of it with no parent, so every chunk is read, cut, hashed and looked
//!   up, and every lookup hits. `index/chunk_hash_only/N` is the same cutting and hashing
//!   without a repository. Their difference per chunk is the index lookup plus the saver's
//!   bookkeeping; the difference between the two N is the per-backup fixed cost (lock,
//!   snapshot, fsyncs) cancelled out.
//! * `index/hashmap_baseline/N`: the same ids in a `HashMap`, the in-memory ideal.

use std::collections::HashMap;
use std::io::{self, Cursor};
use std::sync::Arc;

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use photovault_benches::{bench_key, pseudo_random, ScratchDir};
use photovault_core::backend::LocalBackend;
use photovault_core::chunk::{Chunker, ChunkerParams};
use photovault_core::format::blob::{BlobEntry, BlobKind, Compression};
use photovault_core::format::index_file::{IndexFile, IndexedPack};
use photovault_core::format::sealed_file;
use photovault_core::index::FLUSH_BLOBS;
use photovault_core::{
    BackupOptions, BlobId, InitOptions, KdfParams, OpenOptions, PackId, ParentChoice, Repository,
};

const TINY: ChunkerParams = ChunkerParams {
    min_size: 64,
    avg_size: 256,
    max_size: 1024,
};

fn index_file(c: &mut Criterion) {
    let key = bench_key();
    let ids = pseudo_random(FLUSH_BLOBS * 32, 7);
    let file = IndexFile {
        packs: ids
            .chunks(32 * 64) // 64 blobs per pack, as 16 MiB packs of 256 KiB chunks hold
            .enumerate()
            .map(|(p, blob_ids)| IndexedPack {
                id: PackId([p as u8; 32]),
                blobs: blob_ids
                    .chunks_exact(32)
                    .enumerate()
                    .map(|(i, id)| BlobEntry {
                        id: BlobId(id.try_into().unwrap()),
                        kind: BlobKind::Data,
                        compression: Compression::None,
                        offset: i as u32 * 262_184,
                        length: 262_184,
                        raw_length: 262_144,
                    })
                    .collect(),
            })
            .collect(),
    };
    let plain = file.encode();
    let sealed = sealed_file::seal(&key, "index", &plain);

    let mut g = c.benchmark_group("index_file");
    g.throughput(Throughput::Elements(FLUSH_BLOBS as u64));
    g.bench_function("encode/50k", |b| b.iter(|| black_box(file.encode())));
    g.bench_function("decode/50k", |b| {
        b.iter(|| black_box(IndexFile::decode(black_box(&plain)).unwrap()))
    });
    g.bench_function("unseal_decode/50k", |b| {
        b.iter(|| {
            let plain = sealed_file::open(&key, "index", "bench", black_box(&sealed)).unwrap();
            black_box(IndexFile::decode(&plain).unwrap())
        })
    });
    g.finish();
}

fn lookups(c: &mut Criterion) {
    let mut g = c.benchmark_group("index");
    for n in [20_000usize, 200_000] {
        let scratch = ScratchDir::new(&format!("index-{n}"));
        let source = scratch.path().join("source");
        std::fs::create_dir_all(&source).unwrap();
        let data = pseudo_random(n * 256, 8);
        std::fs::write(source.join("a.bin"), &data).unwrap();

        let mut init = InitOptions::default()
            .kdf(KdfParams {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            })
            .pack_size(4 << 20)
            .open_options(OpenOptions::default().cache_dir(scratch.path().join("cache")));
        init.chunker = TINY;
        let backend = Arc::new(LocalBackend::new(scratch.path().join("repo")));
        let repo = Repository::init(backend, b"bench", &init)
            .unwrap()
            .to_indexed()
            .unwrap();
        let paths = [source.clone()];
        let mut options = BackupOptions::default().host("bench");
        options.parent = ParentChoice::None;
        repo.backup(&paths, &options, &()).unwrap();
        let blobs = repo.indexed_blobs().unwrap();
        eprintln!("index: repository holds {blobs} blobs for N={n}");

        g.throughput(Throughput::Elements(blobs));
        g.bench_function(format!("backup_all_hits/{n}"), |b| {
            b.iter(|| {
                let outcome = repo.backup(&paths, &options, &()).unwrap();
                assert_eq!(outcome.summary.files_new + outcome.summary.files_changed, 1);
                outcome
            })
        });

        // The same cutting and hashing without a repository (another seed, same sizes).
        let chunker = Chunker::new(TINY, 1);
        let key = bench_key();
        let mut buffer = Vec::new();
        let mut ids = Vec::new();
        chunker
            .chunk_reader::<_, io::Error>(Cursor::new(&data), &mut buffer, |chunk| {
                ids.push(key.blob_id(chunk));
                Ok(())
            })
            .unwrap();
        g.bench_function(format!("chunk_hash_only/{n}"), |b| {
            b.iter(|| {
                let file = std::fs::read(source.join("a.bin")).unwrap();
                let mut count = 0u64;
                chunker
                    .chunk_reader::<_, io::Error>(Cursor::new(&file), &mut buffer, |chunk| {
                        black_box(key.blob_id(chunk));
                        count += 1;
                        Ok(())
                    })
                    .unwrap();
                count
            })
        });

        let map: HashMap<BlobId, u64> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (*id, i as u64))
            .collect();
        g.throughput(Throughput::Elements(ids.len() as u64));
        g.bench_function(format!("hashmap_baseline/{n}"), |b| {
            b.iter(|| {
                for id in &ids {
                    black_box(map.get(black_box(id)));
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = photovault_benches::criterion();
    targets = index_file, lookups
}
criterion_main!(benches);
