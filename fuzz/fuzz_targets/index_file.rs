//! Index file plaintext: IndexFile::decode / encode, byte-exact round trip.
//! The check itself is `photovault_fuzz::index_file` in `checks.rs`, shared with `tests/integrity`.
#![no_main]

#[global_allocator]
static ALLOC: photovault_fuzz::TrackingAlloc = photovault_fuzz::TrackingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| photovault_fuzz::index_file(data));
