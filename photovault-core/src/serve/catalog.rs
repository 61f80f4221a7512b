//! A snapshot's photos and videos as a viewer shows them: the mount's timeline (one item
//! per distinct content, by capture month, Live Photo movies and sidecars with their
//! still), with RAW+JPEG pairs of one folder joined into one item, numbered so that a page
//! can ask for an item by number.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::browse::{Browser, Timeline};
use crate::format::tree::Node;
use crate::id::SnapshotId;
use crate::media::{split_extension, MediaKind};

/// Every photo and video of one snapshot, oldest month first.
#[derive(Debug)]
pub struct Catalog {
    /// The snapshot it shows.
    pub snapshot: SnapshotId,
    /// The months, oldest first, with where their items start in `items`.
    pub months: Vec<MonthSummary>,
    /// The items, month by month, in path order within a month. `items[i].id == i`.
    pub items: Vec<CatalogItem>,
    /// Folders that could not be read: what they hold is missing.
    pub unreadable: Vec<String>,
}

/// One month of a [`Catalog`].
#[derive(Debug, Clone, Serialize)]
pub struct MonthSummary {
    /// The year, e.g. 2021.
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    /// Its items are `items[first..first + count]`.
    pub first: usize,
    /// How many items.
    pub count: usize,
}

/// A photo or video and what travels with it: one tile of the timeline.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogItem {
    /// Its number in the catalog.
    pub id: usize,
    /// The file name shown.
    pub name: String,
    /// Its full path in the snapshot.
    pub path: String,
    /// `photo`, `raw` or `video`.
    pub kind: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// Capture time as recorded (`YYYY-MM-DDTHH:MM:SS`, maybe with an offset), else the
    /// file's modification time in UTC.
    pub date: String,
    /// Camera maker and model, when the file records them.
    pub camera: Option<String>,
    /// Live Photo movies, RAW files of a RAW+JPEG pair, and sidecars.
    pub companions: Vec<Companion>,
    /// The file's node, for reading it.
    #[serde(skip)]
    pub node: Arc<Node>,
}

/// A file that travels with an item.
#[derive(Debug, Clone, Serialize)]
pub struct Companion {
    /// Its file name.
    pub name: String,
    /// Its full path in the snapshot.
    pub path: String,
    /// `live` (the movie of a Live Photo), `raw` (of a RAW+JPEG pair), `video` or `sidecar`.
    pub role: &'static str,
    /// Size in bytes.
    pub size: u64,
}

