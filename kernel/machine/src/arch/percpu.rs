//! Per-CPU data, reached through the GS base while in the kernel: one
//! `PerCpu` per CPU, the boot CPU's static, each other CPU's allocated when
//! it is started and never freed.
//!
//! The first fields are read by the assembly entry paths at fixed offsets.

use alloc::boxed::Box;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use spin::Mutex;

use super::cpu::{wrmsr, MSR_GS_BASE, MSR_KERNEL_GS_BASE};
use super::entry::TaskContext;
use super::gdt::{Gdt, Tss};
use crate::mm::TableRoot;

/// The most CPUs the kernel runs on: a CPU mask is one u64, as Linux's
/// `cpu_set_t` words with nr_cpu_ids <= 64.
pub const MAX_CPUS: usize = 64;

/// Offsets used by `entry.rs` (checked by the const assertions below).
pub const PERCPU_KERNEL_RSP: usize = 8;
pub const PERCPU_USER_RSP: usize = 16;
const PERCPU_INDEX: usize = 24;

#[repr(C)]
pub struct PerCpu {
    self_ptr: u64,
    /// Top of the running task's kernel stack: the syscall entry's stack.
    kernel_rsp: u64,
    /// The user stack pointer, saved by the syscall entry.
    user_rsp: u64,
    /// This CPU's number, 0 for the boot CPU (Linux's smp_processor_id).
    index: u64,
    apic_id: u32,
    pub(super) tss: Tss,
    pub(super) gdt: Gdt,
    /// The context this CPU runs.
    pub(super) running: Mutex<Option<Arc<TaskContext>>>,
    /// The context switched away from, released by the next one once it
    /// runs on its own stack (`entry::finish_switch`).
    pub(super) finishing: Mutex<Option<Arc<TaskContext>>>,
    /// The user address space loaded in CR3, kept alive while loaded (a
    /// kernel thread runs on whichever was loaded: lazy TLB).
    pub(crate) loaded_root: Mutex<Option<Arc<TableRoot>>>,
}

const _: () = assert!(core::mem::offset_of!(PerCpu, kernel_rsp) == PERCPU_KERNEL_RSP);
const _: () = assert!(core::mem::offset_of!(PerCpu, user_rsp) == PERCPU_USER_RSP);
const _: () = assert!(core::mem::offset_of!(PerCpu, index) == PERCPU_INDEX);

impl PerCpu {
    const fn new(index: u64) -> PerCpu {
        PerCpu {
            self_ptr: 0,
            kernel_rsp: 0,
            user_rsp: 0,
            index,
            apic_id: 0,
            tss: Tss::new(),
            gdt: Gdt::new(),
            running: Mutex::new(None),
            finishing: Mutex::new(None),
            loaded_root: Mutex::new(None),
        }
    }
}

struct CpuLocal(UnsafeCell<PerCpu>);

// SAFETY: each CPU writes only its own PerCpu's plain fields, with
// interrupts disabled while it changes fields the entry code reads; the
// fields other CPUs read are behind locks.
unsafe impl Sync for CpuLocal {}

static BOOT_CPU: CpuLocal = CpuLocal(UnsafeCell::new(PerCpu::new(0)));

/// Every started CPU's data, by CPU number.
static CPUS: [AtomicPtr<PerCpu>; MAX_CPUS] = [const { AtomicPtr::new(core::ptr::null_mut()) }; MAX_CPUS];
/// The CPUs that finished their start-up (bit per CPU number).
static ONLINE: AtomicU64 = AtomicU64::new(0);

/// The calling CPU's data.
pub(super) fn this_cpu() -> *mut PerCpu {
    let p: u64;
    // SAFETY: in the kernel GS holds this CPU's PerCpu, whose first field
    // points at itself (set by `install` before anything reads it).
    unsafe { core::arch::asm!("mov {}, gs:[0]", out(reg) p, options(nostack, readonly, preserves_flags)) };
    p as *mut PerCpu
}

/// The calling CPU's data, shared.
pub(crate) fn this() -> &'static PerCpu {
    // SAFETY: a PerCpu lives for the kernel's life; the fields read
    // through a shared reference are locks or never change after start-up.
    unsafe { &*this_cpu() }
}

/// The number of the CPU this runs on (0 for the boot CPU). The caller
/// may move to another CPU right after unless interrupts are off.
#[inline]
pub fn cpu_index() -> usize {
    let i: u64;
    // SAFETY: reads this CPU's number from its PerCpu through GS.
    unsafe {
        core::arch::asm!("mov {}, gs:[{off}]", out(reg) i, off = const PERCPU_INDEX, options(nostack, readonly, preserves_flags))
    };
    i as usize
}

/// The CPUs started so far (bit i: CPU i).
pub fn online_mask() -> u64 {
    ONLINE.load(Ordering::Acquire)
}

pub fn online_count() -> usize {
    online_mask().count_ones() as usize
}

/// The local APIC id of CPU `index`, if it was started.
pub fn apic_id_of(index: usize) -> Option<u32> {
    let p = CPUS.get(index)?.load(Ordering::Acquire);
    // SAFETY: a published PerCpu lives for the kernel's life; apic_id is
    // written before publication and never again.
    (!p.is_null()).then(|| unsafe { (*p).apic_id })
}

/// The boot CPU's data.
pub(super) fn boot_cpu() -> *mut PerCpu {
    BOOT_CPU.0.get()
}

/// Data for another CPU, numbered `index`, allocated for good.
pub(super) fn new_cpu(index: usize) -> *mut PerCpu {
    Box::into_raw(Box::new(PerCpu::new(index as u64)))
}

/// Points GS at `cpu` (the calling CPU's own data); user GS
/// (KERNEL_GS_BASE) starts at 0.
///
/// # Safety
///
/// `cpu` must come from `boot_cpu` or `new_cpu`, be used by no other
/// CPU, and the caller runs with interrupts off during start-up.
pub(super) unsafe fn install(cpu: *mut PerCpu, apic_id: u32) {
    // SAFETY: the caller's contract: nobody else uses this PerCpu yet.
    unsafe {
        (*cpu).self_ptr = cpu as u64;
        (*cpu).apic_id = apic_id;
        wrmsr(MSR_GS_BASE, cpu as u64);
        wrmsr(MSR_KERNEL_GS_BASE, 0);
        CPUS[(*cpu).index as usize].store(cpu, Ordering::Release);
    }
}

/// Marks the calling CPU as started.
pub(super) fn set_online() {
    ONLINE.fetch_or(1 << cpu_index(), Ordering::AcqRel);
}

/// Makes entries from user mode (SYSCALL and TSS.rsp0) land on the kernel
/// stack of `ctx`, the task about to run. An idle task's boot stack,
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
