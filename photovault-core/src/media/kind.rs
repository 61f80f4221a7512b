//! [`MediaKind`]: what a file is, from its first bytes or from its name.

/// What a file is, as far as photovault's decisions go: compress it or not, read EXIF from
/// it or not, and what part it plays in the photo timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaKind {
    /// JPEG (`.jpg`, `.jpeg`).
    Jpeg,
    /// HEIC and other HEIF stills: ISO base media files of brand `heic`, `heix`, `heim`,
    /// `heis` or `mif1` (`.heic`, `.heif`).
    Heif,
    /// AVIF: HEIF's container with AV1 images, brand `avif` (`.avif`).
    Avif,
    /// Video in an ISO base media file: MP4, QuickTime, 3GP, any brand but the image and
    /// CR3 ones (`.mov`, `.mp4`, `.m4v`, `.3gp`).
    IsoBmffVideo,
    /// Matroska and WebM video (`.mkv`, `.webm`).
    Matroska,
    /// Other video, known by name only (`.avi`, `.mts`, `.m2ts`, `.wmv`, `.mpg`, `.mpeg`).
    OtherVideo,
    /// TIFF and the RAW formats built on it: DNG, CR2, NEF, ARW and others with a TIFF
    /// header (`II*\0` or `MM\0*`).
    TiffRaw,
    /// Canon's CR3: RAW data in an ISO base media file (brand `crx `).
    Cr3,
    /// Other RAW formats, with headers of their own, known by name only (`.crw`, `.raf`,
    /// `.orf`, `.rw2`, `.rwl`, `.x3f`, `.iiq`).
    OtherRaw,
    /// PNG.
    Png,
    /// GIF.
    Gif,
    /// WebP.
    WebP,
    /// Other still images, known by name only (`.jxl`, `.bmp`).
    OtherImage,
    /// Edits and metadata kept beside a photo (`.xmp`, `.aae`), known by name only.
    Sidecar,
    /// A compressed archive or stream (zip and the formats built on it, gzip, zstd, xz, 7z,
    /// bzip2), known by its first bytes only: not media, but as compressed as media is.
    Archive,
    /// Anything else.
    Other,
}

use MediaKind::*;

/// What a file is: from its first bytes when they are recognised, else from its name's
/// extension (either may be empty).
pub fn identify(first_bytes: &[u8], name: &[u8]) -> MediaKind {
    match MediaKind::from_content(first_bytes) {
        Other => MediaKind::from_name(name),
        kind => kind,
    }
}

impl MediaKind {
    /// What a file's first bytes say it is ([`Other`](MediaKind::Other) when they say
    /// nothing). The first chunk of a file is plenty; twelve bytes are enough.
    pub fn from_content(head: &[u8]) -> MediaKind {
        let starts = |magic: &[u8]| head.starts_with(magic);
        if starts(b"\xFF\xD8\xFF") {
            Jpeg
        } else if starts(b"\x89PNG\r\n\x1a\n") {
            Png
        } else if starts(b"GIF8") {
            Gif
        } else if starts(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
            WebP
        } else if starts(b"\x1a\x45\xdf\xa3") {
            Matroska
        } else if starts(b"PK\x03\x04") // zip, docx, ...
            || starts(b"\x1f\x8b") // gzip
            || starts(b"\x28\xb5\x2f\xfd") // zstd
            || starts(b"\xfd7zXZ\x00") // xz
            || starts(b"7z\xbc\xaf\x27\x1c")
            || starts(b"BZh")
        {
            Archive
        } else if head.get(4..8) == Some(b"ftyp") {
            // The major brand says what the ISO base media file holds.
            match head.get(8..12) {
                Some(b"crx ") => Cr3,
                Some(b"heic" | b"heix" | b"heim" | b"heis" | b"mif1") => Heif,
                Some(b"avif") => Avif,
                _ => IsoBmffVideo,
            }
        } else if starts(b"II*\0") || starts(b"MM\0*") {
            TiffRaw
        } else {
            Other
        }
    }

    /// What a file's name says it is, by its extension in any case
    /// ([`Other`](MediaKind::Other) for an extension not listed here, or none).
    pub fn from_name(name: &[u8]) -> MediaKind {
        let extension = split_extension(name).1.get(1..).unwrap_or_default();
        match extension.to_ascii_lowercase().as_slice() {
            b"jpg" | b"jpeg" => Jpeg,
            b"heic" | b"heif" => Heif,
            b"avif" => Avif,
            b"mov" | b"mp4" | b"m4v" | b"3gp" => IsoBmffVideo,
            b"mkv" | b"webm" => Matroska,
            b"avi" | b"mts" | b"m2ts" | b"wmv" | b"mpg" | b"mpeg" => OtherVideo,
            b"tif" | b"tiff" | b"dng" | b"cr2" | b"nef" | b"nrw" | b"arw" | b"srf" | b"sr2"
            | b"pef" | b"srw" | b"3fr" | b"erf" | b"mef" | b"mos" | b"kdc" => TiffRaw,
            b"cr3" => Cr3,
            b"crw" | b"raf" | b"orf" | b"rw2" | b"rwl" | b"x3f" | b"iiq" => OtherRaw,
            b"png" => Png,
            b"gif" => Gif,
            b"webp" => WebP,
            b"jxl" | b"bmp" => OtherImage,
            b"xmp" | b"aae" => Sidecar,
            _ => Other,
        }
    }