fn kind_of(name: &[u8]) -> &'static str {
    use MediaKind::*;
    match MediaKind::from_name(name) {
        TiffRaw | Cr3 | OtherRaw => "raw",
        IsoBmffVideo | Matroska | OtherVideo => "video",
        Sidecar => "sidecar",
        _ => "photo",
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `YYYY-MM-DDTHH:MM:SS` of a node: its capture time, else its mtime (UTC).
fn date_of(node: &Node) -> String {
    if let Some(taken) = node.media.as_ref().and_then(|m| m.taken.clone()) {
        return taken;
    }
    chrono::DateTime::from_timestamp(node.mtime.secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

fn camera_of(node: &Node) -> Option<String> {
    let media = node.media.as_ref()?;
    let make = media.make.as_deref().unwrap_or("").trim();
    let model = media.model.as_deref().unwrap_or("").trim();
    let camera = if model.starts_with(make) {
        model.to_string()
    } else {
        format!("{make} {model}").trim().to_string()
    };
    (!camera.is_empty()).then_some(camera)
}

impl Catalog {
    /// The catalog of a snapshot: reads all its trees (in parallel) through `browser`.
    pub fn build(browser: &Browser, snapshot: SnapshotId, root: &crate::BlobId) -> Catalog {
        Catalog::from_timeline(snapshot, browser.timeline(root))
    }

    /// The catalog of a timeline already made.
    pub fn from_timeline(snapshot: SnapshotId, timeline: Timeline) -> Catalog {
        let mut months = Vec::new();
        let mut items: Vec<CatalogItem> = Vec::new();
        for month in timeline.months {
            let first = items.len();
            let mut month_items: Vec<CatalogItem> = month
                .items
                .iter()
                .map(|item| CatalogItem {
                    id: 0,
                    name: text(&item.primary.name),
                    path: text(&item.path),
                    kind: kind_of(&item.primary.name),
                    size: item.primary.size,
                    date: date_of(&item.primary),
                    camera: camera_of(&item.primary),
                    companions: item
                        .companions
                        .iter()
                        .map(|(path, node)| Companion {
                            name: text(&node.name),
                            path: text(path),
                            role: match kind_of(&node.name) {
                                "video" => "live",
                                other => other,
                            },
                            size: node.size,
                        })
                        .collect(),
                    node: item.primary.clone(),
                })
                .collect();
            join_raw_pairs(&mut month_items);
            // Oldest first within a month, as in a camera roll: by date, then path.
            month_items.sort_by(|a, b| a.date.cmp(&b.date).then(a.path.cmp(&b.path)));
            for (i, item) in month_items.iter_mut().enumerate() {
                item.id = first + i;
            }
            months.push(MonthSummary {
                year: month.year,
                month: month.month,
                first,
                count: month_items.len(),
            });
            items.extend(month_items);
        }
        Catalog {
            snapshot,
            months,
            items,
            unreadable: timeline
                .unreadable
                .iter()
                .map(|(path, e)| format!("{}: {e}", path.display()))
                .collect(),
        }
    }

    /// The items of one month, if the catalog has it.
    pub fn month(&self, year: i32, month: u32) -> Option<&[CatalogItem]> {
        self.months
            .iter()
            .find(|m| m.year == year && m.month == month)
            .map(|m| &self.items[m.first..m.first + m.count])
    }
}

/// Joins a RAW file and a JPEG of the same stem in the same folder into one item: the
/// JPEG (which a browser shows) with the RAW file as its companion.
fn join_raw_pairs(items: &mut Vec<CatalogItem>) {
    let key = |item: &CatalogItem| {
        let (stem, _) = split_extension(item.path.as_bytes());
        stem.to_vec()
    };
    let mut jpeg_by_stem: HashMap<Vec<u8>, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if MediaKind::from_name(item.name.as_bytes()) == MediaKind::Jpeg {
            jpeg_by_stem.insert(key(item), i);
        }
    }
    let mut joined = vec![false; items.len()];
    for i in 0..items.len() {
        if items[i].kind != "raw" {
            continue;
        }
        if let Some(&j) = jpeg_by_stem.get(&key(&items[i])) {
            let raw = items[i].clone();
            let jpeg = &mut items[j];
            jpeg.companions.push(Companion {
                name: raw.name,
                path: raw.path,
                role: "raw",
                size: raw.size,
            });
            jpeg.companions.extend(raw.companions);
            if jpeg.camera.is_none() {
                jpeg.camera = raw.camera;
            }
            let jpeg_has_date = jpeg.node.media.as_ref().is_some_and(|m| m.taken.is_some());
            if !jpeg_has_date {
                jpeg.date = raw.date;
            }
            joined[i] = true;
        }
    }
    let mut i = 0;
    items.retain(|_| {
        i += 1;
        !joined[i - 1]
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browse::{Item, Month};
    use crate::format::tree::{MediaInfo, NodeKind, Timestamp};
    use crate::BlobId;

    fn node(name: &str, seed: u8, taken: Option<&str>) -> Arc<Node> {
        Arc::new(Node {
            name: name.as_bytes().to_vec(),
            kind: NodeKind::File,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            size: 100 + seed as u64,
            mtime: Timestamp {
                secs: 1_615_377_600,
                nanos: 0,
            },
            ctime: Timestamp::default(),
            inode: 0,
            device: 0,
            content: vec![BlobId([seed; 32])],
            subtree: None,
            link_target: None,
            media: taken.map(|t| MediaInfo {
                taken: Some(t.into()),
                make: Some("Canon".into()),
                model: Some("Canon EOS R6".into()),
            }),
        })
    }

    fn item(folder: &str, primary: Arc<Node>, companions: Vec<Arc<Node>>) -> Item {
        let path = |n: &Node| format!("{folder}/{}", n.display_name()).into_bytes();
        Item {
            path: path(&primary),
            companions: companions.into_iter().map(|c| (path(&c), c)).collect(),
            primary,
        }
    }

    #[test]
    fn raw_and_jpeg_pairs_become_one_item_and_live_photos_keep_their_movie() {
        let items = vec![
            item(
                "/p",
                node("IMG_2.CR3", 1, Some("2021-03-02T10:00:00")),
                vec![node("IMG_2.xmp", 2, None)],
            ),
            item("/p", node("IMG_2.JPG", 3, None), vec![]),
            item(
                "/p",
                node("IMG_1.HEIC", 4, Some("2021-03-01T09:00:00")),
                vec![node("IMG_1.MOV", 5, None)],
            ),
            // Same stem, other folder: not a pair.
            item(
                "/q",
                node("IMG_2.CR3", 6, Some("2021-03-03T00:00:00")),
                vec![],
            ),
        ];
        let timeline = Timeline {
            months: vec![Month {
                year: 2021,
                month: 3,
                entries: Vec::new(),
                items,
            }],
            unreadable: Vec::new(),
        };
        let catalog = Catalog::from_timeline(SnapshotId([0; 32]), timeline);
        let shown: Vec<(String, Vec<(String, &str)>)> = catalog
            .items
            .iter()
            .map(|i| {
                let companions = i
                    .companions
                    .iter()
                    .map(|c| (c.path.clone(), c.role))
                    .collect();
                (i.path.clone(), companions)
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                (
                    "/p/IMG_1.HEIC".to_string(),
                    vec![("/p/IMG_1.MOV".to_string(), "live")]
                ),
                (
                    "/p/IMG_2.JPG".to_string(),
                    vec![
                        ("/p/IMG_2.CR3".to_string(), "raw"),
                        ("/p/IMG_2.xmp".to_string(), "sidecar")
                    ]
                ),
                ("/q/IMG_2.CR3".to_string(), vec![]),
            ]
        );
        assert_eq!(catalog.items[1].camera.as_deref(), Some("Canon EOS R6"));
        assert_eq!(catalog.months[0].count, 3);
        assert!(catalog
            .items
            .iter()
            .enumerate()
            .all(|(i, item)| item.id == i));
        assert_eq!(catalog.month(2021, 3).unwrap().len(), 3);
        assert!(catalog.month(2021, 4).is_none());
    }
}
