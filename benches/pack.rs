//! Packing: appending sealed blobs to a pack of the default target size and finishing it
//! (header sealing plus the pack's BLAKE3 name).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use photovault_benches::{bench_chunker, bench_key, chunks, pseudo_random, INPUT_LEN};
use photovault_core::format::blob::{seal_blob, BlobKind, Compression};
use photovault_core::pack::Packer;
use photovault_core::DEFAULT_PACK_SIZE;

fn packing(c: &mut Criterion) {
    let key = bench_key();
    let data = pseudo_random(INPUT_LEN, 5);
    let sealed: Vec<_> = chunks(&bench_chunker(), &data)
        .into_iter()
        .map(|chunk| {
            let id = key.blob_id(chunk);
            let mut out = Vec::new();
            seal_blob(
                &key,
                BlobKind::Data,
                &id,
                Compression::None,
                chunk.len() as u32,
                chunk,
                &mut out,
            );
            (id, chunk.len() as u32, out)
        })
        .collect();
    let total: usize = sealed.iter().map(|(_, _, s)| s.len()).sum();

    let mut g = c.benchmark_group("pack");
    g.throughput(Throughput::Bytes(total as u64));
    g.bench_function("add_finish/16MiB_packs/64MiB", |b| {
        b.iter(|| {
            let mut packer = Packer::new(DEFAULT_PACK_SIZE as usize);
            let mut packs = 0;
            for (id, raw_length, blob) in &sealed {
                let full = packer
                    .add(*id, BlobKind::Data, Compression::None, *raw_length, blob)
                    .unwrap();
                if full {
                    let done =
                        std::mem::replace(&mut packer, Packer::new(DEFAULT_PACK_SIZE as usize));
                    black_box(done.finish(&key).unwrap());
                    packs += 1;
                }
            }
            if let Some(last) = packer.finish(&key).unwrap() {
                black_box(last);
                packs += 1;
            }
            packs
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = photovault_benches::criterion();
    targets = packing
}
criterion_main!(benches);
