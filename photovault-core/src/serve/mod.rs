//! What a web viewer of snapshots needs that has nothing to do with HTTP: the photos of a
//! snapshot as a searchable catalog, request paths checked before they touch a tree,
//! thumbnails and EXIF summaries made from a file's bytes, folders and selections streamed
//! as zip archives, and restoring a selection.
//!
//! It sits on [`browse`](crate::browse): the catalog is the mount's timeline, file bytes
//! are read by range through the browser's bounded blob cache. The HTTP server
//! (`photovault-serve`) only routes requests to these parts, so they are tested here
//! without a network, and another front end can reuse them.

mod catalog;
mod details;
mod error;
mod paths;
mod restore;
mod search;
mod selection;
mod thumbnail;
mod zip;

pub use catalog::{Catalog, CatalogItem, Companion, MonthSummary};
pub use details::{photo_details, PhotoDetails};
pub use error::ServeError;
pub use paths::SnapshotPath;
pub use restore::{restore_selection, SelectionRestore};
pub use search::Query;
pub use selection::{expand_selection, Selected, MAX_SELECTED_FILES};
pub use thumbnail::{
    make_thumbnail, placeholder, Thumbnail, ThumbnailCache, ThumbnailSource, MAX_DECODED_FILE,
    THUMBNAIL_LONG_SIDE,
};
pub use zip::write_zip;

/// The content type a browser needs for a file, by its name (`application/octet-stream`
/// for anything not listed).
pub fn content_type(name: &[u8]) -> &'static str {
    let ext = crate::media::split_extension(name).1;
    let ext = ext.get(1..).unwrap_or_default().to_ascii_lowercase();
    match ext.as_slice() {
        b"jpg" | b"jpeg" => "image/jpeg",
        b"png" => "image/png",
        b"gif" => "image/gif",
        b"webp" => "image/webp",
        b"avif" => "image/avif",
        b"heic" | b"heif" => "image/heic",
        b"tif" | b"tiff" => "image/tiff",
        b"mp4" | b"m4v" => "video/mp4",
        b"mov" => "video/quicktime",
        b"webm" => "video/webm",
        b"mkv" => "video/x-matroska",
        b"txt" | b"xmp" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Whether a browser shows the file as it is (JPEG, PNG, GIF, WebP, AVIF), so the photo
/// view needs no preview made from it.
pub fn browser_shows(name: &[u8]) -> bool {
    matches!(
        content_type(name),
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/avif"
    )
}
