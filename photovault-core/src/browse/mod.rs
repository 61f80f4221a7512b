//! Browsing snapshots without restoring them: list a folder, read a file by byte range,
//! see the photo timeline.
//!
//! This is what the mount shows, without FUSE, so that other front ends (a web server, a
//! photo viewer embedding the library) show the same folders, the same bytes and the same
//! timeline, and share its care for memory and latency:
//!
//! - Folders are read when asked for, one tree at a time ([`Browser::list`]); nothing is
//!   read up front but the index.
//! - Reading a byte range of a file ([`OpenFile::read_at`]) fetches only the blobs it
//!   covers, through a blob cache bounded in bytes and shared by every open file, with
//!   read-ahead threads for readers that go from start to end.
//! - The timeline ([`Browser::timeline`], [`Timeline`]) puts every distinct photo and video
//!   of a snapshot in a month by capture date, sidecars and Live Photo movies beside it.
//! - Snapshots get folder names by time, id, host and tag ([`snapshot_folders`]).
//! - The names of each hard-linked file are counted per snapshot ([`Browser::link_counts`]).
//!
//! ```no_run
//! use photovault_core::browse::{BrowseOptions, Browser};
//! # fn show(repo: &photovault_core::IndexedRepository) -> photovault_core::Result<()> {
//! let browser = Browser::new(repo, &BrowseOptions::default())?;
//! let latest = repo.find_snapshot("latest")?.snapshot;
//! for node in browser.list_path(&latest, "/home/ann/Pictures")?.entries {
//!     if node.kind == photovault_core::NodeKind::File {
//!         let head = browser.open(&node)?.read_at(0, 64 << 10)?;
//!         println!("{}: {} bytes, starts with {:02x?}", node.display_name(), node.size, &head[..4.min(head.len())]);
//!     }
//! }
//! for month in browser.timeline(&latest.tree).months {
//!     println!("{:04}-{:02}: {} files", month.year, month.month, month.entries.len());
//! }
//! # Ok(()) }
//! ```

mod blob_cache;
mod browser;
mod file_reader;
mod hard_links;
mod read_ahead;
pub mod snapshot_folders;
mod timeline;

pub use browser::{BrowseOptions, Browser, Folder, MIN_CACHE_SIZE};
pub use file_reader::OpenFile;
pub use hard_links::LinkCounts;
pub use timeline::{Item, Month, Timeline};
