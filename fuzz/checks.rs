//! The checks behind photovault's fuzz targets: one function per decoder.
//!
//! Each function takes arbitrary bytes, runs one decoder of `photovault-core` on them, and
//! panics when something is wrong: the decoder panicked, a decode → encode round trip does not
//! hold, or the decoder allocated more than the input can justify. The fuzz targets in
//! `fuzz_targets/` call them with libFuzzer's inputs; the CI test `tests/integrity` of the main
//! workspace includes this very file with `#[path]` and calls them with every file under
//! `fuzz/regressions/<target>/`, so a regression input is judged the same way in both places.
//! That is why this file depends on nothing but `photovault-core`, `serde_json`, `blake3`
//! and `std`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use photovault_core::chunk::{container, Chunker, ChunkerParams, ChunkingScheme};
use photovault_core::compress;
use photovault_core::crypto::MasterKey;
use photovault_core::format::blob::{
    open_blob, seal_blob, BlobEntry, BlobKind, BlobLocation, Compression, ENTRY_LEN,
};
use photovault_core::format::config::Config;
use photovault_core::format::index_file::IndexFile;
use photovault_core::format::index_file::IndexedPack;
use photovault_core::format::key_file::KeyFile;
use photovault_core::format::pack_header::{decode_plain, encode_plain};
use photovault_core::format::tree::{MediaInfo, Node, NodeKind, Timestamp, Tree};
use photovault_core::{BlobId, PackId, Snapshot};

/// One target's check: panics when the input reveals a bug.
pub type Check = fn(&[u8]);

/// Every target by name: the names of `fuzz_targets/*.rs` and of `regressions/*/`.
pub const TARGETS: &[(&str, Check)] = &[
    ("pack_header", pack_header),
    ("index_file", index_file),
    ("tree", tree),
    ("snapshot", snapshot),
    ("key_file", key_file),
    ("config", config),
    ("blob", blob),
    ("tree_round_trip", tree_round_trip),
    ("index_round_trip", index_round_trip),
    ("jpeg_cuts", jpeg_cuts),
    ("png_cuts", png_cuts),
    ("tiff_cuts", tiff_cuts),
    ("bmff_cuts", bmff_cuts),
];

/// The password tried on key files whose parameters are cheap (that of SPEC.md A.4).
pub const PASSWORD: &[u8] = b"password";

/// What any decoder may allocate at once regardless of its input: serde preallocates up to
/// 1 MiB for a sequence whose announced length it cannot check yet, plus small change.
const FIXED_ALLOWANCE: usize = (1 << 20) + (64 << 10);
/// How much larger than its encoding a decoded structure may be (in-memory nodes are
/// several times larger than their varint encoding, and vectors grow by doubling).
const GROWTH_FACTOR: usize = 64;
/// Error messages and other small allocations around a bounded one.
const SLACK: usize = 64 << 10;

/// Pack header plaintext. Input: `blob_area_end u64 LE || header plaintext`.
///
/// Decoding must not panic; when it succeeds, the entries are sorted by offset, within the
/// blob area and disjoint, and encoding them gives back the input's records (in offset order:
/// the encoding is fixed-width, so nothing else may differ).
pub fn pack_header(data: &[u8]) {
    let (blob_area_end, plain) = split_u64(data);
    let (decoded, largest) = largest_allocation(|| decode_plain(plain, blob_area_end));
    assert_bounded("pack header", largest, FIXED_ALLOWANCE + 2 * plain.len());
    let Ok(entries) = decoded else { return };
    let mut previous_end = 0;
    for e in &entries {
        assert!(
            e.offset as u64 >= previous_end,
            "entries overlap: {entries:?}"
        );
        assert!(
            e.end() <= blob_area_end,
            "entry beyond the blob area: {e:?}"
        );
        assert!(e.length >= 40, "entry shorter than a seal: {e:?}");
        previous_end = e.end();
    }
    let encoded = encode_plain(&entries);
    assert_eq!(encoded.len(), plain.len());
    assert_eq!(
        encoded[..5],
        plain[..5],
        "version and count re-encode identically"
    );
    let mut ours: Vec<&[u8]> = encoded[5..].chunks(ENTRY_LEN).collect();
    let mut theirs: Vec<&[u8]> = plain[5..].chunks(ENTRY_LEN).collect();
    ours.sort_unstable();
    theirs.sort_unstable();
    assert_eq!(ours, theirs, "re-encoded records differ from the input's");
    assert_eq!(decode_plain(&encoded, blob_area_end), Ok(entries));
}

