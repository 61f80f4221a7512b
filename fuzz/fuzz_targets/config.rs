//! Config JSON: decode, check_supported, round trip, and the chunker it configures.
//! The check itself is `photovault_fuzz::config` in `checks.rs`, shared with `tests/integrity`.
#![no_main]

#[global_allocator]
static ALLOC: photovault_fuzz::TrackingAlloc = photovault_fuzz::TrackingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| photovault_fuzz::config(data));
