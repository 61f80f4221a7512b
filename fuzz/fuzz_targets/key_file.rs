//! Key file JSON: KeyFile::decode / encode, and unwrap_key when the Argon2 parameters are tiny.
//! The check itself is `photovault_fuzz::key_file` in `checks.rs`, shared with `tests/integrity`.
#![no_main]

#[global_allocator]
static ALLOC: photovault_fuzz::TrackingAlloc = photovault_fuzz::TrackingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| photovault_fuzz::key_file(data));
