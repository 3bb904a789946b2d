//! x86_64: boot, descriptor tables, entry paths, interrupts, timers, FPU.

pub mod apic;
pub mod boot;
pub mod calibrate;
pub mod cpu;
pub mod entry;
mod extable;
pub mod features;
pub mod fpu;
pub mod gdt;
mod idt;
pub mod ioapic;
pub mod ipi;
pub mod percpu;
pub mod smp;
pub mod stack;
pub mod traps;
pub(crate) mod uaccess;

pub use features::cpu_features;

use cpu::*;
use x86_64::registers::control::Cr4Flags;

/// The initial local APIC id of the calling CPU (CPUID leaf 1).
fn initial_apic_id() -> u32 {
    cpuid(1, 0).ebx >> 24
}

/// Brings up the boot CPU: per-CPU data, descriptor tables, SYSCALL,
/// protection features (NX, SMEP, SMAP, WP) and the FPU.
pub fn init_cpu() {
    // SAFETY: the boot CPU's own data, at start-up with interrupts off.
    unsafe { percpu::install(percpu::boot_cpu(), initial_apic_id()) };
    percpu::set_online();
    gdt::init(gdt::boot_ist_stacks());
    idt::init();
    init_cpu_features();
}

/// Brings up another CPU the same way, on its own data and IST stacks.
///
/// # Safety
///
/// `cpu` must be a fresh `percpu::new_cpu`, used by no other CPU; the
/// caller runs at start-up with interrupts off.
pub(crate) unsafe fn init_secondary_cpu(cpu: *mut percpu::PerCpu, ist: [u64; 3]) {
    // SAFETY: the caller's contract.
    unsafe { percpu::install(cpu, initial_apic_id()) };
    gdt::init(ist);
    idt::load();
    init_cpu_features();
    crate::mm::kernel_map::enable_global_pages();
}

fn init_cpu_features() {
    init_syscall_msrs();
    let features = features::cpu_features();
    let mut cr4 = read_cr4();
    if features.smep {
        cr4 |= Cr4Flags::SUPERVISOR_MODE_EXECUTION_PROTECTION;
    }
    if features.smap {
        cr4 |= Cr4Flags::SUPERVISOR_MODE_ACCESS_PREVENTION;
        uaccess::set_smap_enabled();
    }
    // SAFETY: SMEP and SMAP are set only when CPUID reports them; no bit
    // is cleared.
    unsafe { write_cr4(cr4) };
    fpu::init();
    if has_rdtscp() {
        // SAFETY: TSC_AUX only holds what RDTSCP returns; Linux's layout,
        // node (0) << 12 | CPU number.
        unsafe { wrmsr(MSR_TSC_AUX, percpu::cpu_index() as u64) };
    }
}

fn init_syscall_msrs() {
    // SYSCALL loads CS=0x10/SS=0x18; SYSRET loads CS=0x23+16, SS=0x23+8.
    let star = (u64::from(gdt::USER32_CS) << 48) | (u64::from(gdt::KERNEL_CS) << 32);
    // SAFETY: SCE enables SYSCALL; STAR names the GDT's selectors, LSTAR
    // the entry stub, and SFMASK clears TF, IF, DF, IOPL, AC and NT on
    // entry (as Linux), which the stub relies on.
    unsafe {
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
        wrmsr(MSR_STAR, star);
        wrmsr(MSR_LSTAR, entry::syscall_entry_address());
        wrmsr(MSR_SFMASK, 0x47700);
    }
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

/// A canonical user-half address (what the FS and GS bases may hold: a
/// non-canonical base would make the WRMSR fault in the kernel).
fn is_canonical_user(addr: u64) -> bool {
    addr < 0x0000_8000_0000_0000
}

/// Lets user mode read the TSC (RDTSC, RDTSCP) on this CPU, or makes
/// those instructions fault there (CR4.TSD: PR_SET_TSC, strict seccomp).
pub fn set_user_tsc_allowed(allowed: bool) {
    let cr4 = read_cr4();
    let want = if allowed { cr4 - Cr4Flags::TIMESTAMP_DISABLE } else { cr4 | Cr4Flags::TIMESTAMP_DISABLE };
    if want != cr4 {
        // SAFETY: TSD only decides whether user mode may read the TSC; the
        // kernel, at ring 0, reads it either way.
        unsafe { write_cr4(want) };
    }
}

/// Sets the running task's user FS base; false for an address outside the
/// user half (Linux's arch_prctl gives EPERM).
pub fn set_user_fs_base(base: u64) -> bool {
    if !is_canonical_user(base) {
        return false;
    }
    // SAFETY: a canonical user address in FS_BASE only affects user-mode
    // FS-relative accesses; the kernel does not use FS.
    unsafe { wrmsr(MSR_FS_BASE, base) };
    true
}

pub fn user_fs_base() -> u64 {
    rdmsr(MSR_FS_BASE)
}

/// Sets the running task's user GS base (in KERNEL_GS_BASE while in the
/// kernel, after SWAPGS); false outside the user half.
pub fn set_user_gs_base(base: u64) -> bool {
    if !is_canonical_user(base) {
        return false;
    }
    // SAFETY: KERNEL_GS_BASE holds the user's GS base while the kernel
    // runs; SWAPGS on return to user mode installs it. The kernel's own GS
    // base (per-CPU data) is untouched.
    unsafe { wrmsr(MSR_KERNEL_GS_BASE, base) };
    true
}

pub fn user_gs_base() -> u64 {
    rdmsr(MSR_KERNEL_GS_BASE)
}
