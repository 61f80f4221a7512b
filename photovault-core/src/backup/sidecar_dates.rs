//! Capture dates for photos that carry none, from the sidecars beside them.
//!
//! Once a folder's entries are archived, a photo or video that got no date from its own
//! bytes looks among its folder's files for its sidecars ([`crate::media::sidecar_names`])
//! and takes the first date one gives (SPEC §14.2). Sidecars are small and read only for
//! such photos, so a folder of photos with EXIF dates costs nothing here.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::format::tree::{MediaInfo, Node, NodeKind};
use crate::media::{sidecar_date, sidecar_names, wants_sidecar_date, MAX_SIDECAR_BYTES};

/// Gives each photo of `nodes` (the entries of the folder at `dir`) without a capture date
/// the date of its first sidecar that has one.
pub(super) fn add_sidecar_dates(dir: &Path, nodes: &mut [Node]) {
    let sidecars: HashMap<Vec<u8>, usize> = nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.kind == NodeKind::File && n.size <= MAX_SIDECAR_BYTES)
        .map(|(i, n)| (n.name.to_ascii_lowercase(), i))
        .filter(|(name, _)| name.ends_with(b".xmp") || name.ends_with(b".json"))
        .collect();
    if sidecars.is_empty() {
        return;
    }
    for i in 0..nodes.len() {
        let node = &nodes[i];
        let dated = node.media.as_ref().is_some_and(|m| m.taken.is_some());
        if node.kind != NodeKind::File || dated || !wants_sidecar_date(&node.name) {
            continue;
        }
        let taken = sidecar_names(&node.name)
            .into_iter()
            .filter_map(|(name, format)| Some((*sidecars.get(&name)?, format)))
            .filter(|&(at, _)| at != i)
            .find_map(|(at, format)| {
                let path = dir.join(std::ffi::OsStr::from_bytes(&nodes[at].name));
                sidecar_date(&read_small(&path)?, format)
            });
        if let Some(taken) = taken {
            let media = nodes[i].media.get_or_insert_with(MediaInfo::default);
            media.taken = Some(taken);
        }
    }
}

/// A sidecar's bytes, if it can be read and is small.
fn read_small(path: &Path) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)
        .ok()?
        .take(MAX_SIDECAR_BYTES + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() as u64 <= MAX_SIDECAR_BYTES).then_some(bytes)
}