/// Index file plaintext. The encoding is canonical, so decode → encode gives the input back
/// byte for byte.
pub fn index_file(data: &[u8]) {
    let (decoded, largest) = largest_allocation(|| IndexFile::decode(data));
    assert_bounded("index file", largest, FIXED_ALLOWANCE + 2 * data.len());
    let Ok(file) = decoded else { return };
    assert_eq!(
        file.encode(),
        data,
        "index file does not re-encode to its input"
    );
}

/// Tree plaintext. bincode accepts non-shortest varints, so the check is
/// decode(encode(decode(x))) == decode(x), with an encoding no longer than the input and
/// stable under a second round.
pub fn tree(data: &[u8]) {
    let (decoded, largest) = largest_allocation(|| Tree::decode(data));
    assert_bounded(
        "tree",
        largest,
        FIXED_ALLOWANCE + GROWTH_FACTOR * data.len(),
    );
    let Ok(tree) = decoded else { return };
    let encoded = tree.encode();
    assert!(
        encoded.len() <= data.len(),
        "writers use the shortest forms, so re-encoding cannot grow ({} > {})",
        encoded.len(),
        data.len()
    );
    let again = Tree::decode(&encoded).expect("an encoded tree decodes");
    assert_eq!(again, tree);
    assert_eq!(again.encode(), encoded, "encoding is not stable");
    for node in &tree.nodes {
        let _ = node.name_problem();
        let _ = node.display_name();
        let _ = tree.get(&node.name);
    }
}

/// Every tree the encoder writes decodes to itself, at any size: the opposite direction
/// of [`tree`]. Input: `node_count u32 LE (mod 250,001) || node templates, 64 bytes each`;
/// the tree repeats the templates (made unique by a numbered name) to the count. Folders of
/// 600 entries once failed exactly this.
pub fn tree_round_trip(data: &[u8]) {
    let (count, rest) = split_u32(data);
    let count = (count % 250_001) as usize;
    let mut templates: Vec<Node> = rest.chunks(64).map(node_from_bytes).collect();
    if templates.is_empty() {
        templates.push(node_from_bytes(&[]));
    }
    let nodes = (0..count)
        .map(|i| {
            let mut node = templates[i % templates.len()].clone();
            let mut name = format!("{i:08}").into_bytes();
            name.extend_from_slice(&node.name);
            node.name = name;
            node
        })
        .collect();
    let tree = Tree { nodes };
    let bytes = tree.encode();
    match Tree::decode(&bytes) {
        Ok(read) => assert!(read == tree, "{count} nodes decode to another tree"),
        Err(e) => panic!(
            "{count} nodes ({} bytes) written but refused: {e}",
            bytes.len()
        ),
    }
}

/// Every index file the encoder writes decodes to itself, at any size. Input:
/// `pack_count u16 LE || blobs_per_pack u16 LE || entry seed bytes`; blobs lie end to end
/// in each pack, as a writer lays them out.
pub fn index_round_trip(data: &[u8]) {
    let (packs, rest) = split_u32(data);
    let (pack_count, per_pack) = ((packs & 0xff) as usize, ((packs >> 16) % 4096) as usize);
    let seed = |i: usize| rest.get(i % rest.len().max(1)).copied().unwrap_or(0);
    let packs = (0..pack_count)
        .map(|p| {
            let mut offset = 0u32;
            let blobs = (0..per_pack)
                .map(|b| {
                    let length = 40 + (seed(p * 31 + b) as u32) * 97;
                    let entry = BlobEntry {
                        id: BlobId(*blake3::hash(&[p as u8, b as u8, (b >> 8) as u8]).as_bytes()),
                        kind: if seed(b) & 1 == 0 {
                            BlobKind::Data
                        } else {
                            BlobKind::Tree
                        },
                        compression: if seed(b) & 2 == 0 {
                            Compression::None
                        } else {
                            Compression::Zstd
                        },
                        offset,
                        length,
                        raw_length: length * 3,
                    };
                    offset += length;
                    entry
                })
                .collect();
            IndexedPack {
                id: PackId([p as u8; 32]),
                blobs,
            }
        })
        .collect();
    let file = IndexFile { packs };
    let bytes = file.encode();
    assert_eq!(
        IndexFile::decode(&bytes).as_ref(),
        Ok(&file),
        "an encoded index file is refused or changed"
    );
}

