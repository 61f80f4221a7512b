//! Snapshot JSON: serde_json into Snapshot and back.
//! The check itself is `photovault_fuzz::snapshot` in `checks.rs`, shared with `tests/integrity`.
#![no_main]

#[global_allocator]
static ALLOC: photovault_fuzz::TrackingAlloc = photovault_fuzz::TrackingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| photovault_fuzz::snapshot(data));
