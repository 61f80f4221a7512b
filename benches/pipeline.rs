//! Every backup stage in sequence on one core, as the saver runs them for one file:
//! chunk → blob id → (dedup set) → zstd if the class allows and it pays → seal → pack,
//! with the saver's reused per-thread buffers.
//! No disk and no index: the per-core CPU ceiling of a backup for each kind of content.

use std::collections::HashSet;
use std::io::{self, Cursor};

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use photovault_benches::{bench_chunker, bench_key, pseudo_random, raw_like, INPUT_LEN};
use photovault_core::compress::{compress_into, compression_for, ContentClass};
use photovault_core::format::blob::{seal_blob, BlobKind, Compression};
use photovault_core::pack::Packer;
use photovault_core::DEFAULT_PACK_SIZE;

fn pipeline(c: &mut Criterion) {
    let key = bench_key();
    let chunker = bench_chunker();
    let random = pseudo_random(INPUT_LEN, 6);
    let raw = raw_like(INPUT_LEN, 6);
    // (name, data, class): a JPEG/video (never compressed), a file of unknown type that does
    // not compress (zstd is tried and wasted), and RAW sensor data (compressed).
    let cases: [(&str, &[u8], ContentClass); 4] = [
        ("media_incompressible", &random, ContentClass::Compressed),
        ("unknown_incompressible", &random, ContentClass::Try),
        ("raw_like_as_is", &raw, ContentClass::Try),
        ("raw_like_words16", &raw, ContentClass::Words16),
    ];

    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(INPUT_LEN as u64));
    let (mut buffer, mut compressed, mut sealed) = (Vec::new(), Vec::new(), Vec::new());
    for (name, data, class) in cases {
        g.bench_function(format!("all_stages/{name}/64MiB"), |b| {
            b.iter(|| {
                let mut seen = HashSet::new();
                let mut packer = Packer::new(DEFAULT_PACK_SIZE as usize);
                let mut stored = 0usize;
                chunker
                    .chunk_reader::<_, io::Error>(Cursor::new(data), &mut buffer, |chunk| {
                        let id = key.blob_id(chunk);
                        if !seen.insert(id) {
                            return Ok(());
                        }
                        let wanted = compression_for(class);
                        let (compression, payload) =
                            if compress_into(chunk, wanted, 3, &mut compressed) {
                                (wanted, compressed.as_slice())
                            } else {
                                (Compression::None, chunk)
                            };
                        sealed.clear();
                        let raw_length = chunk.len() as u32;
                        seal_blob(
                            &key,
                            BlobKind::Data,
                            &id,
                            compression,
                            raw_length,
                            payload,
                            &mut sealed,
                        );
                        stored += sealed.len();
                        if packer
                            .add(id, BlobKind::Data, compression, raw_length, &sealed)
                            .unwrap()
                        {
                            let done = std::mem::replace(
                                &mut packer,
                                Packer::new(DEFAULT_PACK_SIZE as usize),
                            );
                            black_box(done.finish(&key).unwrap());
                        }
                        Ok(())
                    })
                    .unwrap();
                black_box(packer.finish(&key).unwrap());
                stored
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = photovault_benches::criterion();
    targets = pipeline
}
criterion_main!(benches);
