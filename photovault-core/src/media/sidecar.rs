//! Capture dates from the files that travel beside a photo: XMP sidecars and Google
//! Takeout's JSON.
//!
//! Scans, screenshots, photos sent through messengers and every photo of a Google Takeout
//! export often carry no EXIF date at all; the date lives beside them, in an XMP sidecar
//! written by a photo manager (`IMG_1.jpg.xmp` as darktable names it, `IMG_1.xmp` as
//! Lightroom does) or in Takeout's JSON (`IMG_1.jpg.json`, and since 2024
//! `IMG_1.jpg.supplemental-metadata.json`). Without it such a photo has no place in the
//! timeline. The rules, in order (SPEC §14.2): the photo's own date first; then the XMP
//! sidecars, `<name>.xmp` before `<stem>.xmp`, each `exif:DateTimeOriginal` before
//! `xmp:CreateDate`; then the JSON sidecars, `<name>.supplemental-metadata.json` before
//! `<name>.json`, `photoTakenTime.timestamp`. Names are matched ignoring ASCII case.
//!
//! XMP is read as text, not parsed as RDF: the two properties appear either as attributes
//! (`exif:DateTimeOriginal="…"`) or as elements (`<xmp:CreateDate>…</…>`), and nothing else
//! of the document matters here.

use super::kind::split_extension;
use super::MediaKind;

/// Sidecars larger than this are not read for a date (no real one comes close).
pub const MAX_SIDECAR_BYTES: u64 = 1 << 20;

/// What kind of sidecar a name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SidecarFormat {
    /// An XMP packet.
    Xmp,
    /// A Google Takeout JSON file.
    TakeoutJson,
}

/// Whether a file called `name` may get its date from a sidecar: photos and videos.
pub fn wants_sidecar_date(name: &[u8]) -> bool {
    !matches!(
        MediaKind::from_name(name),
        MediaKind::Sidecar | MediaKind::Archive | MediaKind::Other
    )
}

/// The sidecar names of the photo called `name`, in the order they are consulted,
/// lower-cased (compare them with lower-cased names).
pub fn sidecar_names(name: &[u8]) -> Vec<(Vec<u8>, SidecarFormat)> {
    let lower = name.to_ascii_lowercase();
    let stem = split_extension(&lower).0;
    let with = |base: &[u8], suffix: &[u8]| [base, suffix].concat();
    let mut names = vec![(with(&lower, b".xmp"), SidecarFormat::Xmp)];
    if stem != lower.as_slice() {
        names.push((with(stem, b".xmp"), SidecarFormat::Xmp));
    }
    names.push((
        with(&lower, b".supplemental-metadata.json"),
        SidecarFormat::TakeoutJson,
    ));
    names.push((with(&lower, b".json"), SidecarFormat::TakeoutJson));
    names
}

/// The capture date a sidecar gives, as `YYYY-MM-DDTHH:MM:SS` with `±HH:MM` when it records
/// an offset (Takeout's timestamps are UTC: `+00:00`).
pub fn sidecar_date(bytes: &[u8], format: SidecarFormat) -> Option<String> {
    match format {
        SidecarFormat::Xmp => xmp_date(bytes),
        SidecarFormat::TakeoutJson => takeout_date(bytes),
    }
}

/// `exif:DateTimeOriginal`, else `xmp:CreateDate`, of an XMP packet.
fn xmp_date(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    ["exif:DateTimeOriginal", "xmp:CreateDate"]
        .iter()
        .find_map(|property| xmp_property(&text, property).and_then(|v| iso_date(&v)))
}

/// The value of `property` written as an attribute or as a simple element.
fn xmp_property(text: &str, property: &str) -> Option<String> {
    let mut from = 0;
    while let Some(found) = text[from..].find(property) {
        let at = from + found;
        from = at + property.len();
        let before = text[..at].chars().next_back();
        let rest = &text[from..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == ':') {
            continue; // part of another name
        }
        if let Some(attribute) = rest.trim_start().strip_prefix('=') {
            let attribute = attribute.trim_start();
            let quote = attribute.chars().next()?;
            if quote == '"' || quote == '\'' {
                let value = &attribute[1..];
                return value.find(quote).map(|end| value[..end].trim().to_string());
            }
        } else if before == Some('<') {
            let body = rest.strip_prefix('>')?;
            let end = body.find('<')?;
            return Some(body[..end].trim().to_string());
        }
    }
    None
}

