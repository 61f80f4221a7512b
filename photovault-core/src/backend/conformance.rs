//! The backend conformance suite: what every backend must do, as checks any backend can be
//! put through (SPEC §16.1, rules B1–B6).
//!
//! photovault relies on a handful of guarantees from its storage, and a backend that breaks
//! one loses data quietly. Each [`Check`] states one of them and panics with an explanation
//! when the backend breaks it; [`run`] puts a backend through all of them, each on a fresh,
//! empty store. The project runs the suite against the local, in-memory and fault-injecting
//! backends; an application with a backend of its own can run it too.
//!
//! ```
//! use std::sync::Arc;
//! use photovault_core::backend::{conformance, Backend, MemoryBackend};
//!
//! conformance::run(&|| Arc::new(MemoryBackend::new("suite")) as Arc<dyn Backend>);
//! ```

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use super::{Backend, BackendError, FileKind};

/// One guarantee and the function that checks it on a created, empty store.
pub struct Check {
    /// What the guarantee is, as a sentence.
    pub name: &'static str,
    /// Panics if `backend` breaks it.
    pub run: fn(&dyn Backend),
}

/// Every check of the suite.
pub const CHECKS: &[Check] = &[
    Check {
        name: "a written object reads back whole and is listed with its size",
        run: written_objects_read_back_and_are_listed,
    },
    Check {
        name: "a listing holds only complete objects of the kind asked for",
        run: listings_hold_only_objects_of_their_kind,
    },
    Check {
        name: "a pending write is invisible until finished, and gone if dropped",
        run: pending_writes_are_invisible_until_finished,
    },
    Check {
        name: "byte ranges read at the start, middle and end; past the end is an error",
        run: byte_ranges_read_exactly,
    },
    Check {
        name: "a range read once holds what an ordinary read of it holds, at any alignment",
        run: ranges_read_once_match_ordinary_reads,
    },
    Check {
        name: "a missing object is reported as not found",
        run: missing_objects_are_not_found,
    },
    Check {
        name: "writing a name again replaces the object; removing it removes it",
        run: overwrite_and_remove,
    },
    Check {
        name: "create keeps what is there",
        run: create_keeps_what_is_there,
    },
    Check {
        name: "concurrent writers of different names all land",
        run: concurrent_writers_all_land,
    },
    Check {
        name: "a whole read of an object longer than its kind allows is refused",
        run: oversized_objects_are_refused,
    },
];

/// Puts the backends `fresh` makes through every check, each on a new store (created
/// first), and panics naming every check that failed.
pub fn run(fresh: &dyn Fn() -> Arc<dyn Backend>) {
    let mut failed = Vec::new();
    for check in CHECKS {
        let backend = fresh();
        let started = std::time::Instant::now();
        backend.create().expect("create the store");
        if catch_unwind(AssertUnwindSafe(|| (check.run)(backend.as_ref()))).is_err() {
            failed.push(check.name);
        }
        eprintln!(
            "{}: {:?} in {:.1} s",
            backend.location(),
            check.name,
            started.elapsed().as_secs_f64()
        );
    }
    assert!(
        failed.is_empty(),
        "the backend breaks {} guarantee(s) (see the panics above): {failed:#?}",
        failed.len()
    );
}

/// A valid object name made from `n`.
pub fn name(n: u32) -> String {
    blake3::hash(&n.to_le_bytes()).to_hex().to_string()
}

/// Distinct, recognisable bytes.
fn bytes(seed: u32, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut counter = 0u32;
    while out.len() < len {
        out.extend_from_slice(
            blake3::hash(&[seed, counter].map(u32::to_le_bytes).concat()).as_bytes(),
        );
        counter += 1;
    }
    out.truncate(len);
    out
}

fn names(backend: &dyn Backend, kind: FileKind) -> BTreeSet<String> {
    backend
        .list(kind)
        .expect("list")
        .into_iter()
        .map(|f| f.name)
        .collect()
}

fn written_objects_read_back_and_are_listed(backend: &dyn Backend) {
    for (i, kind) in [
        FileKind::Key,
        FileKind::Snapshot,
        FileKind::Index,
        FileKind::Pack,
        FileKind::Lock,
    ]
    .into_iter()
    .enumerate()
    {
        let (name, data) = (name(i as u32), bytes(i as u32, 1000 + i * 333));
        backend.write(kind, &name, &data).expect("write");
        assert_eq!(
            backend.read_all(kind, &name).expect("read"),
            data,
            "{kind:?}"
        );
        let listed = backend.list(kind).expect("list");
        assert_eq!(listed.len(), 1, "{kind:?}: {listed:?}");
        assert_eq!(
            (listed[0].name.as_str(), listed[0].size),
            (name.as_str(), data.len() as u64)
        );
    }
    backend
        .write(FileKind::Config, "config", b"the config")
        .expect("write config");
    assert_eq!(
        backend.read_all(FileKind::Config, "config").unwrap(),
        b"the config"
    );
    let config = backend.list(FileKind::Config).expect("list config");
    assert_eq!(config.len(), 1);
    assert_eq!((config[0].name.as_str(), config[0].size), ("config", 10));
}

