//! photovault's behaviour, written as specifications and checked end to end through the
//! library and the `pvault` binary.

mod support;

mod backend_conformance;
mod bad_input;
mod cli_contract;
mod concurrency;
mod copy;
mod dedup;
mod folder_sizes;
mod forget;
mod history;
mod hostile;
mod metadata_edits;
mod photo_library;
mod properties;
mod prune;
mod remote;
mod restore_resume;
mod restore_safety;
mod roundtrip;
mod routine;
