//! Thin wrappers over privileged instructions: port I/O, MSRs, control
//! registers, CPUID, TSC, interrupt flag.

use core::arch::asm;

pub fn outb(port: u16, value: u8) {
    // SAFETY: port I/O has no memory effects; callers own the device.
    unsafe { asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags)) }
}

pub fn inb(port: u16) -> u8 {
    let value: u8;
    // SAFETY: as outb.
    unsafe { asm!("in al, dx", in("dx") port, out("al") value, options(nomem, nostack, preserves_flags)) }
    value
}

pub fn outw(port: u16, value: u16) {
    // SAFETY: as outb.
    unsafe { asm!("out dx, ax", in("dx") port, in("ax") value, options(nomem, nostack, preserves_flags)) }
}

pub fn inw(port: u16) -> u16 {
    let value: u16;
    // SAFETY: as outb.
    unsafe { asm!("in ax, dx", in("dx") port, out("ax") value, options(nomem, nostack, preserves_flags)) }
    value
}

pub fn outl(port: u16, value: u32) {
    // SAFETY: as outb.
    unsafe { asm!("out dx, eax", in("dx") port, in("eax") value, options(nomem, nostack, preserves_flags)) }
}

pub fn inl(port: u16) -> u32 {
    let value: u32;
    // SAFETY: as outb.
    unsafe { asm!("in eax, dx", in("dx") port, out("eax") value, options(nomem, nostack, preserves_flags)) }
    value
}

pub fn rdmsr(msr: u32) -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: reading an MSR the caller knows exists has no memory effects.
    unsafe { asm!("rdmsr", in("ecx") msr, out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags)) }
    (u64::from(hi) << 32) | u64::from(lo)
}

pub fn wrmsr(msr: u32, value: u64) {
    // SAFETY: the callers write architectural MSRs with valid values.
    unsafe {
        asm!("wrmsr", in("ecx") msr, in("eax") value as u32, in("edx") (value >> 32) as u32,
             options(nostack, preserves_flags))
    }
}

pub const MSR_EFER: u32 = 0xC000_0080;
pub const MSR_STAR: u32 = 0xC000_0081;
pub const MSR_LSTAR: u32 = 0xC000_0082;
pub const MSR_SFMASK: u32 = 0xC000_0084;
pub const MSR_FS_BASE: u32 = 0xC000_0100;
pub const MSR_GS_BASE: u32 = 0xC000_0101;
pub const MSR_KERNEL_GS_BASE: u32 = 0xC000_0102;
pub const MSR_APIC_BASE: u32 = 0x1B;

pub const EFER_SCE: u64 = 1 << 0;

pub fn read_cr0() -> u64 {
    let v: u64;
    // SAFETY: reading a control register has no side effects.
    unsafe { asm!("mov {}, cr0", out(reg) v, options(nomem, nostack, preserves_flags)) }
    v
}

pub fn write_cr0(v: u64) {
    // SAFETY: callers only toggle FPU/WP bits on a running long-mode CPU.
    unsafe { asm!("mov cr0, {}", in(reg) v, options(nostack, preserves_flags)) }
}

pub fn read_cr2() -> u64 {
    let v: u64;
    // SAFETY: reading a control register has no side effects.
    unsafe { asm!("mov {}, cr2", out(reg) v, options(nomem, nostack, preserves_flags)) }
    v
}

pub fn read_cr3() -> u64 {
    let v: u64;
    // SAFETY: reading a control register has no side effects.
    unsafe { asm!("mov {}, cr3", out(reg) v, options(nomem, nostack, preserves_flags)) }
    v
}

pub fn read_cr4() -> u64 {
    let v: u64;
    // SAFETY: reading a control register has no side effects.
    unsafe { asm!("mov {}, cr4", out(reg) v, options(nomem, nostack, preserves_flags)) }
    v
}

pub fn write_cr4(v: u64) {
    // SAFETY: callers set feature bits the CPU reported through CPUID.
    unsafe { asm!("mov cr4, {}", in(reg) v, options(nostack, preserves_flags)) }
}

pub const CR4_PGE: u64 = 1 << 7;
pub const CR4_OSFXSR: u64 = 1 << 9;
pub const CR4_OSXMMEXCPT: u64 = 1 << 10;
pub const CR4_OSXSAVE: u64 = 1 << 18;
pub const CR4_SMEP: u64 = 1 << 20;
pub const CR4_SMAP: u64 = 1 << 21;

pub struct CpuidResult {
    pub eax: u32,
    pub ebx: u32,
    pub ecx: u32,
    pub edx: u32,
}

pub fn cpuid(leaf: u32, subleaf: u32) -> CpuidResult {
    let r = core::arch::x86_64::__cpuid_count(leaf, subleaf);
    CpuidResult { eax: r.eax, ebx: r.ebx, ecx: r.ecx, edx: r.edx }
}

pub fn max_cpuid_leaf() -> u32 {
    cpuid(0, 0).eax
}

pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc reads a counter; no memory effects.
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags)) }
    (u64::from(hi) << 32) | u64::from(lo)
}

/// 64 random bits from RDRAND, if the CPU has it and it delivers.
pub fn rdrand() -> Option<u64> {
    if !super::features::cpu_features().rdrand {
        return None;
    }
    for _ in 0..10 {
        let value: u64;
        let ok: u8;
        // SAFETY: RDRAND is present (checked above); it only writes registers.
        unsafe { asm!("rdrand {}", "setc {}", out(reg) value, out(reg_byte) ok, options(nomem, nostack)) }
        if ok != 0 {
            return Some(value);
        }
    }
    None
}

pub fn enable_interrupts() {
    // SAFETY: the IDT is loaded before interrupts are first enabled.
    unsafe { asm!("sti", options(nomem, nostack)) }
}

pub fn disable_interrupts() {
    // SAFETY: masking interrupts is always sound.
    unsafe { asm!("cli", options(nomem, nostack)) }
}

pub fn interrupts_enabled() -> bool {
    let flags: u64;
    // SAFETY: reads RFLAGS through the stack.
    unsafe { asm!("pushfq", "pop {}", out(reg) flags, options(nomem, preserves_flags)) }
    flags & (1 << 9) != 0
}

/// Runs `f` with interrupts masked, restoring the previous state after.
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    let was_enabled = interrupts_enabled();
    if was_enabled {
        disable_interrupts();
    }
    let r = f();
    if was_enabled {
        enable_interrupts();
    }
    r
}

/// Waits for the next interrupt with interrupts enabled.
pub fn wait_for_interrupt() {
    // SAFETY: sti;hlt is atomic with respect to interrupts (the sti shadow).
    unsafe { asm!("sti", "hlt", options(nomem, nostack)) }
}

pub fn halt_forever() -> ! {
    loop {
        // SAFETY: stops the CPU with interrupts off; nothing resumes it.
        unsafe { asm!("cli", "hlt", options(nomem, nostack)) }
    }
}

pub fn invlpg(addr: u64) {
    // SAFETY: flushing a TLB entry never breaks memory safety.
    unsafe { asm!("invlpg [{}]", in(reg) addr, options(nostack, preserves_flags)) }
}

pub fn write_cr3(phys: u64) {
    // SAFETY: callers pass a page table whose kernel half is the shared
    // kernel mapping, so the running code stays mapped.
    unsafe { asm!("mov cr3, {}", in(reg) phys, options(nostack, preserves_flags)) }
}
