//! The I/O APICs, found through the ACPI MADT: they turn device interrupt
//! lines (global system interrupts, GSIs) into vectors delivered to a
//! local APIC. Every pin starts masked; a driver routes its ISA IRQ to a
//! vector on the boot CPU with `route_isa_irq`.

use spin::Mutex;

use super::cpu::without_interrupts;
use crate::mm::phys::phys_to_virt;

const IOREGSEL: u64 = 0x00;
const IOWIN: u64 = 0x10;
const REG_VERSION: u32 = 0x01;
const REG_REDIRECTION: u32 = 0x10;

const MASKED: u64 = 1 << 16;
const LEVEL_TRIGGERED: u64 = 1 << 15;
const ACTIVE_LOW: u64 = 1 << 13;

const MAX_IOAPICS: usize = 8;

#[derive(Clone, Copy)]
struct IoApic {
    /// Virtual address of the registers (direct map, uncached hole).
    base: u64,
    gsi_base: u32,
    pins: u32,
}

struct IoApics {
    list: [IoApic; MAX_IOAPICS],
    count: usize,
}

/// The register window is two accesses (select, then read or write): the
/// lock keeps them together.
static IOAPICS: Mutex<IoApics> =
    Mutex::new(IoApics { list: [IoApic { base: 0, gsi_base: 0, pins: 0 }; MAX_IOAPICS], count: 0 });

impl IoApic {
    fn read(&self, reg: u32) -> u32 {
        // SAFETY: `base` maps this I/O APIC's register page (direct map of
        // the uncached 3..4 GiB hole); the selector and the window are its
        // only registers, accessed as 32-bit words, under IOAPICS' lock.
        unsafe {
            core::ptr::write_volatile((self.base + IOREGSEL) as *mut u32, reg);
            core::ptr::read_volatile((self.base + IOWIN) as *const u32)
        }
    }

    fn write(&self, reg: u32, value: u32) {
        // SAFETY: as `read`.
        unsafe {
            core::ptr::write_volatile((self.base + IOREGSEL) as *mut u32, reg);
            core::ptr::write_volatile((self.base + IOWIN) as *mut u32, value);
        }
    }

    fn set_entry(&self, pin: u32, entry: u64) {
        // High half (destination) first, so the entry is never unmasked
        // with a stale destination.
        self.write(REG_REDIRECTION + 2 * pin + 1, (entry >> 32) as u32);
        self.write(REG_REDIRECTION + 2 * pin, entry as u32);
    }
}

/// Finds the I/O APICs in the MADT and masks all their pins. Returns false
/// when there is none (interrupt-driven devices then stay polled).
pub fn init() -> bool {
    let Some(madt) = crate::drivers::madt::get() else {
        crate::pr_warn!("IOAPIC: none in the ACPI tables; device interrupts are off");
        return false;
    };
    without_interrupts(|| {
        let mut apics = IOAPICS.lock();
        for entry in madt.ioapics() {
            let mut apic = IoApic { base: phys_to_virt(entry.address), gsi_base: entry.gsi_base, pins: 0 };
            apic.pins = ((apic.read(REG_VERSION) >> 16) & 0xff) + 1;
            for pin in 0..apic.pins {
                apic.set_entry(pin, MASKED);
            }
            crate::pr_debug!(
                "IOAPIC[{}]: apic_id {}, address {:#x}, GSI {}-{}",
                apics.count,
                entry.id,
                entry.address,
                apic.gsi_base,
                apic.gsi_base + apic.pins - 1
            );
            let n = apics.count;
            apics.list[n] = apic;
            apics.count += 1;
        }
        apics.count > 0
    })
}

/// Delivers ISA IRQ `irq` as `vector` to the boot CPU's local APIC, with
/// the GSI, polarity and trigger mode the MADT gives. False if no I/O APIC
/// serves its GSI.
pub fn route_isa_irq(irq: u8, vector: u8) -> bool {
    let Some(madt) = crate::drivers::madt::get() else { return false };
    let route = madt.isa_route(irq);
    let mut entry = u64::from(vector) | (u64::from(super::apic::id()) << 56);
    if route.active_low {
        entry |= ACTIVE_LOW;
    }
    if route.level_triggered {
        entry |= LEVEL_TRIGGERED;
    }
    without_interrupts(|| {
        let apics = IOAPICS.lock();
        let Some(apic) =
            apics.list[..apics.count].iter().find(|a| (a.gsi_base..a.gsi_base + a.pins).contains(&route.gsi))
        else {
            return false;
        };
        apic.set_entry(route.gsi - apic.gsi_base, entry);
        true
    })
}
