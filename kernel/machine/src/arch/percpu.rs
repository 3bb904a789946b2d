//! Per-CPU data, reached through the GS base while in the kernel. One CPU
//! runs today; the layout already serves SMP (one `PerCpu` per CPU).
//!
//! The first fields are read by the assembly entry paths at fixed offsets.

use core::cell::UnsafeCell;

use super::cpu::{wrmsr, MSR_GS_BASE, MSR_KERNEL_GS_BASE};
use super::entry::TaskContext;
use super::gdt::{Gdt, Tss};

/// Offsets used by `entry.rs` (checked by the const assertions below).
pub const PERCPU_KERNEL_RSP: usize = 8;
pub const PERCPU_USER_RSP: usize = 16;

#[repr(C)]
pub struct PerCpu {
    self_ptr: u64,
    /// Top of the running task's kernel stack: the syscall entry's stack.
    kernel_rsp: u64,
    /// The user stack pointer, saved by the syscall entry.
    user_rsp: u64,
    pub(super) tss: Tss,
    pub(super) gdt: Gdt,
}

const _: () = assert!(core::mem::offset_of!(PerCpu, kernel_rsp) == PERCPU_KERNEL_RSP);
const _: () = assert!(core::mem::offset_of!(PerCpu, user_rsp) == PERCPU_USER_RSP);

struct CpuLocal(UnsafeCell<PerCpu>);

// SAFETY: each CPU touches only its own PerCpu, with interrupts disabled
// while it changes fields the entry code reads.
unsafe impl Sync for CpuLocal {}

static BOOT_CPU: CpuLocal =
    CpuLocal(UnsafeCell::new(PerCpu { self_ptr: 0, kernel_rsp: 0, user_rsp: 0, tss: Tss::new(), gdt: Gdt::new() }));

/// The calling CPU's data. Only the boot CPU exists for now.
pub(super) fn this_cpu() -> *mut PerCpu {
    BOOT_CPU.0.get()
}

/// Points GS at this CPU's data; user GS (KERNEL_GS_BASE) starts at 0.
pub(crate) fn init() {
    let p = this_cpu();
    // SAFETY: boot, single-threaded, interrupts off: no other reference exists.
    unsafe { (*p).self_ptr = p as u64 };
    // SAFETY: GS points at this CPU's PerCpu, which is static; the entry
    // code finds the kernel stack through it. The user GS base starts at 0.
    unsafe {
        wrmsr(MSR_GS_BASE, p as u64);
        wrmsr(MSR_KERNEL_GS_BASE, 0);
    }
}

/// Makes entries from user mode (SYSCALL and TSS.rsp0) land on the kernel
/// stack of `ctx`, the task about to run. The boot stack of the idle task,
/// which never enters user mode, changes nothing.
pub(crate) fn use_kernel_stack_of(ctx: &TaskContext) {
    if let Some(top) = ctx.stack_top() {
        set_kernel_stack(top);
    }
}

fn set_kernel_stack(top: u64) {
    let p = this_cpu();
    super::cpu::without_interrupts(|| {
        // SAFETY: interrupts are off and this CPU is the only writer; the
        // entry code reads these fields only on entry from user mode, which
        // cannot happen while we are here.
        unsafe {
            (*p).kernel_rsp = top;
            (*p).tss.set_rsp0(top);
        }
    });
}
