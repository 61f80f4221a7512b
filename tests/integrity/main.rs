//! Integrity you can prove: the tests that pin photovault's format and show that damage is
//! found, named and contained. One test binary, run in CI without cargo-fuzz:
//!
//! - [`fuzz_regressions`] replays every input kept under `fuzz/regressions/<target>/` through
//!   the same check the fuzz target runs (`fuzz/checks.rs`, included below), so a decoder
//!   crash found once stays fixed;
//! - [`vectors`] reads the self-describing test vectors and the small checked-in repository
//!   under `tests/vectors/`: a future build that cannot read them has changed the format;
//! - [`bitflips`] damages one byte at a time in every kind of object of a real repository and
//!   checks that `check --read-data` names the damaged object, that opening fails clearly for
//!   keys and config, and that restore still produces every file the damage does not touch.

#[path = "../../fuzz/checks.rs"]
mod checks;

mod bitflips;
mod fuzz_regressions;
mod reference_repository;
mod support;
mod vectors;

/// Lets the fuzz checks measure the largest allocation of a decoder (see `checks.rs`).
#[global_allocator]
static ALLOC: checks::TrackingAlloc = checks::TrackingAlloc;