    /// Whether the content is compressed already, so that zstd would not pay: JPEG, HEIF,
    /// AVIF, PNG, GIF, WebP, video and archives. RAW files are not: their sensor data often
    /// compresses.
    pub fn is_compressed(self) -> bool {
        matches!(
            self,
            Jpeg | Heif | Avif | IsoBmffVideo | Matroska | OtherVideo | Png | Gif | WebP | Archive
        )
    }

    /// Whether the file may carry EXIF that the EXIF reader understands: JPEG, TIFF and
    /// TIFF-based RAW, HEIF, AVIF, PNG and WebP.
    pub fn may_carry_exif(self) -> bool {
        matches!(self, Jpeg | Heif | Avif | TiffRaw | Png | WebP)
    }
}

/// `(stem, extension with its dot)`; a leading dot does not start an extension.
pub(crate) fn split_extension(name: &[u8]) -> (&[u8], &[u8]) {
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, &[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first bytes of an ISO base media file of `brand`.
    fn ftyp(brand: &[u8; 4]) -> Vec<u8> {
        [b"\0\0\0\x18ftyp".as_slice(), brand, b"\0\0\0\0mif1"].concat()
    }

    #[test]
    fn each_kind_is_identified_by_its_first_bytes_whatever_its_name() {
        let cases: [(&[u8], MediaKind); 18] = [
            (b"\xFF\xD8\xFF\xE1\x00\x10Exif\x00\x00II*\x00", Jpeg),
            (&ftyp(b"heic"), Heif),
            (&ftyp(b"mif1"), Heif),
            (&ftyp(b"avif"), Avif),
            (&ftyp(b"qt  "), IsoBmffVideo),
            (&ftyp(b"isom"), IsoBmffVideo),
            (b"\0\0\0\x18ftyp", IsoBmffVideo),
            (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", Matroska),
            (b"II*\x00\x08\x00\x00\x00", TiffRaw),
            (b"MM\x00*\x00\x00\x00\x08", TiffRaw),
            (&ftyp(b"crx "), Cr3),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Png),
            (b"GIF89a", Gif),
            (b"RIFF\x24\x00\x00\x00WEBPVP8 ", WebP),
            (b"PK\x03\x04\x14\x00", Archive),
            (b"\x1f\x8b\x08\x00", Archive),
            (b"\x28\xb5\x2f\xfd", Archive),
            (b"BZh91AY&SY", Archive),
        ];
        for (head, kind) in cases {
            assert_eq!(identify(head, b"notes.txt"), kind, "{head:?}");
            assert_eq!(identify(head, b""), kind, "{head:?}");
        }
        // A JPEG named .heic (as some exports name them) is a JPEG.
        assert_eq!(identify(b"\xFF\xD8\xFF\xE0", b"IMG_1.HEIC"), Jpeg);
    }

    #[test]
    fn each_kind_is_identified_by_its_name_when_the_bytes_say_nothing() {
        let cases: [(&str, MediaKind); 17] = [
            ("IMG_1.JPG", Jpeg),
            ("a.jpeg", Jpeg),
            ("IMG_1.HEIC", Heif),
            ("a.avif", Avif),
            ("IMG_1.MOV", IsoBmffVideo),
            ("clip.3gp", IsoBmffVideo),
            ("a.webm", Matroska),
            ("00001.MTS", OtherVideo),
            ("DSC_1.NEF", TiffRaw),
            ("scan.tiff", TiffRaw),
            ("IMG_1.CR3", Cr3),
            ("DSCF1.RAF", OtherRaw),
            ("a.png", Png),
            ("a.gif", Gif),
            ("a.webp", WebP),
            ("a.jxl", OtherImage),
            ("IMG_1.CR3.xmp", Sidecar),
        ];
        for (name, kind) in cases {
            assert_eq!(identify(b"", name.as_bytes()), kind, "{name}");
            assert_eq!(identify(b"<x:xmpmeta", name.as_bytes()), kind, "{name}");
        }
        for name in ["notes.txt", "README", ".jpg", "archive.zip", ""] {
            assert_eq!(identify(b"", name.as_bytes()), Other, "{name}");
        }
        assert_eq!(identify(b"plain text", b"notes.txt"), Other);
    }

    #[test]
    fn compressed_and_exif_carrying_kinds() {
        let compressed = |head: &[u8]| MediaKind::from_content(head).is_compressed();
        assert!(compressed(b"\xFF\xD8\xFF\xE1..Exif"));
        assert!(compressed(b"\0\0\0\x18ftypheic"));
        assert!(compressed(b"\0\0\0\x18ftypqt  "));
        assert!(!compressed(b"\0\0\0\x18ftypcrx "));
        assert!(!compressed(b"II*\0"));
        assert!(!compressed(b"<x:xmpmeta"));
        let exif = |head: &[u8]| MediaKind::from_content(head).may_carry_exif();
        assert!(exif(b"\xFF\xD8\xFF\xE1..Exif"));
        assert!(exif(b"MM\0*"));
        assert!(exif(b"\0\0\0\x18ftypheic"));
        assert!(!exif(b"\0\0\0\x18ftypqt  "));
        assert!(!exif(b"\0\0\0\x18ftypcrx "));
        assert!(!exif(b"GIF89a"));
    }

    #[test]
    fn extensions_split_at_the_last_dot_but_not_a_leading_one() {
        assert_eq!(split_extension(b"a.b.jpg"), (&b"a.b"[..], &b".jpg"[..]));
        assert_eq!(split_extension(b".hidden"), (&b".hidden"[..], &b""[..]));
        assert_eq!(split_extension(b"README"), (&b"README"[..], &b""[..]));
    }
}
