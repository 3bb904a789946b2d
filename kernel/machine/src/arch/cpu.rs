//! Privileged instructions: MSRs, control registers, CPUID, TSC, RDRAND,
//! the interrupt flag, halting. Built on the `x86_64` crate's instruction
//! and register wrappers. Writes that can break the kernel's invariants
//! (MSRs, CR0/CR3/CR4, port I/O) stay inside this crate.

use x86_64::instructions::{interrupts, tlb};
use x86_64::registers::control::{Cr0, Cr0Flags, Cr2, Cr4, Cr4Flags};
use x86_64::registers::model_specific::Msr;
use x86_64::VirtAddr;

pub(crate) const MSR_EFER: u32 = 0xC000_0080;
pub(crate) const MSR_STAR: u32 = 0xC000_0081;
pub(crate) const MSR_LSTAR: u32 = 0xC000_0082;
pub(crate) const MSR_SFMASK: u32 = 0xC000_0084;
pub(crate) const MSR_FS_BASE: u32 = 0xC000_0100;
pub(crate) const MSR_GS_BASE: u32 = 0xC000_0101;
pub(crate) const MSR_KERNEL_GS_BASE: u32 = 0xC000_0102;
pub(crate) const MSR_TSC_AUX: u32 = 0xC000_0103;
pub(crate) const MSR_APIC_BASE: u32 = 0x1B;

pub(crate) const EFER_SCE: u64 = 1 << 0;

#[inline]
pub(crate) fn rdmsr(msr: u32) -> u64 {
    // SAFETY: every caller names an architectural MSR that exists on all
    // x86_64 CPUs (EFER, STAR, the FS/GS bases, APIC_BASE); reading has no
    // memory effect.
    unsafe { Msr::new(msr).read() }
}

/// Writes a model-specific register.
///
/// # Safety
///
/// The MSR must exist and the value must keep the kernel's invariants
/// (long mode, the entry points, the per-CPU GS base).
pub(crate) unsafe fn wrmsr(msr: u32, value: u64) {
    let mut reg = Msr::new(msr);
    // SAFETY: the caller's contract.
    unsafe { reg.write(value) }
}

#[inline]
pub(crate) fn read_cr4() -> Cr4Flags {
    Cr4::read()
}

/// # Safety
///
/// Only features the CPU reported through CPUID may be set, and no bit the
/// running kernel relies on (PAE, PGE once set) may be cleared.
pub(crate) unsafe fn write_cr4(flags: Cr4Flags) {
    // SAFETY: the caller's contract.
    unsafe { Cr4::write(flags) }
}

#[inline]
pub(crate) fn read_cr0() -> Cr0Flags {
    Cr0::read()
}

/// # Safety
///
/// Paging, protection and write protection must stay enabled.
pub(crate) unsafe fn write_cr0(flags: Cr0Flags) {
    // SAFETY: the caller's contract.
    unsafe { Cr0::write(flags) }
}

/// The faulting address of the last page fault.
#[inline]
pub fn read_cr2() -> u64 {
    Cr2::read_raw()
}

pub struct CpuidResult {
    pub eax: u32,
    pub ebx: u32,
    pub ecx: u32,
    pub edx: u32,
}

#[inline]
pub fn cpuid(leaf: u32, subleaf: u32) -> CpuidResult {
    let r = core::arch::x86_64::__cpuid_count(leaf, subleaf);
    CpuidResult { eax: r.eax, ebx: r.ebx, ecx: r.ecx, edx: r.edx }
}

pub fn max_cpuid_leaf() -> u32 {
    cpuid(0, 0).eax
}

#[inline]
/// Whether the CPU has RDTSCP (which also reads TSC_AUX: the kernel
/// keeps the CPU's number there, for the vDSO's getcpu).
pub fn has_rdtscp() -> bool {
    cpuid(0x8000_0001, 0).edx & (1 << 27) != 0
}

pub fn rdtsc() -> u64 {
    // SAFETY: RDTSC only reads a counter into registers.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// 64 random bits from RDRAND, if the CPU has it and it delivers.
pub fn rdrand() -> Option<u64> {
    let rd = x86_64::instructions::random::RdRand::new()?;
    (0..10).find_map(|_| rd.get_u64())
}

#[inline]
pub fn enable_interrupts() {
    interrupts::enable();
}

#[inline]
pub fn disable_interrupts() {
    interrupts::disable();
}

#[inline]
pub fn interrupts_enabled() -> bool {
    interrupts::are_enabled()
}

/// Runs `f` with interrupts masked, restoring the previous state after.
#[inline]
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    interrupts::without_interrupts(f)
}

/// Waits for the next interrupt with interrupts enabled (STI;HLT, atomic
/// with respect to interrupts through the STI shadow).
pub fn wait_for_interrupt() {
    interrupts::enable_and_hlt();
}

pub fn halt_forever() -> ! {
    loop {
        interrupts::disable();
        x86_64::instructions::hlt();
    }
}

/// Drops the TLB entry of one page.
#[inline]
pub fn invlpg(addr: u64) {
    tlb::flush(VirtAddr::new_truncate(addr));
}