fn listings_hold_only_objects_of_their_kind(backend: &dyn Backend) {
    let kinds = [
        FileKind::Key,
        FileKind::Snapshot,
        FileKind::Index,
        FileKind::Pack,
        FileKind::Lock,
    ];
    for (k, kind) in kinds.into_iter().enumerate() {
        for i in 0..5 {
            let n = (k * 100 + i) as u32;
            backend.write(kind, &name(n), &bytes(n, 10)).expect("write");
        }
    }
    for (k, kind) in kinds.into_iter().enumerate() {
        let expected: BTreeSet<String> = (0..5).map(|i| name((k * 100 + i) as u32)).collect();
        assert_eq!(names(backend, kind), expected, "{kind:?}");
    }
    assert!(names(backend, FileKind::Config).is_empty());
    // Packs are spread over folders by their first two characters: all of them are listed.
    let spread: BTreeSet<String> = (1000..1300).map(name).collect();
    for n in &spread {
        backend
            .write(FileKind::Pack, n, b"pack")
            .expect("write pack");
    }
    assert!(names(backend, FileKind::Pack).is_superset(&spread));
}

fn pending_writes_are_invisible_until_finished(backend: &dyn Backend) {
    let data = bytes(7, 300_000);
    let mut pending = backend.begin_write(FileKind::Pack).expect("begin");
    assert_eq!(pending.kind(), FileKind::Pack);
    for piece in data.chunks(65_536) {
        pending.append(piece).expect("append");
        assert!(
            names(backend, FileKind::Pack).is_empty(),
            "a partial object is listed"
        );
    }
    backend
        .finish_write(pending.as_mut(), &name(7))
        .expect("finish");
    assert_eq!(names(backend, FileKind::Pack), BTreeSet::from([name(7)]));
    assert_eq!(backend.read_all(FileKind::Pack, &name(7)).unwrap(), data);

    let mut abandoned = backend.begin_write(FileKind::Pack).expect("begin");
    abandoned.append(&data).expect("append");
    drop(abandoned);
    assert_eq!(names(backend, FileKind::Pack), BTreeSet::from([name(7)]));
    for kind in [
        FileKind::Key,
        FileKind::Snapshot,
        FileKind::Index,
        FileKind::Lock,
    ] {
        assert!(
            names(backend, kind).is_empty(),
            "{kind:?} lists a pending write"
        );
    }
}

fn byte_ranges_read_exactly(backend: &dyn Backend) {
    let data = bytes(3, 10_000);
    backend
        .write(FileKind::Pack, &name(3), &data)
        .expect("write");
    let read = |offset: u64, length: u64| backend.read(FileKind::Pack, &name(3), offset, length);
    assert_eq!(read(0, 100).unwrap(), &data[..100], "start");
    assert_eq!(read(4_000, 1_234).unwrap(), &data[4_000..5_234], "middle");
    assert_eq!(read(9_900, 100).unwrap(), &data[9_900..], "end");
    assert_eq!(read(9_900, 0).unwrap(), &data[9_900..], "offset to the end");
    assert_eq!(read(0, 0).unwrap(), data, "whole");
    assert!(
        read(9_950, 100).is_err(),
        "a range past the end must fail, not come back short"
    );
    assert!(read(20_000, 1).is_err(), "an offset past the end must fail");
    assert!(
        read(0, u32::MAX as u64).is_err(),
        "a huge range must fail, not allocate"
    );
}

