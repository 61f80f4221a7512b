//! Thumbnails: a small preview of every photo and video, stored as a tier of its own.
//!
//! A web page of a whole library cannot read every original to draw its grid, so backup
//! keeps a preview (at most [`THUMBNAIL_LONG_SIDE`] pixels on its long side, a JPEG) of each
//! photo and video whose content is new. It is an encrypted blob of kind
//! [`Thumbnail`](crate::format::blob::BlobKind::Thumbnail), in packs that hold only
//! thumbnails, and it is named after the content it shows
//! ([`MasterKey::thumbnail_id`](crate::crypto::MasterKey::thumbnail_id)): a reader finds it
//! from a file's tree node alone, files with the same content share it, prune keeps it as
//! long as a kept snapshot has that content, and [`IndexedRepository::add_thumbnails`] adds it to
//! snapshots made without one. SPEC §16.6 is the normative description.
//!
//! Where a thumbnail comes from, cheapest first ([`make`]): the preview a camera embedded
//! (the EXIF thumbnail of JPEG, TIFF-based RAW and HEIF files); nothing at all for an image
//! about that small (it is its own thumbnail); a decode scaled down in the JPEG decoder,
//! or a full decode of PNG, GIF and WebP; for HEIC and AVIF libheif's `heif-thumbnailer`,
//! and for videos a first frame from `ffmpeg`, each only where that program is installed
//! ([`external`]). What none of these covers (a RAW file without a usable preview, a
//! video or HEIC without the program) gets no stored thumbnail, and viewers draw a typed
//! placeholder.

mod add;
pub mod external;
mod make;

pub use add::{ThumbnailProgress, ThumbnailReport};
pub use make::{
    from_bytes, from_file, from_head, placeholder, wants_thumbnail, HeadVerdict, Thumbnail,
    ThumbnailSource, MAX_DECODED_FILE, MIN_EMBEDDED_LONG_SIDE, OWN_THUMBNAIL_BYTES,
    OWN_THUMBNAIL_LONG_SIDE, THUMBNAIL_LONG_SIDE,
};
