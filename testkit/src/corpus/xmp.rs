//! XMP sidecars as Lightroom and Camera Raw leave them beside RAW files: the capture date
//! (`xmp:CreateDate`, `exif:DateTimeOriginal`), camera, rating, develop settings, keywords
//! and an edit history. A few kilobytes of text that changes when someone edits a photo,
//! which is what makes sidecars the most often changed files of a library.

use std::fmt::Write as _;

use super::capture::Capture;
use super::rng::Rng;

/// Keywords and folder-name suffixes (events) used by the corpus.
pub const EVENTS: &[&str] = &[
    "Lisbon",
    "Birthday",
    "Hiking",
    "Wedding",
    "Beach",
    "Snow Trip",
    "Garden",
    "Concert",
];

/// The sidecar of a RAW file from `make` `model` taken at `taken`, last saved at `edited`.
/// Dates carry their UTC offset, as Lightroom writes them.
pub fn sidecar(
    make: &str,
    model: &str,
    taken: &Capture,
    edited: &Capture,
    rng: &mut Rng,
) -> String {
    let mut develop = String::new();
    let settings: [(&str, i64, i64); 12] = [
        ("Temperature", 2800, 7500),
        ("Tint", -25, 25),
        ("Contrast2012", -40, 40),
        ("Highlights2012", -100, 0),
        ("Shadows2012", 0, 100),
        ("Whites2012", -30, 30),
        ("Blacks2012", -30, 30),
        ("Texture", -20, 40),
        ("Clarity2012", -20, 40),
        ("Dehaze", 0, 30),
        ("Vibrance", 0, 40),
        ("Saturation", -10, 10),
    ];
    for (name, lo, hi) in settings {
        let _ = writeln!(develop, "   crs:{name}=\"{}\"", rng.range(lo, hi));
    }
    let exposure = rng.range(-200, 200);
    let _ = writeln!(
        develop,
        "   crs:Exposure2012=\"{}{}.{:02}\"",
        if exposure < 0 { '-' } else { '+' },
        exposure.abs() / 100,
        exposure.abs() % 100
    );
    let mut curve = String::new();
    let mut x = 0;
    while x < 255 {
        x = (x + rng.range(8, 40)).min(255);
        let y = (x + rng.range(-12, 12)).clamp(0, 255);
        let _ = writeln!(curve, "     <rdf:li>{x}, {y}</rdf:li>");
    }
    let mut history = String::new();
    for step in 0..rng.range(1, 8) {
        let when = edited.later(step * 97);
        let _ = writeln!(
            history,
            "     <rdf:li stEvt:action=\"saved\" stEvt:instanceID=\"xmp.iid:{:016x}{:016x}\" \
             stEvt:when=\"{}\" stEvt:softwareAgent=\"Adobe Photoshop Lightroom Classic 13.1\" \
             stEvt:changed=\"/metadata\"/>",
            rng.next_u64(),
            rng.next_u64(),
            when.iso(true)
        );
    }
    format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 7.0-c000">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
   xmlns:xmp="http://ns.adobe.com/xap/1.0/"
   xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
   xmlns:exif="http://ns.adobe.com/exif/1.0/"
   xmlns:dc="http://purl.org/dc/elements/1.1/"
   xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
   xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
   xmlns:stEvt="http://ns.adobe.com/xap/1.0/sType/ResourceEvent#"
   xmp:CreatorTool="{model}"
   xmp:CreateDate="{created}"
   xmp:ModifyDate="{modified}"
   xmp:MetadataDate="{modified}"
   xmp:Rating="{rating}"
   exif:DateTimeOriginal="{created}"
   tiff:Make="{make}"
   tiff:Model="{model}"
   crs:Version="16.1"
   crs:ProcessVersion="15.4"
   crs:WhiteBalance="As Shot"
{develop}   crs:CameraProfile="Adobe Color">
   <crs:ToneCurvePV2012>
    <rdf:Seq>
{curve}    </rdf:Seq>
   </crs:ToneCurvePV2012>
   <xmpMM:History>
    <rdf:Seq>
{history}    </rdf:Seq>
   </xmpMM:History>
   <dc:subject>
    <rdf:Bag>
    </rdf:Bag>
   </dc:subject>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
"#,
        created = taken.iso(true),
        modified = edited.iso(true),
        rating = rng.range(0, 5),
    )
}

/// `text` after a day-2 edit at `when`: a new rating, some keywords, a newer metadata date
/// and one more history entry, as a photo manager writes them. Unknown text (not one of
/// ours) gets the history entry at its end, so it changes too.
pub fn edited(text: &str, when: &Capture, rng: &mut Rng) -> String {
    let mut out = replace_attribute(text, "xmp:Rating", &rng.range(1, 5).to_string());
    out = replace_attribute(&out, "xmp:MetadataDate", &when.iso(true));
    let mut keywords = String::new();
    let wanted = rng.range(1, 3) as usize;
    for i in rng.sample(EVENTS.len(), wanted) {
        let _ = writeln!(keywords, "     <rdf:li>{}</rdf:li>", EVENTS[i]);
    }
    out = insert_before(&out, "    </rdf:Bag>", &keywords);
    let entry = format!(
        "     <rdf:li stEvt:action=\"saved\" stEvt:when=\"{}\" stEvt:changed=\"/metadata\"/>\n",
        when.iso(true)
    );
    if out.contains("    </rdf:Seq>\n   </xmpMM:History>") {
        insert_before(&out, "    </rdf:Seq>\n   </xmpMM:History>", &entry)
    } else {
        out + &entry
    }
}

/// `text` with the value of the first `name="..."` replaced.
fn replace_attribute(text: &str, name: &str, value: &str) -> String {
    let key = format!("{name}=\"");
    match text.find(&key) {
        Some(start) => {
            let from = start + key.len();
            let end = text[from..].find('"').map_or(text.len(), |e| from + e);
            format!("{}{value}{}", &text[..from], &text[end..])
        }
        None => text.to_string(),
    }
}

/// `text` with `insert` put before the first `marker`.
fn insert_before(text: &str, marker: &str, insert: &str) -> String {
    match text.find(marker) {
        Some(at) => format!("{}{insert}{}", &text[..at], &text[at..]),
        None => text.to_string(),
    }
}
