//! The stack the filesystem library runs on. Its deepest paths (a commit,
//! and above all ruzstd's encoder, whose frame alone is some 72 KiB) need
//! more than a task's 16 KiB kernel stack, so every call into the library
//! switches to one 256 KiB stack kept for it (machine's SpareStack), one
//! caller at a time. Only the library runs there, under a volume's lock,
//! taking no other lock but leaves.

use machine::arch::stack::{stack_pointer, SpareStack};
use spin::{Mutex, Once};

const PAGES: usize = 64;

/// The stack and the range it spans (read without its lock, to tell
/// whether the caller already runs there).
static STACK: Once<Option<(core::ops::Range<u64>, Mutex<SpareStack>)>> = Once::new();

/// Runs `f` on the library's stack (at once if already there; on the
/// caller's stack if the stack could not be had at boot).
pub fn run<R>(f: impl FnOnce() -> R) -> R {
    let stack = STACK.call_once(|| SpareStack::new(PAGES).map(|s| (s.bounds(), Mutex::new(s))));
    let Some((bounds, stack)) = stack else {
        return f();
    };
    if bounds.contains(&stack_pointer()) {
        return f();
    }
    let mut stack = stack.lock();
    let mut f = Some(f);
    let mut result = None;
    stack.run(&mut || {
        if let Some(f) = f.take() {
            result = Some(f());
        }
    });
    result.expect("the spare stack ran the closure")
}
