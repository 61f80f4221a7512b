//! The photo timeline, as pure logic over tree nodes: which files are photos and videos,
//! which travel together, which month each belongs to, and the names they are shown
//! under. [`Browser::timeline`](super::Browser::timeline) walks the trees; the rules are
//! [`Timeline`]'s.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::Datelike;

use crate::error::Error;
use crate::format::tree::Node;
use crate::id::BlobId;
use crate::media::{split_extension, MediaKind};

/// Every distinct photo and video of one snapshot, in months by capture date: what the
/// mount shows as `timeline/YYYY/MM/`.
///
/// - What counts: photos, RAW files and videos, by name
///   ([`MediaKind::from_name`](crate::media::MediaKind::from_name)). Sidecars (`.xmp`,
///   `.aae`) and Live Photo movies travel with their primary file. Empty files are left
///   out, and preview caches (`*.lrdata`, `@eaDir`) and hidden folders are not looked into.
/// - When: `media.taken` (EXIF DateTimeOriginal, CR3's, a movie's `mvhd` creation time,
///   or for a photo without one the date of its XMP or Google Takeout sidecar; SPEC §14.2),
///   read at backup time; else the file's mtime, in UTC.
/// - Distinct: one entry per content (list of blobs). Of several copies the one with the
///   most companions is shown, then the oldest (earliest mtime: the original import), then
///   the first by path.
/// - Names: candidates of a month are taken in order of their full snapshot path; the first
///   keeps its name, later ones get ` (2)`, ` (3)`, ... before the extension, and a
///   primary's companions get the same suffix, so pairs stay recognisable side by side.
#[derive(Debug, Default)]
pub struct Timeline {
    /// The months that hold photos or videos, oldest first.
    pub months: Vec<Month>,
    /// Folders that could not be read (by path in the snapshot), and why: what they hold
    /// is missing from the timeline.
    pub unreadable: Vec<(PathBuf, Error)>,
}

/// One month of the [`Timeline`].
#[derive(Debug)]
pub struct Month {
    /// The year, e.g. 2021.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// Names (unique, sorted) and the files they show: photos and videos, with their
    /// companions beside them.
    pub entries: Vec<(Vec<u8>, Arc<Node>)>,
    /// The same files as items, one per photo or video, in order of their path in the
    /// snapshot: what a viewer shows as one tile.
    pub items: Vec<Item>,
}

/// One photo or video of a [`Month`] with the files that travel with it.
#[derive(Debug, Clone)]
pub struct Item {
    /// Its full path in the snapshot (`/home/ann/Photos/IMG_1.HEIC`).
    pub path: Vec<u8>,
    /// The photo or video.
    pub primary: Arc<Node>,
    /// Sidecars and Live Photo movies from the same folder, with their paths.
    pub companions: Vec<(Vec<u8>, Arc<Node>)>,
}

/// A photo or video and the files that belong with it.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    /// Its full path in the snapshot (`/home/ann/Photos/a.jpg`): the order names are given in.
    pub(super) path: Vec<u8>,
    /// The photo or video.
    pub(super) primary: Arc<Node>,
    /// Sidecars and Live Photo movies in the same folder, by name.
    pub(super) companions: Vec<Arc<Node>>,
}

/// The part a file plays in the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A photo that can be the still of a Live Photo (JPEG, HEIF).
    Still,
    /// Any other photo (RAW, PNG, TIFF, ...).
    Photo,
    Video,
    Sidecar,
    Other,
}

fn role_of(kind: MediaKind) -> Role {
    use MediaKind::*;
    match kind {
        Jpeg | Heif => Role::Still,
        Avif | TiffRaw | Cr3 | OtherRaw | Png | Gif | WebP | OtherImage => Role::Photo,
        IsoBmffVideo | Matroska | OtherVideo => Role::Video,
        Sidecar => Role::Sidecar,
        Archive | Other => Role::Other,
    }
}

/// Whether the timeline skips a folder: Lightroom's preview caches (`*.lrdata`), Synology
/// thumbnails (`@eaDir`) and hidden folders hold copies and thumbnails, not photos.
pub(super) fn skip_folder(name: &[u8]) -> bool {
    name.starts_with(b".") || name.ends_with(b".lrdata") || name == b"@eaDir"
}

