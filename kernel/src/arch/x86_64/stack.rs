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

/// Calls `f` with the stack pointer at `top` (16-byte aligned, the top of
/// a mapped stack that nothing else uses while `f` runs), then returns on
/// the caller's stack. Interrupts taken meanwhile use the other stack, as
/// they would the task's.
pub fn run_on_stack(top: u64, f: &mut dyn FnMut()) {
    assert!(top.is_multiple_of(16));
    let mut f = f;
    let arg: *mut &mut dyn FnMut() = &mut f;
    // SAFETY: `top` is the top of a mapped, unused stack (the caller's
    // promise); the caller's stack pointer is kept in r12, which the C ABI
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
