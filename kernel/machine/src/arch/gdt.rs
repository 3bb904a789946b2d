//! The GDT and TSS, in Linux's selector layout so that SYSRET and user
//! code see the selectors they expect: kernel CS 0x10, DS 0x18, user32 CS
//! 0x23, user DS 0x2b, user CS 0x33, TSS 0x40.

use core::arch::asm;

use super::percpu::this_cpu;

pub const KERNEL_CS: u16 = 0x10;
pub const KERNEL_DS: u16 = 0x18;
pub const USER32_CS: u16 = 0x23;
pub const USER_DS: u16 = 0x2b;
pub const USER_CS: u16 = 0x33;
const TSS_SELECTOR: u16 = 0x40;

/// IST slots (1-based as the IDT names them).
pub const IST_DOUBLE_FAULT: u8 = 1;
pub const IST_NMI: u8 = 2;
pub const IST_MACHINE_CHECK: u8 = 3;

#[repr(C, packed)]
pub(crate) struct Tss {
    reserved0: u32,
    rsp: [u64; 3],
    reserved1: u64,
    ist: [u64; 7],
    reserved2: u64,
    reserved3: u16,
    iomap_base: u16,
}

impl Tss {
    pub(crate) const fn new() -> Tss {
        Tss {
            reserved0: 0,
            rsp: [0; 3],
            reserved1: 0,
            ist: [0; 7],
            reserved2: 0,
            reserved3: 0,
            // No I/O bitmap: user port access faults.
            iomap_base: core::mem::size_of::<Tss>() as u16,
        }
    }

    pub fn set_rsp0(&mut self, top: u64) {
        self.rsp[0] = top;
    }
}

#[repr(C, align(16))]
pub(crate) struct Gdt([u64; 10]);

impl Gdt {
    pub(crate) const fn new() -> Gdt {
        Gdt([
            0,
            0x00cf_9a00_0000_ffff, // kernel code, 32-bit (unused)
            0x00af_9b00_0000_ffff, // kernel code, 64-bit
            0x00cf_9300_0000_ffff, // kernel data
            0x00cf_fb00_0000_ffff, // user code, 32-bit
            0x00cf_f300_0000_ffff, // user data
            0x00af_fb00_0000_ffff, // user code, 64-bit
            0,
            0, // TSS, low half (filled at init)
            0, // TSS, high half
        ])
    }
}

extern "C" {
    static IST_STACKS_TOP: [u64; 3];
}

/// The boot CPU's IST stacks (static, in the image).
pub(crate) fn boot_ist_stacks() -> [u64; 3] {
    // SAFETY: a table of three addresses in the image, written by the
    // assembler and never changed.
    unsafe { core::ptr::addr_of!(IST_STACKS_TOP).read() }
}

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

/// Loads this CPU's GDT and TSS, with `ist` as its IST stacks, and reloads
/// every segment register.
pub(crate) fn init(ist: [u64; 3]) {
    let cpu = this_cpu();
    // SAFETY: CPU start-up, interrupts off, and only this CPU touches its
    // PerCpu's GDT and TSS, which live for the kernel's life.
    unsafe {
        (*cpu).tss.ist[0] = ist[0];
        (*cpu).tss.ist[1] = ist[1];
        (*cpu).tss.ist[2] = ist[2];
        let tss = core::ptr::addr_of!((*cpu).tss) as u64;
        let limit = (core::mem::size_of::<Tss>() - 1) as u64;
        let low = (limit & 0xffff)
            | ((tss & 0xff_ffff) << 16)
            | (0x89 << 40) // present, 64-bit available TSS
            | (((limit >> 16) & 0xf) << 48)
            | (((tss >> 24) & 0xff) << 56);
        (*cpu).gdt.0[8] = low;
        (*cpu).gdt.0[9] = tss >> 32;
        let ptr = DescriptorPointer {
            limit: (core::mem::size_of::<Gdt>() - 1) as u16,
            base: core::ptr::addr_of!((*cpu).gdt) as u64,
        };
        asm!(
            "lgdt [{ptr}]",
            "push {cs}",
            "lea {tmp}, [rip + 2f]",
            "push {tmp}",
            "retfq",
            "2:",
            "mov ss, {ds:x}",
            "mov ds, {ds:x}",
            "mov es, {ds:x}",
            "ltr {tss:x}",
            ptr = in(reg) &ptr,
            cs = in(reg) u64::from(KERNEL_CS),
            ds = in(reg) u64::from(KERNEL_DS),
            tss = in(reg) u64::from(TSS_SELECTOR),
            tmp = out(reg) _,
        );
    }
}