/// An XMP (ISO 8601) date: `YYYY-MM-DD`, optionally `THH:MM`, `:SS`, fractions, and `Z` or
/// `±HH:MM`. Also EXIF's `YYYY:MM:DD HH:MM:SS`, which some writers put in XMP.
fn iso_date(value: &str) -> Option<String> {
    let v = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = v.get(range)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| std::str::from_utf8(part).ok()?.parse().ok())?
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !matches!(v.get(4), Some(b'-' | b':')) || v.get(7) != v.get(4) {
        return None;
    }
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || year == 0 {
        return None;
    }
    let (mut hour, mut minute, mut second, mut rest) = (0, 0, 0, 10);
    if matches!(v.get(10), Some(b'T' | b' ')) {
        hour = digits(11..13)?;
        minute = digits(14..16)?;
        rest = 16;
        if v.get(16) == Some(&b':') {
            second = digits(17..19)?;
            rest = 19;
            if v.get(19) == Some(&b'.') {
                rest = 20 + v[20..].iter().take_while(|b| b.is_ascii_digit()).count();
            }
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
    }
    let mut out = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
    match &value[rest..] {
        "" => {}
        "Z" => out.push_str("+00:00"),
        offset
            if offset.len() == 6
                && (offset.starts_with('+') || offset.starts_with('-'))
                && offset.as_bytes()[3] == b':' =>
        {
            out.push_str(offset)
        }
        _ => return None,
    }
    Some(out)
}

/// `photoTakenTime.timestamp` (seconds since 1970, UTC, as a string or a number).
fn takeout_date(bytes: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let stamp = &json.get("photoTakenTime")?.get("timestamp")?;
    let secs: i64 = match stamp {
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        serde_json::Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    // 0 is Takeout's "unknown".
    if secs <= 0 {
        return None;
    }
    let time = chrono::DateTime::from_timestamp(secs, 0)?;
    Some(time.format("%Y-%m-%dT%H:%M:%S+00:00").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_names_in_precedence_order() {
        let names: Vec<String> = sidecar_names(b"IMG_1.JPG")
            .into_iter()
            .map(|(n, _)| String::from_utf8(n).unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "img_1.jpg.xmp",
                "img_1.xmp",
                "img_1.jpg.supplemental-metadata.json",
                "img_1.jpg.json"
            ]
        );
        assert!(wants_sidecar_date(b"a.HEIC") && wants_sidecar_date(b"b.mov"));
        assert!(!wants_sidecar_date(b"a.xmp") && !wants_sidecar_date(b"notes.txt"));
    }

    #[test]
    fn xmp_dates_as_attributes_and_elements_original_first() {
        let attribute = br#"<rdf:Description xmp:CreateDate="2020-01-01T00:00:00"
            exif:DateTimeOriginal="2021-05-03T14:22:01.25+02:00"/>"#;
        assert_eq!(
            xmp_date(attribute).as_deref(),
            Some("2021-05-03T14:22:01+02:00")
        );
        let element = b"<x><xmp:CreateDate>2019-12-24T18:30Z</xmp:CreateDate></x>";
        assert_eq!(
            xmp_date(element).as_deref(),
            Some("2019-12-24T18:30:00+00:00")
        );
        let exif_style = b"<exif:DateTimeOriginal>2018:07:01 09:08:07</exif:DateTimeOriginal>";
        assert_eq!(xmp_date(exif_style).as_deref(), Some("2018-07-01T09:08:07"));
        assert_eq!(
            xmp_date(b"<photoshop:DateCreated>2018</photoshop:DateCreated>"),
            None
        );
        assert_eq!(xmp_date(br#"exif:DateTimeOriginal="garbage""#), None);
        assert_eq!(xmp_date(br#"myexif:DateTimeOriginal="2020-01-01""#), None);
    }

    #[test]
    fn takeout_timestamps_are_utc_and_zero_is_unknown() {
        let json = br#"{"title":"IMG_1.jpg","photoTakenTime":{"timestamp":"1620051721","formatted":"3 May 2021"}}"#;
        assert_eq!(
            takeout_date(json).as_deref(),
            Some("2021-05-03T14:22:01+00:00")
        );
        assert_eq!(
            takeout_date(br#"{"photoTakenTime":{"timestamp":1620051721}}"#).as_deref(),
            Some("2021-05-03T14:22:01+00:00")
        );
        assert_eq!(
            takeout_date(br#"{"photoTakenTime":{"timestamp":"0"}}"#),
            None
        );
        assert_eq!(takeout_date(b"not json"), None);
    }
}
