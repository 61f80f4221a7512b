//! photovault's behaviour, written as specifications and checked end to end through the
//! library and the `pvault` binary.

mod support;

mod backend_conformance;
mod bad_input;
mod cli_contract;
mod concurrency;
mod dedup;
mod folder_sizes;
mod forget;
mod hostile;
mod properties;
mod restore_safety;
mod roundtrip;
