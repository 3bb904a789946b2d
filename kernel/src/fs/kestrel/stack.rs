//! The stack the filesystem library runs on. Its deepest paths (a commit,
//! and above all ruzstd's encoder, whose frame alone is some 72 KiB) need
//! more than a task's 16 KiB kernel stack, so every call into the library
//! switches to one 256 KiB stack kept for it (arch's run_on_stack), one
//! caller at a time. Only the library runs there, under a volume's lock,
//! taking no other lock but leaves.

use spin::{Mutex, Once};

use crate::arch::stack::{run_on_stack, stack_pointer};

const PAGES: u64 = 64;
static STACK: Once<Option<u64>> = Once::new();
static IN_USE: Mutex<()> = Mutex::new(());

/// Runs `f` on the library's stack (at once if already there; on the
/// caller's stack if the stack could not be had at boot).
pub fn run<R>(f: impl FnOnce() -> R) -> R {
    let Some(top) = *STACK.call_once(|| crate::mm::kstack::alloc_large(PAGES as usize)) else {
        return f();
    };
    if (top - PAGES * 4096..top).contains(&stack_pointer()) {
        return f();
    }
    let _one = IN_USE.lock();
    let mut f = Some(f);
    let mut result = None;
    run_on_stack(top, &mut || {
        if let Some(f) = f.take() {
            result = Some(f());
        }
    });
    result.expect("run_on_stack ran the closure")
}
