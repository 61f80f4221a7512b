//! Crash safety, as tests: whatever moment a backup dies at (a killed process, a write that
//! never happens, a full disk), every earlier snapshot still restores bit for bit, `check`
//! finds nothing wrong but unused packs, and the next backup completes without storing again
//! what already reached the repository. Likewise a restore that fails never leaves a file
//! that looks complete.
//!
//! `PVAULT_CRASH_ITERATIONS=60 cargo test --test crash` runs the long version of the
//! kill test (the default is a fast subset for CI).

mod full_disk;
mod killed_backup;
mod killed_prune;
mod support;
mod write_order;
