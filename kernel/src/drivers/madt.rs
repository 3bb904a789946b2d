//! The ACPI Multiple APIC Description Table (signature "APIC"): where the
//! I/O APICs are, which global system interrupts (GSIs) they serve, and how
//! the ISA IRQs are wired to GSIs (interrupt source overrides).
//!
//! Fixed-size tables, no allocation: a PC has one or two I/O APICs and a
//! handful of overrides.

use spin::Once;

use crate::mm::phys;

const MAX_IOAPICS: usize = 8;
const MAX_OVERRIDES: usize = 16;

const ENTRY_IOAPIC: u8 = 1;
const ENTRY_SOURCE_OVERRIDE: u8 = 2;

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

#[derive(Clone, Copy, Debug, Default)]
pub struct Madt {
    pub ioapics: [IoApicEntry; MAX_IOAPICS],
    pub ioapic_count: usize,
    pub overrides: [SourceOverride; MAX_OVERRIDES],
    pub override_count: usize,
}

/// How an ISA IRQ reaches an I/O APIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IsaRoute {
    pub gsi: u32,
    pub active_low: bool,
    pub level_triggered: bool,
}

impl Madt {
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

fn parse(table: u64) -> Madt {
    let mut madt = Madt::default();
    let len = u64::from(phys::read::<u32>(table + 4));
    let mut at = table + 44;
    while at + 2 <= table + len {
        let kind = phys::read::<u8>(at);
        let entry_len = u64::from(phys::read::<u8>(at + 1));
        if entry_len < 2 || at + entry_len > table + len {
            break;
        }
        match kind {
            ENTRY_IOAPIC if entry_len >= 12 && madt.ioapic_count < MAX_IOAPICS => {
                madt.ioapics[madt.ioapic_count] = IoApicEntry {
                    id: phys::read::<u8>(at + 2),
                    address: u64::from(phys::read::<u32>(at + 4)),
                    gsi_base: phys::read::<u32>(at + 8),
                };
                madt.ioapic_count += 1;
            }
            // Bus 0 is ISA, the only bus overrides name.
            ENTRY_SOURCE_OVERRIDE
                if entry_len >= 10 && phys::read::<u8>(at + 2) == 0 && madt.override_count < MAX_OVERRIDES =>
            {
                madt.overrides[madt.override_count] = SourceOverride {
                    irq: phys::read::<u8>(at + 3),
                    gsi: phys::read::<u32>(at + 4),
                    flags: phys::read::<u16>(at + 8),
                };
                madt.override_count += 1;
            }
            _ => {}
        }
        at += entry_len;
    }
    madt
}

/// The MADT, read once (after `acpi::init` found the RSDP). None when the
/// firmware has no MADT or it names no I/O APIC.
pub fn get() -> Option<&'static Madt> {
    MADT.call_once(|| {
        let table = super::acpi::find_table(super::acpi::rsdp()?, b"APIC")?;
        let madt = parse(table);
        (madt.ioapic_count > 0).then_some(madt)
    })
    .as_ref()
}
