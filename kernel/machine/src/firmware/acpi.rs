//! Just enough ACPI to find the interrupt controllers and to power the
//! machine off: the tables through the `acpi` crate (the RSDP from the boot
//! protocol, else the BIOS areas), the FADT's PM1 control ports, and the
//! `\_S5` sleep type read from the DSDT's AML.

use core::ptr::NonNull;

use acpi::{AcpiHandler, AcpiTables, PhysicalMapping};
use spin::Once;

use crate::io::{outb, outw};
use crate::mm::phys;

/// Maps firmware tables through the direct map, which covers them (they
/// sit in RAM the allocator never hands out, or below 4 GiB).
#[derive(Clone, Copy, Debug)]
pub struct DirectMap;

impl AcpiHandler for DirectMap {
    unsafe fn map_physical_region<T>(&self, physical_address: usize, size: usize) -> PhysicalMapping<Self, T> {
        let virt = phys::phys_to_virt(physical_address as u64) as *mut T;
        let virt = NonNull::new(virt).expect("the direct map is not at 0");
        // SAFETY: the acpi crate asks for firmware table regions, which the
        // direct map covers for the kernel's life; nothing needs unmapping.
        unsafe { PhysicalMapping::new(physical_address, virt, size, size, *self) }
    }

    fn unmap_physical_region<T>(_region: &PhysicalMapping<Self, T>) {}
}

struct PowerOff {
    pm1a_control: u16,
    pm1b_control: u16,
    slp_typ_a: u16,
    slp_typ_b: u16,
}

static POWER_OFF: Once<Option<PowerOff>> = Once::new();

const SLP_EN: u16 = 1 << 13;

fn find_tables(rsdp_hint: Option<u64>) -> Option<AcpiTables<DirectMap>> {
    match rsdp_hint {
        // SAFETY: the boot protocol names the RSDP's address; the crate
        // checks its signature and checksum before trusting it.
        Some(p) => unsafe { AcpiTables::from_rsdp(DirectMap, p as usize) }.ok(),
        // SAFETY: without a hint the machine booted through a BIOS-style
        // loader (PVH under QEMU), whose EBDA and 0xE0000 areas the crate
        // scans.
        None => unsafe { AcpiTables::search_for_rsdp_bios(DirectMap) }.ok(),
    }
}

/// Decodes an AML integer constant (ZeroOp, OneOp, BytePrefix, WordPrefix).
fn aml_small_integer(aml: &[u8]) -> Option<(u16, usize)> {
    match *aml.first()? {
        0x00 => Some((0, 1)),
        0x01 => Some((1, 1)),
        0x0A => Some((u16::from(*aml.get(1)?), 2)),
        0x0B => Some((u16::from_le_bytes([*aml.get(1)?, *aml.get(2)?]), 3)),
        _ => None,
    }
}

/// Reads `Name(_S5, Package(){a, b, ...})` from the DSDT's AML.
fn s5_sleep_types(aml: &[u8]) -> Option<(u16, u16)> {
    let at = aml.windows(5).position(|w| &w[..4] == b"_S5_" && w[4] == 0x12)?;
    let mut q = at + 5;
    let lead = *aml.get(q)?;
    q += 1 + usize::from(lead >> 6); // PkgLength: 1 + extra bytes
    q += 1; // NumElements
    let (a, n) = aml_small_integer(aml.get(q..)?)?;
    let (b, _) = aml.get(q + n..).and_then(aml_small_integer).unwrap_or((0, 0));
    Some((a, b))
}

fn discover(tables: &AcpiTables<DirectMap>) -> Option<PowerOff> {
    let fadt = tables.find_table::<acpi::fadt::Fadt>().ok()?;
    let pm1a_control = fadt.pm1a_control_block().ok()?.address as u16;
    let pm1b_control = fadt.pm1b_control_block().ok().flatten().map_or(0, |b| b.address as u16);
    let dsdt = tables.dsdt().ok()?;
    // SAFETY: the DSDT's AML lies in firmware memory that the allocator
    // never hands out (ACPI tables are not usable RAM), so it stays as the
    // firmware wrote it for the kernel's life.
    let aml = unsafe { phys::reserved_slice(dsdt.address as u64, dsdt.length as usize) };
    let (slp_typ_a, slp_typ_b) = s5_sleep_types(aml)?;
    Some(PowerOff { pm1a_control, pm1b_control, slp_typ_a, slp_typ_b })
}

/// Reads the tables: the MADT, and the way to power off. Returns false
/// when there is no way to power off through ACPI (QEMU's ports are tried
/// then).
pub fn init(rsdp_hint: Option<u64>) -> bool {
    let tables = find_tables(rsdp_hint);
    super::madt::init(tables.as_ref());
    POWER_OFF.call_once(|| tables.as_ref().and_then(discover)).is_some()
}

/// Enters ACPI sleep state S5. Returns only if the machine did not turn off.
pub fn power_off() {
    if let Some(Some(p)) = POWER_OFF.get() {
        // SAFETY: the FADT names these ports as the PM1 control blocks;
        // writing SLP_TYP with SLP_EN is the S5 transition.
        unsafe {
            outw(p.pm1a_control, (p.slp_typ_a << 10) | SLP_EN);
            if p.pm1b_control != 0 {
                outw(p.pm1b_control, (p.slp_typ_b << 10) | SLP_EN);
            }
        }
    }
    // SAFETY: QEMU's PIIX4 and ICH9 PM1a control ports, in case the tables
    // lied: the same S5 write.
    unsafe {
        outw(0x604, 0x2000);
        outw(0xB004, 0x2000);
    }
}

/// Resets the machine: the PC's reset control register (0xCF9), then the
/// keyboard controller's reset line. Returns only if both failed.
pub fn reset() {
    // SAFETY: a full reset through the chipset's reset control register and
    // the 8042's pulse-reset command: nothing of the machine's state needs
    // to survive.
    unsafe {
        outb(0xCF9, 0x06);
        outb(0x64, 0xFE);
    }
}
