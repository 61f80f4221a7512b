//! Properties of the format and the chunker, over generated inputs: every stored structure
//! decodes to what was encoded, and chunk boundaries depend on content alone.

use std::collections::HashSet;
use std::io::{self, Read};

use chrono::{FixedOffset, TimeZone};
use photovault_core::chunk::{Chunker, ChunkerParams};
use photovault_core::crypto::{MasterKey, OVERHEAD};
use photovault_core::format::blob::{BlobEntry, BlobKind, Compression, ENTRY_LEN};
use photovault_core::format::index_file::{IndexFile, IndexedPack};
use photovault_core::format::pack_header::{
    append_header, decode_header, sealed_header_length, TRAILER_LEN,
};
use photovault_core::{
    BlobId, MediaInfo, Node, NodeKind, PackId, Snapshot, SnapshotId, SnapshotSummary, Timestamp,
    Tree,
};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::support::random_bytes;

fn blob_id() -> impl Strategy<Value = BlobId> {
    any::<[u8; 32]>().prop_map(BlobId)
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (any::<i64>(), 0..1_000_000_000u32).prop_map(|(secs, nanos)| Timestamp { secs, nanos })
}

fn media() -> impl Strategy<Value = MediaInfo> {
    (option::of(".*"), option::of(".*"), option::of(".*"))
        .prop_map(|(taken, make, model)| MediaInfo { taken, make, model })
}

fn node() -> impl Strategy<Value = Node> {
    let identity = (
        vec(any::<u8>(), 0..40), // any bytes: non-UTF-8, NUL and '/' included
        prop_oneof![
            Just(NodeKind::File),
            Just(NodeKind::Dir),
            Just(NodeKind::Symlink)
        ],
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u64>(),
    );
    let rest = (
        timestamp(),
        timestamp(),
        any::<u64>(),
        any::<u64>(),
        vec(blob_id(), 0..5),
        option::of(blob_id()),
        option::of(vec(any::<u8>(), 0..40)),
        option::of(media()),
    );
    (identity, rest).prop_map(
        |(
            (name, kind, mode, uid, gid, size),
            (mtime, ctime, inode, device, content, subtree, link_target, media),
        )| Node {
            name,
            kind,
            mode,
            uid,
            gid,
            size,
            mtime,
            ctime,
            inode,
            device,
            content,
            subtree,
            link_target,
            media,
        },
    )
}

fn blob_entry() -> impl Strategy<Value = BlobEntry> {
    (
        blob_id(),
        prop_oneof![Just(BlobKind::Data), Just(BlobKind::Tree)],
        prop_oneof![
            Just(Compression::None),
            Just(Compression::Zstd),
            Just(Compression::ZstdWords16)
        ],
        any::<u32>(),
        OVERHEAD as u32..=u32::MAX,
        any::<u32>(),
    )
        .prop_map(
            |(id, kind, compression, offset, length, raw_length)| BlobEntry {
                id,
                kind,
                compression,
                offset,
                length,
                raw_length,
            },
        )
}

/// The entries as a writer lays blobs out in a pack: end to end from offset 0, in the
/// order given (lengths cut so that a pack stays below 4 GiB).
fn laid_out(entries: Vec<BlobEntry>) -> Vec<BlobEntry> {
    let mut offset = 0u32;
    entries
        .into_iter()
        .map(|mut e| {
            e.length = OVERHEAD as u32 + e.length % (1 << 28);
            e.offset = offset;
            offset += e.length;
            e
        })
        .collect()
}

/// Summaries with every counter set, whatever counters a later version adds: the fields are
/// read from the JSON of the default summary.
fn summary() -> impl Strategy<Value = SnapshotSummary> {
    let template = serde_json::to_value(SnapshotSummary::default()).unwrap();
    let fields = template.as_object().unwrap().len();
    (vec(any::<u64>(), fields), vec(0u32..10_000_000, fields)).prop_map(move |(n, millis)| {
        let mut value = template.clone();
        for (i, (_, field)) in value.as_object_mut().unwrap().iter_mut().enumerate() {
            *field = if field.is_f64() {
                serde_json::json!(f64::from(millis[i]) / 1000.0)
            } else {
                serde_json::json!(n[i])
            };
        }
        serde_json::from_value(value).unwrap()
    })
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    (
        (
            -5_000_000_000i64..10_000_000_000,
            0..1_000_000_000u32,
            -18 * 60..=18 * 60i32,
        ),
        (".*", ".*", vec(".*", 0..4), vec(".*", 0..4)),
        (
            blob_id(),
            option::of(any::<[u8; 32]>()),
            option::of(summary()),
            ".*",
        ),
        (option::of(any::<[u8; 32]>()), vec(".*", 0..3)),
    )
        .prop_map(
            |((secs, nanos, offset_min), (hostname, username, paths, tags), rest, repair)| {
                let (tree, parent, summary, program_version) = rest;
                let (original, lost) = repair;
                let zone = FixedOffset::east_opt(offset_min * 60).unwrap();
                Snapshot {
                    version: 1,
                    time: zone.timestamp_opt(secs, nanos).unwrap(),
                    hostname,
                    username,
                    paths,
                    tags,
                    tree,
                    parent: parent.map(SnapshotId),
                    summary,
                    program_version,
                    original: original.map(SnapshotId),
                    lost,
                }
            },
        )
}

