//! How deep photovault follows nested folders.
//!
//! A snapshot holds one tree per folder, and the walkers that follow them (backup's
//! archiver, restore's planner, check, repair, ls) go one level deeper per folder. A
//! repository written by someone else can nest folders a hundred thousand deep, and a stack
//! overflow is a crash, not an error. So every walk stops at [`MAX_DEPTH`] levels, reporting
//! what lies deeper like an unreadable folder, and the recursive ones run on a thread whose
//! stack fits that depth ([`on_deep_stack`]). Backup leaves out (and reports) folders deeper
//! than that, so every snapshot photovault writes can be read back whole.

/// The deepest folder level, counted from the snapshot's root `/`, that photovault writes
/// or reads. Far beyond what a path of at most 4,096 bytes (Linux's `PATH_MAX`) can reach.
pub const MAX_DEPTH: usize = 4096;

/// Stack of a thread that walks trees recursively: room for [`MAX_DEPTH`] levels of the
/// deepest walker with a wide margin. Only the pages a walk touches take memory.
const DEEP_STACK_BYTES: usize = 64 << 20;

/// Runs `walk` on a thread with a stack that fits [`MAX_DEPTH`] levels of recursion, and
/// waits for it. A panic in `walk` is passed on to the caller.
pub(crate) fn on_deep_stack<T: Send>(walk: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| {
        let thread = std::thread::Builder::new()
            .name("pvault-walk".into())
            .stack_size(DEEP_STACK_BYTES)
            .spawn_scoped(scope, walk);
        match thread {
            Ok(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(e) => panic!("cannot start a thread to walk folders: {e}"),
        }
    })
}