/// The photos and videos of one folder (`dir`: its full path, `files`: its regular files),
/// each with its companions.
pub(super) fn group_folder(dir: &[u8], files: &[Arc<Node>]) -> Vec<Candidate> {
    let kinds: Vec<MediaKind> = files
        .iter()
        .map(|f| MediaKind::from_name(&f.name))
        .collect();
    let roles: Vec<Role> = kinds.iter().map(|&kind| role_of(kind)).collect();
    let stem = |i: usize| split_extension(&files[i].name).0;
    let mut by_stem: HashMap<&[u8], Vec<usize>> = HashMap::new();
    let mut by_name: HashMap<&[u8], usize> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        by_stem
            .entry(split_extension(&file.name).0)
            .or_default()
            .push(i);
        by_name.insert(&file.name, i);
    }
    // owner[i]: the primary file i travels with, if it is a companion.
    let mut owner: Vec<Option<usize>> = vec![None; files.len()];
    for i in (0..files.len()).filter(|&i| roles[i] == Role::Video) {
        let still = by_stem[stem(i)]
            .iter()
            .copied()
            .filter(|&j| roles[j] == Role::Still)
            .min_by_key(|&j| (kinds[j] != MediaKind::Heif, j));
        owner[i] = still;
    }
    for i in (0..files.len()).filter(|&i| roles[i] == Role::Sidecar) {
        // `IMG_1.CR3.xmp` (darktable) names its file in full; `IMG_1.xmp` (Lightroom) shares
        // the stem, and then a RAW or other photo is preferred over a still, then a video.
        let target = by_name.get(stem(i)).copied().or_else(|| {
            by_stem[stem(i)]
                .iter()
                .copied()
                .filter(|&j| matches!(roles[j], Role::Photo | Role::Still | Role::Video))
                .min_by_key(|&j| (roles[j] != Role::Photo, roles[j] == Role::Video, j))
        });
        owner[i] = target
            .filter(|&j| roles[j] != Role::Sidecar && roles[j] != Role::Other)
            .map(|j| owner[j].unwrap_or(j));
    }
    let mut companions: Vec<Vec<Arc<Node>>> = vec![Vec::new(); files.len()];
    for (i, o) in owner.iter().enumerate() {
        if let Some(o) = o {
            companions[*o].push(files[i].clone());
        }
    }
    let mut out = Vec::new();
    for (i, companions) in companions.into_iter().enumerate() {
        let media = matches!(roles[i], Role::Still | Role::Photo | Role::Video);
        if !media || owner[i].is_some() || files[i].content.is_empty() {
            continue;
        }
        let mut path = dir.to_vec();
        if !path.ends_with(b"/") {
            path.push(b'/');
        }
        path.extend_from_slice(&files[i].name);
        out.push(Candidate {
            path,
            primary: files[i].clone(),
            companions,
        });
    }
    out
}

/// The year and month a file belongs to: from `media.taken` (`YYYY-MM-...`), else from its
/// mtime in UTC.
pub(super) fn capture_month(node: &Node) -> (i32, u32) {
    if let Some(taken) = node.media.as_ref().and_then(|m| m.taken.as_deref()) {
        let b = taken.as_bytes();
        let digits = |r: std::ops::Range<usize>| {
            b.get(r.clone())
                .filter(|d| d.iter().all(u8::is_ascii_digit))
                .map(|_| taken[r].parse::<u32>().unwrap_or(0))
        };
        if let (Some(year), Some(b'-'), Some(month)) = (digits(0..4), b.get(4), digits(5..7)) {
            if year > 0 && (1..=12).contains(&month) {
                return (year as i32, month);
            }
        }
    }
    match chrono::DateTime::from_timestamp(node.mtime.secs, 0) {
        Some(t) if (0..=9999).contains(&t.year()) => (t.year(), t.month()),
        _ => (1970, 1),
    }
}