/// A node whose every field comes from `b` (missing bytes read as zero): small and large
/// numbers, any name bytes, optional link target and media strings.
fn node_from_bytes(b: &[u8]) -> Node {
    let byte = |i: usize| b.get(i).copied().unwrap_or(0);
    let word = |i: usize| {
        let mut w = [0u8; 8];
        for (k, slot) in w.iter_mut().enumerate() {
            *slot = byte(i + k);
        }
        u64::from_le_bytes(w)
    };
    // Flag bits choose one-byte or full-width numbers: bincode charges them differently.
    let flags = byte(0);
    let number = |i: usize| {
        if flags & 1 == 0 {
            word(i) & 0x7f
        } else {
            word(i)
        }
    };
    let text = |from: usize, len: usize| {
        String::from_utf8_lossy(&b[from.min(b.len())..(from + len).min(b.len())]).into_owned()
    };
    Node {
        name: b[1.min(b.len())..(1 + byte(1) as usize % 16).min(b.len())].to_vec(),
        kind: [NodeKind::File, NodeKind::Dir, NodeKind::Symlink][byte(2) as usize % 3],
        mode: number(3) as u32,
        uid: number(4) as u32,
        gid: number(5) as u32,
        size: number(6),
        mtime: Timestamp {
            secs: number(8) as i64,
            nanos: (word(16) % 1_000_000_000) as u32,
        },
        ctime: Timestamp {
            secs: -(number(10) as i64),
            nanos: (word(24) % 1_000_000_000) as u32,
        },
        inode: number(12),
        device: number(14),
        content: (0..byte(32) % 8)
            .map(|k| BlobId([byte(33 + k as usize); 32]))
            .collect(),
        subtree: (flags & 2 != 0).then(|| BlobId([byte(40); 32])),
        link_target: (flags & 4 != 0)
            .then(|| b[..b.len().min(4096)].repeat(1 + byte(41) as usize % 4)),
        media: (flags & 8 != 0).then(|| MediaInfo {
            taken: Some(text(42, 25)),
            make: (flags & 16 != 0).then(|| text(48, 16)),
            model: None,
        }),
    }
}

/// Snapshot JSON (the plaintext of a snapshot file). Decoding must not panic; a decoded
/// snapshot serializes, and reads back equal (the f64 duration to within rounding: serde_json
/// parses long decimals to the nearest double only approximately).
pub fn snapshot(data: &[u8]) {
    let (decoded, largest) = largest_allocation(|| serde_json::from_slice::<Snapshot>(data));
    assert_bounded(
        "snapshot",
        largest,
        FIXED_ALLOWANCE + GROWTH_FACTOR * data.len(),
    );
    let Ok(snapshot) = decoded else { return };
    let _ = snapshot.is_supported();
    let json = serde_json::to_vec(&snapshot).expect("a decoded snapshot serializes");
    let again: Snapshot = serde_json::from_slice(&json).expect("a written snapshot reads back");
    assert_eq!(without_duration(&again), without_duration(&snapshot));
    if let (Some(a), Some(b)) = (&again.summary, &snapshot.summary) {
        let (a, b) = (a.duration_seconds, b.duration_seconds);
        assert!(
            a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
            "duration {b} reads back as {a}"
        );
    }
}

fn without_duration(s: &Snapshot) -> Snapshot {
    let mut s = s.clone();
    if let Some(summary) = &mut s.summary {
        summary.duration_seconds = 0.0;
    }
    s
}