fn ranges_read_once_match_ordinary_reads(backend: &dyn Backend) {
    // Long enough for a local store's reads past the page cache, and not a whole number of
    // pages, so that ranges start and end inside pages and at the end of the file.
    let len = (3 << 20) + 1_234;
    let data = bytes(4, len);
    backend
        .write(FileKind::Pack, &name(4), &data)
        .expect("write");
    let len = len as u64;
    for (offset, length) in [
        (0, len),
        (0, 1 << 20),
        (1, (1 << 20) - 1),
        (4_095, 700_001),
        (4_096, 1 << 20),
        (len - 600_000, 600_000),
        (len - 300_000, 299_999),
        (12_345, 100),
    ] {
        let once = backend
            .read_once(FileKind::Pack, &name(4), offset, length)
            .unwrap_or_else(|e| panic!("{length} bytes at {offset}: {e}"));
        let expected = &data[offset as usize..(offset + length) as usize];
        assert!(&once[..] == expected, "{length} bytes at {offset}");
        let mut once = once;
        once[0] ^= 1; // the bytes are the caller's to decrypt in place
    }
    for (offset, length) in [(len - 500_000, 500_001), (len + 4_096, 1 << 20)] {
        assert!(
            backend
                .read_once(FileKind::Pack, &name(4), offset, length)
                .is_err(),
            "{length} bytes at {offset}, past the end, must fail, not come back short"
        );
    }
    assert!(backend
        .read_once(FileKind::Pack, &name(99), 0, 1 << 20)
        .is_err_and(|e| e.is_not_found()));
}

fn missing_objects_are_not_found(backend: &dyn Backend) {
    for kind in [FileKind::Key, FileKind::Pack, FileKind::Snapshot] {
        let missing = |e: BackendError| e.is_not_found();
        assert!(
            backend.read_all(kind, &name(99)).is_err_and(missing),
            "{kind:?} read"
        );
        assert!(
            backend.read(kind, &name(99), 5, 5).is_err_and(missing),
            "{kind:?} range"
        );
        assert!(
            backend.remove(kind, &name(99)).is_err_and(missing),
            "{kind:?} remove"
        );
    }
    assert!(backend
        .read_all(FileKind::Config, "config")
        .is_err_and(|e| e.is_not_found()));
}

fn overwrite_and_remove(backend: &dyn Backend) {
    backend
        .write(FileKind::Lock, &name(1), b"first")
        .expect("write");
    backend
        .write(FileKind::Lock, &name(1), b"second, longer")
        .expect("write again");
    assert_eq!(
        backend.read_all(FileKind::Lock, &name(1)).unwrap(),
        b"second, longer"
    );
    assert_eq!(backend.list(FileKind::Lock).unwrap()[0].size, 14);
    backend.remove(FileKind::Lock, &name(1)).expect("remove");
    assert!(names(backend, FileKind::Lock).is_empty());
    assert!(backend
        .read_all(FileKind::Lock, &name(1))
        .is_err_and(|e| e.is_not_found()));
}

fn create_keeps_what_is_there(backend: &dyn Backend) {
    backend
        .write(FileKind::Snapshot, &name(5), b"kept")
        .expect("write");
    backend
        .write(FileKind::Config, "config", b"kept too")
        .expect("write");
    backend.create().expect("create again");
    assert_eq!(
        backend.read_all(FileKind::Snapshot, &name(5)).unwrap(),
        b"kept"
    );
    assert_eq!(
        backend.read_all(FileKind::Config, "config").unwrap(),
        b"kept too"
    );
}

fn concurrent_writers_all_land(backend: &dyn Backend) {
    std::thread::scope(|scope| {
        for t in 0..8u32 {
            scope.spawn(move || {
                for i in 0..20 {
                    let n = t * 1000 + i;
                    if i % 2 == 0 {
                        backend
                            .write(FileKind::Pack, &name(n), &bytes(n, 5_000))
                            .expect("write");
                    } else {
                        let mut pending = backend.begin_write(FileKind::Pack).expect("begin");
                        pending.append(&bytes(n, 5_000)).expect("append");
                        backend
                            .finish_write(pending.as_mut(), &name(n))
                            .expect("finish");
                    }
                }
            });
        }
    });
    let listed = names(backend, FileKind::Pack);
    assert_eq!(listed.len(), 160);
    for t in 0..8u32 {
        for i in 0..20 {
            let n = t * 1000 + i;
            assert_eq!(
                backend.read_all(FileKind::Pack, &name(n)).unwrap(),
                bytes(n, 5_000)
            );
        }
    }
}

fn oversized_objects_are_refused(backend: &dyn Backend) {
    let limit = FileKind::Lock.max_len() as usize;
    backend
        .write(FileKind::Lock, &name(8), &vec![0u8; limit + 1])
        .expect("write");
    let whole = backend.read_all(FileKind::Lock, &name(8));
    assert!(
        matches!(whole, Err(BackendError::TooLarge { .. })),
        "a whole read of {} bytes of a lock must be refused: {whole:?}",
        limit + 1
    );
    assert_eq!(
        backend
            .read(FileKind::Lock, &name(8), 0, 16)
            .expect("a range still reads")
            .len(),
        16
    );
}
