//! What a file is, and what a photo or movie says about itself.
//!
//! Three parts of photovault need to know what kind of file they hold: compression (an
//! already compressed photo or video is not worth zstd's time), EXIF reading at backup
//! (only some formats carry it) and the photo timeline (photos, videos, and the sidecars
//! that travel with them). Signatures and extension lists live here only, so a format is
//! taught once and the three agree. Each uses the evidence it has: backup a file's first
//! bytes ([`MediaKind::from_content`]), the timeline names ([`MediaKind::from_name`]: trees
//! hold no content); [`identify`] takes the bytes when they say something, else the name.
//!
//! Reading what a file says about itself is here too: capture date and camera from EXIF
//! ([`probe_exif`]), a movie's creation time from its `mvhd` box ([`probe_movie`]), and
//! the date of a photo without one from its XMP or Google Takeout sidecar
//! ([`sidecar_date`]).

mod cr3;
mod exif;
mod kind;
mod movie;
mod sidecar;

pub use self::exif::probe_exif;
pub(crate) use kind::split_extension;
pub use kind::{identify, MediaKind};
pub use movie::probe_movie;
pub use sidecar::{
    sidecar_date, sidecar_names, wants_sidecar_date, SidecarFormat, MAX_SIDECAR_BYTES,
};
