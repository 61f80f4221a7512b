//! Structure-aware: builds a large structure from the input, encodes it, and demands that
//! it decodes to itself (every decoder accepts everything its encoder writes).
//! The check itself is `photovault_fuzz::tree_round_trip` in `checks.rs`, shared with `tests/integrity`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| photovault_fuzz::tree_round_trip(data));
