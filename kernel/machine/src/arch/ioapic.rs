//! The I/O APICs, found through the ACPI MADT: they turn device interrupt
//! lines (global system interrupts, GSIs) into vectors delivered to a
//! local APIC. Every pin starts masked; a driver routes its ISA IRQ to a
//! vector on the boot CPU with `route_isa_irq`.

use alloc::vec::Vec;

use spin::Mutex;

use super::cpu::without_interrupts;
use crate::firmware::madt;
use crate::mmio::Mmio;

const IOREGSEL: u64 = 0x00;
const IOWIN: u64 = 0x10;
const REG_VERSION: u32 = 0x01;
const REG_REDIRECTION: u32 = 0x10;

const MASKED: u64 = 1 << 16;
const LEVEL_TRIGGERED: u64 = 1 << 15;
const ACTIVE_LOW: u64 = 1 << 13;

const MAX_IOAPICS: usize = 8;

struct IoApic {
    registers: Mmio,
    gsi_base: u32,
    pins: u32,
}

/// The register window is two accesses (select, then read or write): the
/// lock keeps them together.
static IOAPICS: Mutex<Vec<IoApic>> = Mutex::new(Vec::new());

/// What `init` found, for the kernel's log.
pub struct IoApicSummary {
    pub id: u8,
    pub address: u64,
    pub gsi_base: u32,
    pub pins: u32,
}

impl IoApic {
    fn read(&self, reg: u32) -> u32 {
        self.registers.write32(IOREGSEL, reg);
        self.registers.read32(IOWIN)
    }

    fn write(&self, reg: u32, value: u32) {
        self.registers.write32(IOREGSEL, reg);
        self.registers.write32(IOWIN, value);
    }

    fn set_entry(&self, pin: u32, entry: u64) {
        // High half (destination) first, so the entry is never unmasked
        // with a stale destination.
        self.write(REG_REDIRECTION + 2 * pin + 1, (entry >> 32) as u32);
        self.write(REG_REDIRECTION + 2 * pin, entry as u32);
    }
}

/// Finds the I/O APICs in the MADT and masks all their pins. Empty when
/// there is none (interrupt-driven devices then stay polled).
pub fn init() -> Vec<IoApicSummary> {
    let Some(madt) = madt::get() else { return Vec::new() };
    without_interrupts(|| {
        let mut apics = IOAPICS.lock();
        let mut found = Vec::new();
        for entry in madt.ioapics().iter().take(MAX_IOAPICS) {
            // SAFETY: the MADT names this I/O APIC's register page (in the
            // uncached hole); it is used only here, under IOAPICS' lock.
            let registers = unsafe { Mmio::new(entry.address, IOWIN + 4) };
            let mut apic = IoApic { registers, gsi_base: entry.gsi_base, pins: 0 };
            apic.pins = ((apic.read(REG_VERSION) >> 16) & 0xff) + 1;
            for pin in 0..apic.pins {
                apic.set_entry(pin, MASKED);
            }
            found.push(IoApicSummary {
                id: entry.id,
                address: entry.address,
                gsi_base: apic.gsi_base,
                pins: apic.pins,
            });
            apics.push(apic);
        }
        found
    })
}

/// Delivers ISA IRQ `irq` as `vector` to the boot CPU's local APIC, with
/// the GSI, polarity and trigger mode the MADT gives. False if no I/O APIC
/// serves its GSI.
pub fn route_isa_irq(irq: u8, vector: u8) -> bool {
    let Some(madt) = madt::get() else { return false };
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
        let Some(apic) = apics.iter().find(|a| (a.gsi_base..a.gsi_base + a.pins).contains(&route.gsi)) else {
            return false;
        };
        apic.set_entry(route.gsi - apic.gsi_base, entry);
        true
    })
}

/// Delivers GSI `gsi` as `vector` to the boot CPU's local APIC, level
/// triggered and active low: a PCI INTx line. False if no I/O APIC serves
/// the GSI.
pub fn route_pci_gsi(gsi: u32, vector: u8) -> bool {
    let entry = u64::from(vector) | (u64::from(super::apic::id()) << 56) | ACTIVE_LOW | LEVEL_TRIGGERED;
    without_interrupts(|| {
        let apics = IOAPICS.lock();
        let Some(apic) = apics.iter().find(|a| (a.gsi_base..a.gsi_base + a.pins).contains(&gsi)) else {
            return false;
        };
        apic.set_entry(gsi - apic.gsi_base, entry);
        true
    })
}
