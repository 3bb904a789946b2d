//! x86_64: boot, descriptor tables, entry paths, interrupts, timers, FPU.

pub mod apic;
pub mod boot;
pub mod calibrate;
pub mod cpu;
pub mod entry;
pub mod extable;
pub mod features;
pub mod fpu;
pub mod gdt;
pub mod idt;
pub mod ioapic;
pub mod percpu;
pub mod stack;
pub mod traps;
pub mod uaccess;

use cpu::*;

/// Brings up the boot CPU: descriptor tables, per-CPU data, SYSCALL,
/// protection features (NX, SMEP, SMAP, WP) and the FPU.
pub fn init_cpu() {
    gdt::init();
    percpu::init();
    idt::init();
    init_syscall_msrs();
    let features = features::cpu_features();
    let mut cr4 = read_cr4();
    if features.smep {
        cr4 |= CR4_SMEP;
    }
    if features.smap {
        cr4 |= CR4_SMAP;
        uaccess::set_smap_enabled();
    }
    write_cr4(cr4);
    fpu::init();
}

fn init_syscall_msrs() {
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    // SYSCALL loads CS=0x10/SS=0x18; SYSRET loads CS=0x23+16, SS=0x23+8.
    let star = (u64::from(gdt::USER32_CS) << 48) | (u64::from(gdt::KERNEL_CS) << 32);
    wrmsr(MSR_STAR, star);
    wrmsr(MSR_LSTAR, entry::syscall_entry as *const () as u64);
    // Cleared on entry: TF, IF, DF, IOPL, AC, NT (as Linux).
    wrmsr(MSR_SFMASK, 0x47700);
}

/// Writes through a null pointer in kernel mode: a page fault that no
/// exception-table entry covers, which the trap handler reports as a
/// kernel bug and panics on (/proc/sysrq-trigger's `c`).
pub fn crash_with_null_write() -> ! {
    // SAFETY: deliberately faults: address 0 is never mapped, so the write
    // cannot touch memory; the page-fault handler does not return here.
    unsafe { core::ptr::write_volatile(core::ptr::null_mut::<u64>(), 0) };
    unreachable!("the write to address 0 did not fault")
}

/// Reads the saved frame pointer and return address of a stack frame.
pub fn stack_read_pair(rbp: u64) -> (u64, u64) {
    // SAFETY: callers check that rbp lies on the current kernel stack, above
    // the stack pointer, so both words are mapped.
    unsafe { (core::ptr::read(rbp as *const u64), core::ptr::read((rbp + 8) as *const u64)) }
}

/// The user FS base register of the running task.
pub fn set_user_fs_base(base: u64) {
    wrmsr(MSR_FS_BASE, base);
}

pub fn user_fs_base() -> u64 {
    rdmsr(MSR_FS_BASE)
}

/// The user GS base: while in the kernel (after SWAPGS) it is in KERNEL_GS_BASE.
pub fn set_user_gs_base(base: u64) {
    wrmsr(MSR_KERNEL_GS_BASE, base);
}

pub fn user_gs_base() -> u64 {
    rdmsr(MSR_KERNEL_GS_BASE)
}
