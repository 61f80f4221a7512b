//! Pack header plaintext: decode_plain / encode_plain (input: blob_area_end u64 LE || plaintext).
//! The check itself is `photovault_fuzz::pack_header` in `checks.rs`, shared with `tests/integrity`.
#![no_main]

#[global_allocator]
static ALLOC: photovault_fuzz::TrackingAlloc = photovault_fuzz::TrackingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| photovault_fuzz::pack_header(data));
