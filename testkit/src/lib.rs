//! Test fixtures for photovault, kept in the repository so that its tests and benchmarks
//! need nothing beyond `cargo`: [`corpus`] generates a deterministic photo library and
//! changes it the way a second day of use does. `cargo run -p photovault-testkit --bin
//! mkcorpus -- --help` does the same from a shell.

pub mod corpus;
pub mod files;
pub mod moments;
pub mod pvault;
