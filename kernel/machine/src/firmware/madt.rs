//! The ACPI Multiple APIC Description Table (signature "APIC"): where the
//! I/O APICs are, which global system interrupts (GSIs) they serve, and how
//! the ISA IRQs are wired to GSIs (interrupt source overrides).
//!
//! Fixed-size tables, no allocation: a PC has one or two I/O APICs and a
//! handful of overrides.

use core::pin::Pin;

use acpi::madt::MadtEntry;
use acpi::AcpiTables;
use spin::Once;

use super::acpi::DirectMap;

const MAX_IOAPICS: usize = 8;
const MAX_OVERRIDES: usize = 16;
const MAX_LOCAL_APICS: usize = crate::arch::percpu::MAX_CPUS;

#[derive(Clone, Copy, Debug, Default)]
pub struct IoApicEntry {
    pub id: u8,
    /// Physical address of its registers.
    pub address: u64,
    /// The first GSI it serves.
    pub gsi_base: u32,
}

/// An ISA IRQ that is not wired to the GSI of the same number, or whose
/// polarity or trigger mode differs from ISA's (active high, edge).
#[derive(Clone, Copy, Debug, Default)]
pub struct SourceOverride {
    pub irq: u8,
    pub gsi: u32,
    /// MPS INTI flags: bits 0-1 polarity, bits 2-3 trigger mode.
    pub flags: u16,
}

#[derive(Clone, Copy, Debug)]
pub struct Madt {
    pub ioapics: [IoApicEntry; MAX_IOAPICS],
    pub ioapic_count: usize,
    pub overrides: [SourceOverride; MAX_OVERRIDES],
    pub override_count: usize,
    /// The local APIC ids of the usable processors, in table order (the
    /// boot CPU among them).
    pub local_apics: [u32; MAX_LOCAL_APICS],
    pub local_apic_count: usize,
}

impl Default for Madt {
    fn default() -> Self {
        Madt {
            ioapics: Default::default(),
            ioapic_count: 0,
            overrides: Default::default(),
            override_count: 0,
            local_apics: [0; MAX_LOCAL_APICS],
            local_apic_count: 0,
        }
    }
}

/// How an ISA IRQ reaches an I/O APIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsaRoute {
    pub gsi: u32,
    pub active_low: bool,
    pub level_triggered: bool,
}

impl Madt {
    /// The local APIC ids of the processors the firmware lists as usable.
    pub fn local_apics(&self) -> &[u32] {
        &self.local_apics[..self.local_apic_count]
    }

    fn add_local_apic(&mut self, apic_id: u32, flags: u32) {
        // Bit 0: enabled; bit 1: online capable (may be enabled later).
        if flags & 3 != 0 && self.local_apic_count < MAX_LOCAL_APICS {
            self.local_apics[self.local_apic_count] = apic_id;
            self.local_apic_count += 1;
        }
    }

    pub fn ioapics(&self) -> &[IoApicEntry] {
        &self.ioapics[..self.ioapic_count]
    }

    /// The GSI, polarity and trigger mode of ISA IRQ `irq`: the override's
    /// if there is one, else the identity mapping, active high, edge.
    pub fn isa_route(&self, irq: u8) -> IsaRoute {
        let found = self.overrides[..self.override_count].iter().find(|o| o.irq == irq);
        match found {
            // Polarity 0b11 is active low, trigger 0b11 level; 0b00 means
            // "as the bus says", which for ISA is active high, edge.
            Some(o) => IsaRoute { gsi: o.gsi, active_low: o.flags & 3 == 3, level_triggered: (o.flags >> 2) & 3 == 3 },
            None => IsaRoute { gsi: u32::from(irq), active_low: false, level_triggered: false },
        }
    }
}

static MADT: Once<Option<Madt>> = Once::new();

fn parse(table: Pin<&acpi::madt::Madt>) -> Madt {
    let mut madt = Madt::default();
    for entry in table.entries() {
        match entry {
            MadtEntry::IoApic(e) if madt.ioapic_count < MAX_IOAPICS => {
                madt.ioapics[madt.ioapic_count] = IoApicEntry {
                    id: e.io_apic_id,
                    address: u64::from(e.io_apic_address),
                    gsi_base: e.global_system_interrupt_base,
                };
                madt.ioapic_count += 1;
            }
            // Bus 0 is ISA, the only bus overrides name.
            MadtEntry::InterruptSourceOverride(e) if e.bus == 0 && madt.override_count < MAX_OVERRIDES => {
                madt.overrides[madt.override_count] =
                    SourceOverride { irq: e.irq, gsi: e.global_system_interrupt, flags: e.flags };
                madt.override_count += 1;
            }
            MadtEntry::LocalApic(e) => madt.add_local_apic(u32::from(e.apic_id), e.flags),
            MadtEntry::LocalX2Apic(e) => madt.add_local_apic(e.x2apic_id, e.flags),
            _ => {}
        }
    }
    madt
}

/// Reads the MADT (once, from `acpi::init`).
pub(super) fn init(tables: Option<&AcpiTables<DirectMap>>) {
    MADT.call_once(|| {
        let table = tables?.find_table::<acpi::madt::Madt>().ok()?;
        let madt = parse(table.get());
        (madt.ioapic_count > 0).then_some(madt)
    });
}

/// The MADT. None before `acpi::init`, when the firmware has no MADT, or
/// when it names no I/O APIC.
pub fn get() -> Option<&'static Madt> {
    MADT.get().and_then(Option::as_ref)
}
