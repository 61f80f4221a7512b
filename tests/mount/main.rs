//! `pvault mount`, as tests: a real repository (the photo corpus plus hand-made files) is
//! mounted with FUSE and read back through the mount with ordinary file system calls and
//! tools (`find`, `cp`): every file, folder and symlink as backed up, every byte intact; the
//! timeline places each photo by its capture date, shows duplicates once and keeps Live
//! Photos and RAW sidecars together; a damaged pack fails only the file it holds; a signal
//! unmounts cleanly.
//!
//! Where this machine cannot mount FUSE file systems (no /dev/fuse, or no permission), the
//! tests that need a mount say SKIPPED and pass.

mod support;

mod damage;
mod extras;
mod layout;
mod lifecycle;
mod photo_library;
mod remote;
mod timeline;
