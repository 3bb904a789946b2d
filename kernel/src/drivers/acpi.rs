//! Just enough ACPI to power the machine off: find the RSDP (from the boot
//! protocol, else by scanning the BIOS areas), the FADT for the PM1a control
//! port, and the `\_S5` sleep type in the DSDT's AML. The interrupt
//! controllers' table (MADT) is read in `madt.rs` through `find_table`.

use spin::Once;

use crate::arch::cpu::outw;
use crate::mm::phys;

struct PowerOff {
    pm1a_control: u16,
    pm1b_control: u16,
    slp_typ_a: u16,
    slp_typ_b: u16,
}

static POWER_OFF: Once<Option<PowerOff>> = Once::new();
/// The RSDP's physical address, once found.
static RSDP: Once<Option<u64>> = Once::new();

const SLP_EN: u16 = 1 << 13;

fn checksum_ok(paddr: u64, len: usize) -> bool {
    let mut sum = 0u8;
    for i in 0..len as u64 {
        sum = sum.wrapping_add(phys::read::<u8>(paddr + i));
    }
    sum == 0
}

fn find_rsdp(hint: Option<u64>) -> Option<u64> {
    if let Some(p) = hint {
        return Some(p);
    }
    let ebda = u64::from(phys::read::<u16>(0x40E)) << 4;
    let ranges = [(ebda, ebda + 1024), (0xE0000, 0x100000)];
    for (start, end) in ranges {
        let mut p = start & !15;
        while p + 20 <= end {
            if phys::read::<[u8; 8]>(p) == *b"RSD PTR " && checksum_ok(p, 20) {
                return Some(p);
            }
            p += 16;
        }
    }
    None
}

/// The RSDP found at boot (None before `init` or if there is none).
pub fn rsdp() -> Option<u64> {
    RSDP.get().copied().flatten()
}

/// Finds the table with `signature` through the XSDT (or RSDT).
pub fn find_table(rsdp: u64, signature: &[u8; 4]) -> Option<u64> {
    let revision = phys::read::<u8>(rsdp + 15);
    let (root, entry_size) =
        if revision >= 2 { (phys::read::<u64>(rsdp + 24), 8) } else { (u64::from(phys::read::<u32>(rsdp + 16)), 4) };
    if root == 0 || &phys::read::<[u8; 4]>(root) != b"XSDT" && &phys::read::<[u8; 4]>(root) != b"RSDT" {
        return None;
    }
    let len = u64::from(phys::read::<u32>(root + 4));
    let entries = len.saturating_sub(36) / entry_size;
    (0..entries).find_map(|i| {
        let at = root + 36 + i * entry_size;
        let table = if entry_size == 8 { phys::read::<u64>(at) } else { u64::from(phys::read::<u32>(at)) };
        (table != 0 && &phys::read::<[u8; 4]>(table) == signature).then_some(table)
    })
}

/// Decodes an AML integer constant (ZeroOp, OneOp, BytePrefix, WordPrefix).
fn aml_small_integer(at: u64) -> Option<(u16, u64)> {
    match phys::read::<u8>(at) {
        0x00 => Some((0, 1)),
        0x01 => Some((1, 1)),
        0x0A => Some((u16::from(phys::read::<u8>(at + 1)), 2)),
        0x0B => Some((phys::read::<u16>(at + 1), 3)),
        _ => None,
    }
}

/// Reads `Name(_S5, Package(){a, b, ...})` from the DSDT.
fn s5_sleep_types(dsdt: u64) -> Option<(u16, u16)> {
    let len = u64::from(phys::read::<u32>(dsdt + 4));
    let body = dsdt + 36;
    let end = dsdt + len;
    let mut p = body;
    while p + 4 < end {
        if &phys::read::<[u8; 4]>(p) == b"_S5_" && phys::read::<u8>(p + 4) == 0x12 {
            let mut q = p + 5;
            let lead = phys::read::<u8>(q);
            q += 1 + u64::from(lead >> 6); // PkgLength: 1 + extra bytes
            q += 1; // NumElements
            let (a, n) = aml_small_integer(q)?;
            let (b, _) = aml_small_integer(q + n).unwrap_or((0, 0));
            return Some((a, b));
        }
        p += 1;
    }
    None
}

fn discover(rsdp: Option<u64>) -> Option<PowerOff> {
    let rsdp = rsdp?;
    let fadt = find_table(rsdp, b"FACP")?;
    let fadt_len = phys::read::<u32>(fadt + 4);
    let mut dsdt = u64::from(phys::read::<u32>(fadt + 40));
    if fadt_len >= 148 && phys::read::<u64>(fadt + 140) != 0 {
        dsdt = phys::read::<u64>(fadt + 140);
    }
    let pm1a_control = phys::read::<u32>(fadt + 64) as u16;
    let pm1b_control = phys::read::<u32>(fadt + 68) as u16;
    let (slp_typ_a, slp_typ_b) = s5_sleep_types(dsdt)?;
    Some(PowerOff { pm1a_control, pm1b_control, slp_typ_a, slp_typ_b })
}

pub fn init(rsdp_hint: Option<u64>) {
    let rsdp = *RSDP.call_once(|| find_rsdp(rsdp_hint));
    let found = POWER_OFF.call_once(|| discover(rsdp));
    if found.is_none() {
        crate::pr_warn!("ACPI: no FADT or \\_S5 found; poweroff will fall back to QEMU's ports");
    }
}

/// Enters ACPI sleep state S5. Returns only if the machine did not turn off.
pub fn power_off() {
    if let Some(Some(p)) = POWER_OFF.get() {
        outw(p.pm1a_control, (p.slp_typ_a << 10) | SLP_EN);
        if p.pm1b_control != 0 {
            outw(p.pm1b_control, (p.slp_typ_b << 10) | SLP_EN);
        }
    }
    // QEMU's PIIX4 and ICH9 PM1a control ports, in case the tables lied.
    outw(0x604, 0x2000);
    outw(0xB004, 0x2000);
}