/// Places the candidates (of a whole snapshot) into months, one per distinct content, named
/// without clashes.
pub(super) fn arrange(mut candidates: Vec<Candidate>) -> Vec<Month> {
    candidates.sort_by(|a, b| a.path.cmp(&b.path));
    // Which copy of each content is shown.
    let mut shown: HashMap<&[BlobId], usize> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let rank = |c: &Candidate| (std::cmp::Reverse(c.companions.len()), c.primary.mtime);
        shown
            .entry(&c.primary.content)
            .and_modify(|best| {
                if rank(c) < rank(&candidates[*best]) {
                    *best = i;
                }
            })
            .or_insert(i);
    }
    let keep: HashSet<usize> = shown.into_values().collect();
    let mut months: BTreeMap<(i32, u32), Vec<&Candidate>> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        if keep.contains(&i) {
            months.entry(capture_month(&c.primary)).or_default().push(c);
        }
    }
    months
        .into_iter()
        .map(|((year, month), candidates)| Month {
            year,
            month,
            entries: name_entries(&candidates),
            items: candidates.iter().map(|c| item_of(c)).collect(),
        })
        .collect()
}

/// A candidate as a viewer shows it, its companions with their full paths.
fn item_of(c: &Candidate) -> Item {
    let folder = match c.path.iter().rposition(|&b| b == b'/') {
        Some(slash) => &c.path[..=slash],
        None => &[][..],
    };
    Item {
        path: c.path.clone(),
        primary: c.primary.clone(),
        companions: c
            .companions
            .iter()
            .map(|n| ([folder, n.name.as_slice()].concat(), n.clone()))
            .collect(),
    }
}

