//! Blob ids: keyed BLAKE3 over each chunk (and over small tree-sized blobs).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use photovault_benches::{bench_chunker, bench_key, chunks, pseudo_random, INPUT_LEN};

fn blob_id(c: &mut Criterion) {
    photovault_benches::print_backends();
    let key = bench_key();
    let data = pseudo_random(INPUT_LEN, 2);
    let chunks = chunks(&bench_chunker(), &data);

    let mut g = c.benchmark_group("blob_id");
    g.throughput(Throughput::Bytes(INPUT_LEN as u64));
    g.bench_function("chunks_of_64MiB", |b| {
        b.iter(|| {
            for chunk in &chunks {
                black_box(key.blob_id(black_box(chunk)));
            }
        })
    });
    // Tree blobs and small sidecars: BLAKE3 has less to parallelise in SIMD lanes.
    let small = &data[..4096];
    g.throughput(Throughput::Bytes(small.len() as u64));
    g.bench_function("4KiB", |b| {
        b.iter(|| black_box(key.blob_id(black_box(small))))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = photovault_benches::criterion();
    targets = blob_id
}
criterion_main!(benches);
