//! Stored blob: open_blob with a fixed master key, and compress::decompress bounded by raw_length.
//! The check itself is `photovault_fuzz::blob` in `checks.rs`, shared with `tests/integrity`.
#![no_main]

#[global_allocator]
static ALLOC: photovault_fuzz::TrackingAlloc = photovault_fuzz::TrackingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| photovault_fuzz::blob(data));
