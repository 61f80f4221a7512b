//! Sealing and opening blobs: XChaCha20-Poly1305 with the blob's associated data. Opening
//! also decompresses and re-hashes (keyed BLAKE3) to check the id, as a restore does; the
//! `aead_only` rows leave that out.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use photovault_benches::{bench_chunker, bench_key, chunks, pseudo_random, INPUT_LEN};
use photovault_core::crypto::{self, aad};
use photovault_core::format::blob::{
    open_blob, seal_blob, BlobEntry, BlobKind, BlobLocation, Compression,
};
use photovault_core::PackId;

fn sealing(c: &mut Criterion) {
    photovault_benches::print_backends();
    let key = bench_key();
    let data = pseudo_random(INPUT_LEN, 4);
    let chunks = chunks(&bench_chunker(), &data);
    let ids: Vec<_> = chunks.iter().map(|c| key.blob_id(c)).collect();

    let mut g = c.benchmark_group("seal");
    g.throughput(Throughput::Bytes(INPUT_LEN as u64));
    // As the saver does it: a fresh output buffer per blob.
    g.bench_function("seal_blob/chunks_of_64MiB", |b| {
        b.iter(|| {
            for (chunk, id) in chunks.iter().zip(&ids) {
                let mut out = Vec::with_capacity(chunk.len() + crypto::OVERHEAD);
                seal_blob(
                    &key,
                    BlobKind::Data,
                    id,
                    Compression::None,
                    chunk.len() as u32,
                    chunk,
                    &mut out,
                );
                black_box(out);
            }
        })
    });

    let stored: Vec<(BlobLocation, Vec<u8>)> = chunks
        .iter()
        .zip(&ids)
        .map(|(chunk, id)| {
            let mut out = Vec::new();
            seal_blob(
                &key,
                BlobKind::Data,
                id,
                Compression::None,
                chunk.len() as u32,
                chunk,
                &mut out,
            );
            let entry = BlobEntry {
                id: *id,
                kind: BlobKind::Data,
                compression: Compression::None,
                offset: 0,
                length: out.len() as u32,
                raw_length: chunk.len() as u32,
            };
            let location = BlobLocation {
                pack: PackId([0; 32]),
                entry,
            };
            (location, out)
        })
        .collect();
    g.bench_function("open_blob/chunks_of_64MiB", |b| {
        b.iter(|| {
            for (location, sealed) in &stored {
                black_box(open_blob(&key, location, black_box(sealed)).unwrap());
            }
        })
    });

    let aads: Vec<[u8; 56]> = chunks
        .iter()
        .zip(&ids)
        .map(|(chunk, id)| aad::blob(BlobKind::Data, id, Compression::None, chunk.len() as u32))
        .collect();
    let mut out = Vec::with_capacity(2 * (1 << 20));
    g.bench_function("aead_only/seal/chunks_of_64MiB", |b| {
        b.iter(|| {
            for (chunk, aad) in chunks.iter().zip(&aads) {
                out.clear();
                crypto::seal(key.encryption_key(), aad, chunk, &mut out);
                black_box(&out);
            }
        })
    });
    g.bench_function("aead_only/open/chunks_of_64MiB", |b| {
        b.iter(|| {
            for ((_, sealed), aad) in stored.iter().zip(&aads) {
                black_box(crypto::open(key.encryption_key(), aad, sealed).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = photovault_benches::criterion();
    targets = sealing
}
criterion_main!(benches);