/// Key file JSON. Decoding must not panic and must round-trip; when the Argon2 parameters
/// are tiny (at most 64 KiB, one pass) the key is also unwrapped with [`PASSWORD`], which must
/// not panic, and a key that unwraps must unwrap again after being wrapped anew.
pub fn key_file(data: &[u8]) {
    let (decoded, largest) = largest_allocation(|| KeyFile::decode(data, "fuzz"));
    assert_bounded(
        "key file",
        largest,
        FIXED_ALLOWANCE + GROWTH_FACTOR * data.len(),
    );
    let Ok(key_file) = decoded else { return };
    let again = KeyFile::decode(&key_file.encode(), "fuzz").expect("an encoded key file decodes");
    assert_eq!(again, key_file);
    let p = key_file.params;
    if p.memory_kib > 64 || p.iterations > 1 {
        return;
    }
    if let Ok(Some(master)) = key_file.unwrap_key(PASSWORD, "fuzz") {
        let rewrapped = KeyFile::wrap(&master, PASSWORD, p).expect("parameters that unwrapped");
        let unwrapped = rewrapped
            .unwrap_key(PASSWORD, "fuzz")
            .expect("a fresh key file opens")
            .expect("with its own password");
        assert_eq!(*unwrapped.to_bytes(), *master.to_bytes());
    }
}

/// Config JSON (the plaintext of `config`). Decoding and `check_supported` must not panic and
/// the config must round-trip; a config that is accepted must give a working chunker, whose
/// chunks of the input respect the sizes.
pub fn config(data: &[u8]) {
    let (decoded, largest) = largest_allocation(|| serde_json::from_slice::<Config>(data));
    assert_bounded(
        "config",
        largest,
        FIXED_ALLOWANCE + GROWTH_FACTOR * data.len(),
    );
    let Ok(config) = decoded else { return };
    let supported = config.check_supported();
    let json = serde_json::to_vec(&config).expect("a config serializes");
    let again: Config = serde_json::from_slice(&json).expect("a written config reads back");
    assert_eq!(again, config);
    assert_eq!(again.check_supported().is_ok(), supported.is_ok());
    if supported.is_err() {
        return;
    }
    let params = config.chunker;
    let chunker = Chunker::new(params, 0x0123_4567_89ab_cdef);
    let lengths = chunker.chunk_lengths(data);
    assert_eq!(lengths.iter().sum::<usize>(), data.len());
    for (i, &len) in lengths.iter().enumerate() {
        assert!(len <= params.max_size as usize, "chunk of {len} bytes");
        assert!(
            len >= params.min_size as usize || i + 1 == lengths.len(),
            "chunk of {len} bytes before the last"
        );
    }
}

/// JPEG container parse (SPEC §12.5): the input after SOI (`FF D8`), so every input reaches
/// the segment walk. See [`container_cuts`].
pub fn jpeg_cuts(data: &[u8]) {
    container_cuts(&[b"\xFF\xD8".as_slice(), data].concat());
}

/// PNG container parse: the input after the PNG signature. See [`container_cuts`].
pub fn png_cuts(data: &[u8]) {
    container_cuts(&[b"\x89PNG\r\n\x1a\n".as_slice(), data].concat());
}

/// TIFF container parse: the input as it is when it starts with a TIFF header, else after
/// `II*\0`. See [`container_cuts`].
pub fn tiff_cuts(data: &[u8]) {
    if data.starts_with(b"II*\0") || data.starts_with(b"MM\0*") {
        container_cuts(data);
    } else {
        container_cuts(&[b"II*\0".as_slice(), data].concat());
    }
}

