//! The interrupt descriptor table: every vector enters through its stub in
//! `entry.rs` and reaches `traps::trap_handler`.

use core::arch::asm;
use core::cell::UnsafeCell;

use super::entry::trap_stubs_address;
use super::gdt::{IST_DOUBLE_FAULT, IST_MACHINE_CHECK, IST_NMI, KERNEL_CS};

#[repr(C)]
#[derive(Clone, Copy)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    reserved: u32,
}

const INTERRUPT_GATE: u8 = 0x8E;
const USER_INTERRUPT_GATE: u8 = 0xEE;

#[repr(C, align(16))]
struct Idt(UnsafeCell<[Gate; 256]>);

// SAFETY: written once at boot before interrupts are enabled, then only read
// by the CPU.
unsafe impl Sync for Idt {}

static IDT: Idt = Idt(UnsafeCell::new(
    [Gate { offset_low: 0, selector: 0, ist: 0, type_attr: 0, offset_mid: 0, offset_high: 0, reserved: 0 }; 256],
));

#[repr(C, packed)]
struct DescriptorPointer {
    limit: u16,
    base: u64,
}

pub(crate) fn init() {
    let stubs = trap_stubs_address();
    // SAFETY: boot, single-threaded, interrupts off: nothing else reads the
    // IDT until `lidt`, and the table is static.
    unsafe {
        let gates = &mut *IDT.0.get();
        for (vector, gate) in gates.iter_mut().enumerate() {
            let handler = stubs + vector as u64 * 16;
            let ist = match vector {
                2 => IST_NMI,
                8 => IST_DOUBLE_FAULT,
                18 => IST_MACHINE_CHECK,
                _ => 0,
            };
            // int3 and into may be used from user mode.
            let attr = if vector == 3 || vector == 4 { USER_INTERRUPT_GATE } else { INTERRUPT_GATE };
            *gate = Gate {
                offset_low: handler as u16,
                selector: KERNEL_CS,
                ist,
                type_attr: attr,
                offset_mid: (handler >> 16) as u16,
                offset_high: (handler >> 32) as u32,
                reserved: 0,
            };
        }
    }
    load();
}

/// Loads the IDT into this CPU (every CPU shares the one table).
pub(crate) fn load() {
    let ptr = DescriptorPointer { limit: (core::mem::size_of::<[Gate; 256]>() - 1) as u16, base: IDT.0.get() as u64 };
    // SAFETY: the table is static and filled by `init` before any CPU
    // loads it; nothing writes it afterwards.
    unsafe { asm!("lidt [{}]", in(reg) &ptr, options(nostack)) };
}
