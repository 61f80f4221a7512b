//! The compression decision: sniffing a file's head, then zstd per chunk when it may pay,
//! on the chunk as it is or on its two byte planes as 16-bit words.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use photovault_benches::{bench_chunker, chunks, pseudo_random, raw_like, INPUT_LEN};
use photovault_core::compress::{compress_into, decompress, ContentClass};
use photovault_core::format::blob::Compression;
use photovault_core::media::MediaKind;

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
                black_box(ContentClass::of(MediaKind::from_content(black_box(h))));
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
    let encodings = [
        ("zstd", Compression::Zstd),
        ("words16", Compression::ZstdWords16),
    ];
    let encode = |chunk: &[u8], compression, level| {
        let mut out = Vec::new();
        compress_into(chunk, compression, level, &mut out).then_some(out)
    };
    for (name, chunks) in &inputs {
        for (encoding, compression) in encodings {
            let (kept_raw, stored) = chunks
                .iter()
                .filter_map(|c| encode(c, compression, 3).map(|z| (c.len(), z.len())))
                .fold((0, 0), |(r, s), (cr, cs)| (r + cr, s + cs));
            eprintln!(
                "compress: {name}: {encoding} level 3 ratio {:.2} on the chunks it kept",
                kept_raw as f64 / stored.max(1) as f64
            );
        }
    }

    let mut g = c.benchmark_group("compress");
    g.throughput(Throughput::Bytes(INPUT_LEN as u64));
    for (name, chunks) in &inputs {
        for (encoding, compression) in encodings {
            for level in [1, 3] {
                g.bench_function(
                    format!("compress_into/{name}/{encoding}/level{level}"),
                    |b| {
                        let mut out = Vec::new();
                        b.iter(|| {
                            for chunk in chunks {
                                black_box(compress_into(
                                    black_box(chunk),
                                    compression,
                                    level,
                                    &mut out,
                                ));
                            }
                        })
                    },
                );
            }
        }
    }
    for (encoding, compression) in encodings {
        let frames: Vec<(Vec<u8>, usize)> = inputs[1]
            .1
            .iter()
            .filter_map(|c| encode(c, compression, 3).map(|z| (z, c.len())))
            .collect();
        let raw_total: usize = frames.iter().map(|(_, n)| n).sum();
        g.throughput(Throughput::Bytes(raw_total as u64));
        g.bench_function(format!("decompress/raw_like/{encoding}/level3"), |b| {
            b.iter(|| {
                for (frame, n) in &frames {
                    black_box(decompress(compression, black_box(frame), *n).unwrap());
                }
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = photovault_benches::criterion();
    targets = sniff, zstd
}
criterion_main!(benches);
