//! photovault's behaviour, written as specifications and checked end to end through the
//! library and the `pvault` binary.
