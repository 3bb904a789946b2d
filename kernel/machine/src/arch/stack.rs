//! Running a function on another kernel stack: for library code whose
//! frames outgrow a task's 16 KiB stack (ruzstd's zstd encoder keeps some
//! 72 KiB of tables in its frame).

use core::arch::asm;

/// Entered on the other stack with a pointer to the caller's closure.
extern "C" fn trampoline(f: *mut &mut dyn FnMut()) {
    // SAFETY: `run_on_stack` passes a pointer to its own live `&mut dyn
    // FnMut()`, which outlives this call.
    let f = unsafe { &mut *f };
    f();
}

/// A large kernel stack kept for good, with a guard page below it.
pub struct SpareStack {
    top: u64,
    bottom: u64,
}

impl SpareStack {
    pub fn new(pages: usize) -> Option<SpareStack> {
        let top = crate::mm::kstack::alloc_large(pages)?;
        Some(SpareStack { top, bottom: top - pages as u64 * 4096 })
    }

    /// The addresses the stack spans (to tell whether code runs on it).
    pub fn bounds(&self) -> core::ops::Range<u64> {
        self.bottom..self.top
    }

    /// Calls `f` on this stack, then returns on the caller's stack; the
    /// exclusive borrow keeps anyone else off it meanwhile. Interrupts
    /// taken meanwhile use this stack, as they would the task's.
    pub fn run(&mut self, f: &mut dyn FnMut()) {
        assert!(!self.bounds().contains(&stack_pointer()), "already on the spare stack");
        run_on_stack(self.top, f);
    }
}

/// Calls `f` with the stack pointer at `top` (16-byte aligned, the top of
/// a mapped stack that nothing else uses while `f` runs), then returns on
/// the caller's stack.
fn run_on_stack(top: u64, f: &mut dyn FnMut()) {
    assert!(top.is_multiple_of(16));
    let mut f = f;
    let arg: *mut &mut dyn FnMut() = &mut f;
    // SAFETY: `top` is the top of a mapped stack nobody else uses (a
    // SpareStack borrowed exclusively, and not the one running now); the caller's stack pointer is kept in r12, which the C ABI
    // makes the trampoline preserve, and restored before returning. The
    // call clobbers what any C call does.
    unsafe {
        asm!(
            "mov r12, rsp",
            "mov rsp, {top}",
            "call {tramp}",
            "mov rsp, r12",
            top = in(reg) top,
            tramp = sym trampoline,
            in("rdi") arg,
            out("r12") _,
            clobber_abi("C"),
        );
    }
}

/// The current stack pointer.
pub fn stack_pointer() -> u64 {
    let rsp: u64;
    // SAFETY: reads a register.
    unsafe { asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack, preserves_flags)) };
    rsp
}