/// ISO-BMFF container parse: the input as it is when its first box is one the parser
/// recognises, else after a 16-byte `ftyp` box. See [`container_cuts`].
pub fn bmff_cuts(data: &[u8]) {
    let known = [b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"];
    if data.len() >= 12 && known.iter().any(|k| data[4..8] == k[..]) {
        container_cuts(data);
    } else {
        container_cuts(&[b"\0\0\0\x10ftypisom\0\0\0\0".as_slice(), data].concat());
    }
}

/// Container cut points of a whole file: must not panic or allocate more than the file
/// justifies; cuts must be strictly increasing and inside the file; and chunking the file
/// streamed through the cuts must give the chunks that cutting each part in memory gives,
/// covering the file, each within the chunker's sizes.
pub fn container_cuts(file: &[u8]) {
    let (cuts, largest) = largest_allocation(|| container::cut_points(file, 0));
    assert_bounded(
        "container cut points",
        largest,
        FIXED_ALLOWANCE + 8 * file.len(),
    );
    assert!(
        cuts.windows(2).all(|w| w[0] < w[1]),
        "cuts not increasing: {cuts:?}"
    );
    assert!(
        cuts.iter().all(|&c| c > 0 && c < file.len() as u64),
        "cut outside the file: {cuts:?}"
    );
    let params = ChunkerParams {
        min_size: 64,
        avg_size: 256,
        max_size: 1024,
    };
    let chunker =
        Chunker::new(params, 0x0123_4567_89ab_cdef).with_scheme(ChunkingScheme::Container);
    let in_memory: Vec<usize> = {
        let mut out = Vec::new();
        let mut start = 0;
        for end in cuts.iter().map(|&c| c as usize).chain([file.len()]) {
            out.extend(chunker.chunk_lengths(&file[start..end]));
            start = end;
        }
        out
    };
    let mut streamed = Vec::new();
    let read = chunker
        .chunk_parts::<_, std::io::Error>(file, &cuts, &mut Vec::new(), |chunk, _| {
            streamed.push(chunk.len());
            Ok(())
        })
        .expect("reading a slice");
    assert_eq!(read, file.len() as u64);
    assert_eq!(
        streamed, in_memory,
        "streaming cuts differ from in-memory cuts"
    );
    assert!(streamed.iter().all(|&n| n > 0 && n <= 1024));
}

/// Stored blob opening and zstd decompression. Input: `flags u8 || raw_length u24 LE ||
/// payload`, where the flags are
///
/// - bit 0: kind (0 data, 1 tree); bit 1: compressed (0 none, 1 zstd); bit 5, when bit 1
///   is set: zstd over 16-bit byte planes;
/// - bit 2: seal the payload with [`test_master_key`] first, so that the fuzzer gets past the
///   tag, instead of using the payload itself as the stored blob;
/// - bit 3: bind the blob to the id of the plaintext the payload should yield;
/// - bit 4 (when bit 3 is clear): the 32 bytes after `raw_length` are the blob id, and the
///   payload follows them (so a real stored blob, e.g. SPEC.md A.3's, can be given whole);
///   otherwise the id is a fixed one.
///
/// `compress::decompress(compression, payload, raw_length)` must not panic, must yield exactly
/// `raw_length` bytes or an error, and must not allocate beyond `raw_length`;
/// `open_blob` must not panic, must return only plaintext of `raw_length` bytes that hashes to
/// the id, must open every blob sealed correctly, and must not allocate beyond the larger of
/// `raw_length` and the stored length.
pub fn blob(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let flags = data[0];
    let raw_length = u32::from_le_bytes([data[1], data[2], data[3], 0]);
    let mut payload = &data[4..];
    let mut given_id = None;
    if flags & 0x18 == 0x10 && payload.len() >= 32 {
        let (id, rest) = payload.split_at(32);
        given_id = Some(BlobId(id.try_into().expect("32 bytes")));
        payload = rest;
    }
    let key = test_master_key();
    let kind = if flags & 1 == 0 {
        BlobKind::Data
    } else {
        BlobKind::Tree
    };
    let compression = match (flags & 2 != 0, flags & 0x20 != 0) {
        (false, _) => Compression::None,
        (true, false) => Compression::Zstd,
        (true, true) => Compression::ZstdWords16,
    };
    let compressed_as = match compression {
        Compression::None => Compression::Zstd,
        other => other,
    };

    let (decompressed, largest) =
        largest_allocation(|| compress::decompress(compressed_as, payload, raw_length as usize));
    assert_bounded("decompress", largest, raw_length as usize + SLACK);
    if let Ok(plain) = &decompressed {
        assert_eq!(plain.len(), raw_length as usize);
        let mut frame = Vec::new();
        if compress::compress_into(plain, compressed_as, 1, &mut frame) {
            assert_eq!(
                compress::decompress(compressed_as, &frame, plain.len()).as_ref(),
                Ok(plain)
            );
        }
    }

    let expected = match compression {
        Compression::None => Some(payload.to_vec()),
        Compression::Zstd | Compression::ZstdWords16 => decompressed.ok(),
    };
    let id = match (&expected, flags & 8 != 0, given_id) {
        (Some(plain), true, _) => key.blob_id(plain),
        (_, _, Some(id)) => id,
        _ => BlobId([0x42; 32]),
    };
    let stored = if flags & 4 != 0 {
        let mut stored = Vec::new();
        seal_blob(
            &key,
            kind,
            &id,
            compression,
            raw_length,
            payload,
            &mut stored,
        );
        stored
    } else {
        payload.to_vec()
    };
    let location = location(id, kind, compression, stored.len(), raw_length);
    let (opened, largest) = largest_allocation(|| open_blob(&key, &location, &stored));
    assert_bounded(
        "open_blob",
        largest,
        (raw_length as usize).max(stored.len()) + SLACK,
    );
    match opened {
        Ok(plain) => {
            assert_eq!(plain.len(), raw_length as usize);
            assert_eq!(key.blob_id(&plain), id);
            let mut resealed = Vec::new();
            seal_blob(
                &key,
                kind,
                &id,
                Compression::None,
                raw_length,
                &plain,
                &mut resealed,
            );
            let again = location_none(&location, resealed.len());
            assert_eq!(open_blob(&key, &again, &resealed).ok(), Some(plain));
        }
        Err(e) => {
            let sealed_right = flags & 4 != 0
                && flags & 8 != 0
                && expected.is_some_and(|p| p.len() == raw_length as usize);
            assert!(!sealed_right, "a correctly sealed blob does not open: {e}");
        }
    }
}

fn location(
    id: BlobId,
    kind: BlobKind,
    compression: Compression,
    length: usize,
    raw_length: u32,
) -> BlobLocation {
    BlobLocation {
        pack: PackId([7; 32]),
        entry: BlobEntry {
            id,
            kind,
            compression,
            offset: 0,
            length: length as u32,
            raw_length,
        },
    }
}

fn location_none(l: &BlobLocation, length: usize) -> BlobLocation {
    let e = l.entry;
    location(e.id, e.kind, Compression::None, length, e.raw_length)
}

/// The master key of SPEC.md Appendix A.1: encryption key `01` × 32, MAC key `04` × 32,
/// chunker seed `0x0123456789abcdef`.
pub fn test_master_key() -> MasterKey {
    let mut bytes = [0u8; 72];
    bytes[..32].fill(0x01);
    bytes[32..64].fill(0x04);
    bytes[64..].copy_from_slice(&0x0123_4567_89ab_cdef_u64.to_le_bytes());
    MasterKey::from_bytes(&bytes)
}

/// Splits `u32 LE || rest`; a shorter input is zero-padded.
fn split_u32(data: &[u8]) -> (u32, &[u8]) {
    let n = data.len().min(4);
    let mut b = [0u8; 4];
    b[..n].copy_from_slice(&data[..n]);
    (u32::from_le_bytes(b), &data[n..])
}

/// Splits `u64 LE || rest`; a shorter input is zero-padded.
fn split_u64(data: &[u8]) -> (u64, &[u8]) {
    let n = data.len().min(8);
    let mut b = [0u8; 8];
    b[..n].copy_from_slice(&data[..n]);
    (u64::from_le_bytes(b), &data[n..])
}

fn assert_bounded(what: &str, largest: Option<usize>, limit: usize) {
    if let Some(largest) = largest {
        assert!(
            largest <= limit,
            "{what}: one allocation of {largest} bytes, more than the {limit} the input allows"
        );
    }
}

/// A global allocator that remembers, per thread, the largest single allocation, so a check
/// can tell whether a decoder trusted a length it had not verified. Install it with
/// `#[global_allocator]`; without it [`largest_allocation`] measures nothing.
pub struct TrackingAlloc;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

fn note(size: usize) {
    let _ = LARGEST.try_with(|l| {
        if size > l.get() {
            l.set(size)
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; `note` neither allocates
// nor unwinds (the thread-local has a const initializer and no destructor).
unsafe impl GlobalAlloc for TrackingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `f` and returns its result with the largest single allocation it made on this thread
/// (`None` when [`TrackingAlloc`] is not the global allocator).
pub fn largest_allocation<T>(f: impl FnOnce() -> T) -> (T, Option<usize>) {
    LARGEST.with(|l| l.set(0));
    drop(std::hint::black_box(Vec::<u8>::with_capacity(1)));
    let installed = LARGEST.with(|l| l.get()) > 0;
    LARGEST.with(|l| l.set(0));
    let result = f();
    let largest = LARGEST.with(|l| l.get());
    (result, installed.then_some(largest))
}
