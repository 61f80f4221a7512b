//! FastCDC chunking: the in-memory cutter and the streaming reader the archiver uses.

use std::io::{self, Cursor};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use photovault_benches::{bench_chunker, pseudo_random, INPUT_LEN};

fn chunking(c: &mut Criterion) {
    let chunker = bench_chunker();
    let data = pseudo_random(INPUT_LEN, 1);
    let count = chunker.chunk_lengths(&data).len();
    eprintln!(
        "chunk: 64 MiB -> {count} chunks, mean {} KiB",
        INPUT_LEN / count / 1024
    );

    let mut g = c.benchmark_group("chunk");
    g.throughput(Throughput::Bytes(INPUT_LEN as u64));
    g.bench_function("chunk_lengths/64MiB", |b| {
        b.iter(|| black_box(chunker.chunk_lengths(black_box(&data))))
    });
    let mut buffer = Vec::new();
    g.bench_function("chunk_reader/64MiB", |b| {
        b.iter(|| {
            let mut n = 0usize;
            chunker
                .chunk_reader::<_, io::Error>(Cursor::new(&data), &mut buffer, |chunk| {
                    n += black_box(chunk).len();
                    Ok(())
                })
                .unwrap();
            n
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = photovault_benches::criterion();
    targets = chunking
}
criterion_main!(benches);