/// A node whose numbers all encode in one byte: bincode charges such a node the most decode
/// budget per stored byte, which is what once made folders of 600 photos unreadable.
fn small_node() -> impl Strategy<Value = Node> {
    (
        vec(any::<u8>(), 1..12),
        0..3u8,
        0..250u32,
        0..250u64,
        option::of(media()),
    )
        .prop_map(|(name, kind, small, size, media)| Node {
            name,
            kind: [NodeKind::File, NodeKind::Dir, NodeKind::Symlink][kind as usize],
            mode: small,
            uid: small,
            gid: small,
            size,
            mtime: Timestamp {
                secs: size as i64,
                nanos: small,
            },
            ctime: Timestamp::default(),
            inode: size,
            device: 0,
            content: Vec::new(),
            subtree: None,
            link_target: None,
            media,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Every tree the encoder writes, of any size a folder has, decodes: a pattern of nodes
    /// is repeated to the length drawn, from empty folders to 200,000 entries.
    #[test]
    fn a_tree_of_up_to_200000_entries_decodes_to_the_tree_that_was_encoded(
        pattern in vec(prop_oneof![node(), small_node()], 1..16),
        len in prop_oneof![0..1_000usize, 1_000..10_000usize, 10_000..200_001usize],
    ) {
        let tree = Tree { nodes: (0..len).map(|i| pattern[i % pattern.len()].clone()).collect() };
        let bytes = tree.encode();
        match Tree::decode(&bytes) {
            Ok(read) => prop_assert!(read == tree, "{} nodes read back differently", len),
            Err(e) => prop_assert!(false, "{} nodes ({} bytes) refused: {}", len, bytes.len(), e),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_tree_decodes_to_the_tree_that_was_encoded(nodes in vec(node(), 0..8)) {
        let tree = Tree { nodes };
        prop_assert_eq!(Tree::decode(&tree.encode()).unwrap(), tree);
    }

    #[test]
    fn a_truncated_tree_is_refused(nodes in vec(node(), 1..4), cut in any::<prop::sample::Index>()) {
        let bytes = Tree { nodes }.encode();
        let at = cut.index(bytes.len());
        prop_assert!(Tree::decode(&bytes[..at]).is_err());
    }

    #[test]
    fn a_blob_entry_decodes_to_the_entry_that_was_encoded(entry in blob_entry()) {
        let mut bytes = Vec::new();
        entry.encode(&mut bytes);
        prop_assert_eq!(bytes.len(), ENTRY_LEN);
        prop_assert_eq!(BlobEntry::decode(&bytes).unwrap(), entry);
    }

    #[test]
    fn an_index_file_decodes_to_the_index_that_was_encoded(
        packs in vec((any::<[u8; 32]>(), vec(blob_entry(), 0..5)), 0..4)
    ) {
        let index = IndexFile {
            packs: packs
                .into_iter()
                .map(|(id, blobs)| IndexedPack { id: PackId(id), blobs: laid_out(blobs) })
                .collect(),
        };
        prop_assert_eq!(IndexFile::decode(&index.encode()).unwrap(), index);
    }

    #[test]
    fn an_index_file_whose_entries_overlap_is_refused(
        blobs in vec(blob_entry(), 2..6),
        which in any::<prop::sample::Index>(),
    ) {
        let mut blobs = laid_out(blobs);
        let k = 1 + which.index(blobs.len() - 1);
        blobs[k].offset = blobs[k - 1].offset + 1; // inside the previous blob
        let index = IndexFile { packs: vec![IndexedPack { id: PackId([9; 32]), blobs }] };
        prop_assert!(IndexFile::decode(&index.encode()).is_err());
    }

    #[test]
    fn a_snapshot_reads_back_from_its_json(snapshot in snapshot()) {
        let json = serde_json::to_string(&snapshot).unwrap();
        let back: Snapshot = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, snapshot);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn a_pack_header_decodes_to_its_entries_and_any_flipped_byte_is_detected(
        blobs in vec((blob_entry(), OVERHEAD..3000usize, 0..100usize), 0..20),
        flip in any::<prop::sample::Index>(),
    ) {
        let key = MasterKey::generate();
        let mut entries = Vec::new();
        let mut offset = 0usize;
        for (entry, length, gap) in blobs {
            offset += gap;
            entries.push(BlobEntry { offset: offset as u32, length: length as u32, ..entry });
            offset += length;
        }
        let mut pack = random_bytes(offset, 7);
        append_header(&key, &entries, &mut pack);

        let n = pack.len();
        let sealed_len = sealed_header_length(&pack[n - TRAILER_LEN..]).unwrap() as usize;
        prop_assert_eq!(sealed_len + TRAILER_LEN + offset, n);
        let sealed = &pack[n - TRAILER_LEN - sealed_len..n - TRAILER_LEN];
        prop_assert_eq!(decode_header(&key, sealed, n as u64).unwrap(), entries);

        let mut damaged = sealed.to_vec();
        let at = flip.index(damaged.len());
        damaged[at] ^= 0x80;
        prop_assert!(decode_header(&key, &damaged, n as u64).is_err());
    }
}

/// Reads `data` in steps of the given sizes, in turn; a step of 0 is an `Interrupted` error.
struct SteppedReader<'a> {
    data: &'a [u8],
    steps: Vec<usize>,
    next: usize,
}

impl Read for SteppedReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let step = self.steps[self.next % self.steps.len()];
        self.next += 1;
        if step == 0 {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "signal"));
        }
        let n = step.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Absolute positions of the chunk ends of `data`.
fn boundaries(chunker: &Chunker, data: &[u8]) -> Vec<usize> {
    chunker
        .chunk_lengths(data)
        .iter()
        .scan(0, |end, len| {
            *end += len;
            Some(*end)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn streaming_chunking_cuts_where_in_memory_chunking_does_whatever_the_reads(
        // Small files, and files around the 8 MiB read buffer, whose edges must not cut.
        len in prop_oneof![0..5000usize, (7usize << 20)..(11 << 20)],
        data_seed in any::<u64>(),
        chunker_seed in any::<u64>(),
        mut steps in vec(prop_oneof![Just(0usize), 1..100usize, 1..(3usize << 20)], 0..6),
    ) {
        steps.push(65_537);
        let data = random_bytes(len, data_seed);
        let chunker = Chunker::new(ChunkerParams::default(), chunker_seed);
        let expected = chunker.chunk_lengths(&data);
        let reader = SteppedReader { data: &data, steps, next: 0 };
        let mut lengths = Vec::new();
        let mut joined = Vec::with_capacity(len);
        let total = chunker
            .chunk_reader::<_, io::Error>(reader, &mut Vec::new(), |chunk| {
                lengths.push(chunk.len());
                joined.extend_from_slice(chunk);
                Ok(())
            })
            .unwrap();
        prop_assert_eq!(total, len as u64);
        prop_assert_eq!(lengths, expected);
        prop_assert!(joined == data, "chunks do not add up to the data");
    }

    #[test]
    fn chunk_boundaries_do_not_depend_on_what_comes_before_the_data(
        len in (3usize << 20)..(6 << 20),
        prefix_len in 0usize..(2 << 20),
        seeds in any::<(u64, u64, u64)>(),
    ) {
        let (data_seed, prefix_seed, chunker_seed) = seeds;
        let chunker = Chunker::new(ChunkerParams::default(), chunker_seed);
        let data = random_bytes(len, data_seed);
        let mut prefixed = random_bytes(prefix_len, prefix_seed);
        prefixed.extend_from_slice(&data);

        let with_prefix: HashSet<usize> = boundaries(&chunker, &prefixed).into_iter().collect();
        // Past two maximum-size chunks, the two chunkings must have found the same cuts.
        let settle = 2 * chunker.params().max_size as usize;
        let later: Vec<usize> = boundaries(&chunker, &data)
            .into_iter()
            .filter(|&b| b >= settle && b < len)
            .map(|b| b + prefix_len)
            .collect();
        prop_assert!(!later.is_empty());
        let shared = later.iter().filter(|b| with_prefix.contains(b)).count();
        prop_assert!(
            shared * 5 >= later.len() * 4,
            "only {} of {} boundaries survive a {}-byte prefix", shared, later.len(), prefix_len
        );
    }
}
