//! The compression decision: sniffing a file's head, then zstd per chunk when it may pay.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use photovault_benches::{bench_chunker, chunks, pseudo_random, raw_like, INPUT_LEN};
use photovault_core::compress::{compress_if_smaller, decompress, ContentClass};

fn sniff(c: &mut Criterion) {
    let heads: [&[u8]; 6] = [
        b"\xFF\xD8\xFF\xE1\x00\x10Exif\x00\x00II*\x00",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1",
        b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx ",
        b"II*\x00\x08\x00\x00\x00\x10\x00\x00\x01\x03\x00\x01\x00",
        b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">",
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81",
    ];
    let mut g = c.benchmark_group("compress");
    g.throughput(Throughput::Elements(heads.len() as u64));
    g.bench_function("sniff/6_heads", |b| {
        b.iter(|| {
            for h in &heads {
                black_box(ContentClass::sniff(black_box(h)));
            }
        })
    });
    g.finish();
}

fn zstd(c: &mut Criterion) {
    let chunker = bench_chunker();
    let random = pseudo_random(INPUT_LEN, 3);
    let raw = raw_like(INPUT_LEN, 3);
    let inputs = [
        ("incompressible", chunks(&chunker, &random)),
        ("raw_like", chunks(&chunker, &raw)),
    ];
    for (name, chunks) in &inputs {
        let (kept, stored): (usize, usize) = chunks
            .iter()
            .filter_map(|c| compress_if_smaller(c, 3))
            .fold((0, 0), |(k, s), z| (k + 1, s + z.len()));
        let kept_raw: usize = chunks
            .iter()
            .filter(|c| compress_if_smaller(c, 3).is_some())
            .map(|c| c.len())
            .sum();
        eprintln!(
            "compress: {name}: level 3 kept {kept}/{} chunks, ratio {:.2} on those",
            chunks.len(),
            kept_raw as f64 / stored.max(1) as f64
        );
    }

    let mut g = c.benchmark_group("compress");
    g.throughput(Throughput::Bytes(INPUT_LEN as u64));
    for (name, chunks) in &inputs {
        for level in [1, 3] {
            g.bench_function(format!("compress_if_smaller/{name}/level{level}"), |b| {
                b.iter(|| {
                    for chunk in chunks {
                        black_box(compress_if_smaller(black_box(chunk), level));
                    }
                })
            });
        }
    }
    let frames: Vec<(Vec<u8>, usize)> = inputs[1]
        .1
        .iter()
        .filter_map(|c| compress_if_smaller(c, 3).map(|z| (z, c.len())))
        .collect();
    let raw_total: usize = frames.iter().map(|(_, n)| n).sum();
    g.throughput(Throughput::Bytes(raw_total as u64));
    g.bench_function("decompress/raw_like/level3", |b| {
        b.iter(|| {
            for (frame, n) in &frames {
                black_box(decompress(black_box(frame), *n).unwrap());
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = photovault_benches::criterion();
    targets = sniff, zstd
}
criterion_main!(benches);
