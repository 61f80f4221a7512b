//! FastCDC chunking: the in-memory cutter and the streaming reader the archiver uses, and
//! the container parse of the `container` scheme (SPEC §12.5) with the streaming reader
//! cutting through its parts.

use std::io::{self, Cursor};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use photovault_benches::{bench_chunker, pseudo_random, INPUT_LEN};
use photovault_core::chunk::ChunkingScheme;

/// A JPEG's structure around `data`: SOI, a 30 KB APP1, an 8 KB APP2, DQT, then the rest.
fn jpeg_like(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    out[..2].copy_from_slice(&[0xFF, 0xD8]);
    out[2..6].copy_from_slice(&[0xFF, 0xE1, 0x75, 0x32]); // 30 002
    out[30_006..30_010].copy_from_slice(&[0xFF, 0xE2, 0x1F, 0x42]); // 8 002
    out[38_010..38_014].copy_from_slice(&[0xFF, 0xDB, 0x00, 0x43]);
    out
}

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
    let container = chunker.clone().with_scheme(ChunkingScheme::Container);
    let jpeg = jpeg_like(&data);
    let cuts = container.part_cuts(&jpeg[..]);
    assert_eq!(cuts.len(), 2, "{cuts:?}");
    g.bench_function("chunk_parts/64MiB-jpeg", |b| {
        b.iter(|| {
            let mut n = 0usize;
            let cuts = container.part_cuts(black_box(&jpeg[..]));
            container
                .chunk_parts::<_, io::Error>(Cursor::new(&jpeg), &cuts, &mut buffer, |chunk, _| {
                    n += black_box(chunk).len();
                    Ok(())
                })
                .unwrap();
            n
        })
    });
    g.finish();
    c.bench_function("part_cuts/jpeg", |b| {
        b.iter(|| black_box(container.part_cuts(black_box(&jpeg[..]))))
    });
}

criterion_group! {
    name = benches;
    config = photovault_benches::criterion();
    targets = chunking
}
criterion_main!(benches);
