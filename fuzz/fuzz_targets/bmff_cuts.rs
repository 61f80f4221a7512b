//! ISO-BMFF container parse for the container chunking scheme (SPEC §12.5): cut points, and
//! streaming chunking through them. The check is `photovault_fuzz::bmff_cuts` in `checks.rs`,
//! shared with `tests/integrity`.
#![no_main]

#[global_allocator]
static ALLOC: photovault_fuzz::TrackingAlloc = photovault_fuzz::TrackingAlloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| photovault_fuzz::bmff_cuts(data));