/// Names for one month's candidates (in path order), sorted by name.
fn name_entries(candidates: &[&Candidate]) -> Vec<(Vec<u8>, Arc<Node>)> {
    let mut used: HashSet<Vec<u8>> = HashSet::new();
    // Per primary name, the first suffix worth trying: keeps many equal names linear.
    let mut next: HashMap<&[u8], u32> = HashMap::new();
    let mut entries = Vec::new();
    for c in candidates {
        let primary = c.primary.name.as_slice();
        let mut n = next.get(primary).copied().unwrap_or(1);
        let names = loop {
            let mut names = vec![with_suffix(primary, n)];
            names.extend(
                c.companions
                    .iter()
                    .map(|x| companion_name(primary, &x.name, n)),
            );
            let distinct: HashSet<&Vec<u8>> = names.iter().collect();
            if distinct.len() == names.len() && names.iter().all(|name| !used.contains(name)) {
                break names;
            }
            n += 1;
        };
        next.insert(primary, n + 1);
        let nodes = std::iter::once(&c.primary).chain(&c.companions);
        for (name, node) in names.into_iter().zip(nodes) {
            used.insert(name.clone());
            entries.push((name, node.clone()));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

/// `IMG_1.JPG` with suffix 2 is `IMG_1 (2).JPG`; suffix 1 is the name itself.
fn with_suffix(name: &[u8], n: u32) -> Vec<u8> {
    if n <= 1 {
        return name.to_vec();
    }
    let (stem, ext) = split_extension(name);
    [stem, format!(" ({n})").as_bytes(), ext].concat()
}

/// A companion's name with its primary's suffix: `IMG_1.MOV` and `IMG_1.CR3.xmp` next to
/// `IMG_1 (2).HEIC` become `IMG_1 (2).MOV` and `IMG_1 (2).CR3.xmp`.
fn companion_name(primary: &[u8], companion: &[u8], n: u32) -> Vec<u8> {
    let stem = split_extension(primary).0;
    match companion.strip_prefix(stem) {
        Some(rest) if n > 1 && rest.starts_with(b".") => {
            [stem, format!(" ({n})").as_bytes(), rest].concat()
        }
        _ => with_suffix(companion, n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::tree::{MediaInfo, NodeKind, Timestamp};

    /// 2021-03-10T12:00:00Z
    const MARCH_2021: i64 = 1_615_377_600;

    fn file(name: &str, content: u8, mtime: i64, taken: Option<&str>) -> Arc<Node> {
        Arc::new(Node {
            name: name.as_bytes().to_vec(),
            kind: NodeKind::File,
            mode: 0o100644,
            uid: 1000,
            gid: 1000,
            size: 10,
            mtime: Timestamp {
                secs: mtime,
                nanos: 0,
            },
            ctime: Timestamp::default(),
            inode: 0,
            device: 0,
            content: vec![BlobId([content; 32])],
            subtree: None,
            link_target: None,
            media: taken.map(|t| MediaInfo {
                taken: Some(t.into()),
                ..Default::default()
            }),
        })
    }

    fn names(month: &Month) -> Vec<String> {
        month
            .entries
            .iter()
            .map(|(n, _)| String::from_utf8_lossy(n).into_owned())
            .collect()
    }

    #[test]
    fn dates_come_from_exif_then_mtime() {
        assert_eq!(
            capture_month(&file("a.jpg", 1, 0, Some("2019-07-04T10:00:00"))),
            (2019, 7)
        );
        assert_eq!(
            capture_month(&file("a.mov", 1, 0, Some("2020-12-31T23:00:00+00:00"))),
            (2020, 12)
        );
        assert_eq!(
            capture_month(&file("a.jpg", 1, MARCH_2021, None)),
            (2021, 3)
        );
        // Garbage dates fall back to the mtime.
        assert_eq!(
            capture_month(&file("a.jpg", 1, MARCH_2021, Some("0000:00:00"))),
            (2021, 3)
        );
        assert_eq!(
            capture_month(&file("a.jpg", 1, MARCH_2021, Some("2019-13-01T00:00:00"))),
            (2021, 3)
        );
    }

    #[test]
    fn live_photos_and_sidecars_travel_with_their_primary() {
        let files = [
            file("IMG_1.HEIC", 1, MARCH_2021, None),
            file("IMG_1.MOV", 2, MARCH_2021, None),
            file("IMG_2.CR3", 3, MARCH_2021, None),
            file("IMG_2.JPG", 4, MARCH_2021, None),
            file("IMG_2.xmp", 5, MARCH_2021, None),
            file("IMG_3.NEF.xmp", 6, MARCH_2021, None),
            file("IMG_3.NEF", 7, MARCH_2021, None),
            file("clip.mp4", 8, MARCH_2021, None),
            file("orphan.xmp", 9, MARCH_2021, None),
            file("notes.txt", 10, MARCH_2021, None),
        ];
        let mut groups: Vec<(String, Vec<String>)> = group_folder(b"/p", &files)
            .into_iter()
            .map(|c| {
                let companions = c.companions.iter().map(|n| n.display_name()).collect();
                (String::from_utf8(c.path).unwrap(), companions)
            })
            .collect();
        groups.sort();
        let expect =
            |p: &str, c: &[&str]| (p.to_string(), c.iter().map(|s| s.to_string()).collect());
        assert_eq!(
            groups,
            vec![
                expect("/p/IMG_1.HEIC", &["IMG_1.MOV"]),
                expect("/p/IMG_2.CR3", &["IMG_2.xmp"]),
                expect("/p/IMG_2.JPG", &[]),
                expect("/p/IMG_3.NEF", &["IMG_3.NEF.xmp"]),
                expect("/p/clip.mp4", &[]),
            ]
        );
    }

    #[test]
    fn duplicates_appear_once_and_clashes_get_suffixes_with_their_companions() {
        let a = [
            file("IMG_1.HEIC", 1, MARCH_2021, None),
            file("IMG_1.MOV", 2, MARCH_2021, None),
        ];
        let b = [
            file("IMG_1.HEIC", 3, MARCH_2021, None),
            file("IMG_1.MOV", 4, MARCH_2021, None),
            // Someone's own file already called "IMG_1 (2).HEIC".
            file("IMG_1 (2).HEIC", 5, MARCH_2021, None),
        ];
        // The same content as a/IMG_1.HEIC, imported again later, without its movie.
        let dup = [file("copy.heic", 1, MARCH_2021 + 86_400, None)];
        let mut candidates = group_folder(b"/b", &b);
        candidates.extend(group_folder(b"/a", &a));
        candidates.extend(group_folder(b"/dup", &dup));
        let months = arrange(candidates);
        assert_eq!(months.len(), 1);
        assert_eq!((months[0].year, months[0].month), (2021, 3));
        assert_eq!(
            names(&months[0]),
            [
                // "/b/IMG_1 (2).HEIC" sorts before "/b/IMG_1.HEIC" and keeps its name...
                "IMG_1 (2).HEIC",
                // ... so /b/IMG_1.HEIC and its movie go on to (3).
                "IMG_1 (3).HEIC",
                "IMG_1 (3).MOV",
                "IMG_1.HEIC",
                "IMG_1.MOV",
            ]
        );
        let content = |name: &str| {
            months[0]
                .entries
                .iter()
                .find(|(n, _)| n == name.as_bytes())
                .map(|(_, node)| node.content[0].0[0])
        };
        assert_eq!(content("IMG_1.HEIC"), Some(1));
        assert_eq!(content("IMG_1.MOV"), Some(2));
        assert_eq!(content("IMG_1 (3).HEIC"), Some(3));
        assert_eq!(content("IMG_1 (3).MOV"), Some(4));
        assert_eq!(content("IMG_1 (2).HEIC"), Some(5));
    }

    #[test]
    fn oldest_copy_wins_and_empty_files_are_left_out() {
        let imports = [file("IMG_20210310.jpg", 1, MARCH_2021 + 30 * 86_400, None)];
        let photos = [
            file("DSC1.JPG", 1, MARCH_2021, None),
            file("empty.jpg", 0, MARCH_2021, None),
        ];
        let mut empty = (*photos[1]).clone();
        empty.content.clear();
        let photos = [photos[0].clone(), Arc::new(empty)];
        let mut candidates = group_folder(b"/Imports", &imports);
        candidates.extend(group_folder(b"/Photos", &photos));
        let months = arrange(candidates);
        assert_eq!(months.len(), 1);
        assert_eq!(names(&months[0]), ["DSC1.JPG"]);
    }

    #[test]
    fn many_equal_names_stay_linear_and_unique() {
        let files: Vec<Vec<Arc<Node>>> = (0..2000u32)
            .map(|i| {
                let mut node = (*file("IMG_0001.JPG", 0, MARCH_2021, None)).clone();
                node.content = vec![BlobId([(i % 251) as u8; 32]), BlobId([(i / 251) as u8; 32])];
                vec![Arc::new(node)]
            })
            .collect();
        let candidates = files
            .iter()
            .enumerate()
            .flat_map(|(i, f)| group_folder(format!("/d{i:05}").as_bytes(), f))
            .collect();
        let months = arrange(candidates);
        let all = names(&months[0]);
        assert_eq!(all.len(), 2000);
        assert!(all.contains(&"IMG_0001.JPG".to_string()));
        assert!(all.contains(&"IMG_0001 (2000).JPG".to_string()));
    }

    #[test]
    fn roles_come_from_the_extension_in_any_case() {
        let role = |name: &str| role_of(MediaKind::from_name(name.as_bytes()));
        for ext in ["jpg", "JPEG", "heic", "HEIF"] {
            assert_eq!(role(&format!("a.{ext}")), Role::Still, "{ext}");
        }
        let photos = "png tif tiff webp gif avif jxl bmp dng cr2 cr3 crw nef nrw arw srf sr2 \
                      raf orf rw2 pef srw x3f 3fr iiq erf mef mos kdc rwl";
        for ext in photos.split_whitespace() {
            assert_eq!(
                role(&format!("a.{}", ext.to_uppercase())),
                Role::Photo,
                "{ext}"
            );
        }
        let videos = "mov mp4 m4v 3gp avi mts m2ts mkv webm wmv mpg mpeg";
        for ext in videos.split_whitespace() {
            assert_eq!(role(&format!("a.{ext}")), Role::Video, "{ext}");
        }
        assert_eq!(role("a.XMP"), Role::Sidecar);
        assert_eq!(role("a.aae"), Role::Sidecar);
        for name in ["notes.txt", "a.zip", ".jpg", "jpg", "a."] {
            assert_eq!(role(name), Role::Other, "{name}");
        }
    }

    #[test]
    fn suffixes_go_before_the_extension() {
        assert_eq!(with_suffix(b"a.jpg", 1), b"a.jpg");
        assert_eq!(with_suffix(b"a.b.jpg", 2), b"a.b (2).jpg");
        assert_eq!(with_suffix(b"README", 3), b"README (3)");
        assert_eq!(with_suffix(b".hidden", 2), b".hidden (2)");
        assert_eq!(
            companion_name(b"IMG_1.CR3", b"IMG_1.CR3.xmp", 2),
            b"IMG_1 (2).CR3.xmp"
        );
        assert_eq!(
            companion_name(b"IMG_1.HEIC", b"IMG_1.MOV", 4),
            b"IMG_1 (4).MOV"
        );
        assert!(skip_folder(b"Library Previews.lrdata"));
        assert!(skip_folder(b".thumbnails"));
        assert!(!skip_folder(b"2021-03"));
    }
}
