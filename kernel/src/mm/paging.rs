//! Four-level x86_64 page tables, edited through the direct map. Tables are
//! plain frames; this module knows the entry format and the walk.

use abi::Errno;

use super::{frame, phys};

pub const PTE_PRESENT: u64 = 1 << 0;
pub const PTE_WRITABLE: u64 = 1 << 1;
pub const PTE_USER: u64 = 1 << 2;
pub const PTE_PWT: u64 = 1 << 3;
pub const PTE_PCD: u64 = 1 << 4;
pub const PTE_HUGE: u64 = 1 << 7;
pub const PTE_GLOBAL: u64 = 1 << 8;
pub const PTE_NO_EXECUTE: u64 = 1 << 63;
/// Software bit of a not-present entry that still holds its frame: the
/// page of a PROT_NONE area (the hardware ignores every bit of a
/// not-present entry, so the frame address stays in place).
pub const PTE_PROTNONE: u64 = 1 << 9;
pub const PTE_ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// Index of `vaddr` in the table at `level` (4 = PML4 ... 1 = PT).
pub const fn table_index(vaddr: u64, level: u32) -> usize {
    ((vaddr >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

pub fn entry(table: u64, index: usize) -> u64 {
    phys::read::<u64>(table + index as u64 * 8)
}

pub fn set_entry(table: u64, index: usize, value: u64) {
    phys::write::<u64>(table + index as u64 * 8, value);
}

/// Returns the table the entry points to, creating it when missing.
/// Intermediate entries are permissive (writable, user for user addresses):
/// the leaf entry decides the access rights.
fn next_table_or_create(table: u64, index: usize, user: bool) -> Result<u64, Errno> {
    let e = entry(table, index);
    if e & PTE_PRESENT != 0 {
        debug_assert!(e & PTE_HUGE == 0, "walk into a huge page");
        return Ok(e & PTE_ADDR_MASK);
    }
    let new = frame::alloc_zeroed().ok_or(Errno::ENOMEM)?;
    let flags = PTE_PRESENT | PTE_WRITABLE | if user { PTE_USER } else { 0 };
    set_entry(table, index, new | flags);
    Ok(new)
}

/// Physical address of the level-1 entry for `vaddr`, creating tables.
pub fn leaf_entry_addr(pml4: u64, vaddr: u64, user: bool) -> Result<u64, Errno> {
    let mut table = pml4;
    for level in (2..=4).rev() {
        table = next_table_or_create(table, table_index(vaddr, level), user)?;
    }
    Ok(table + table_index(vaddr, 1) as u64 * 8)
}

/// Maps one 4 KiB page. Replaces any previous mapping (the caller frees the
/// old frame if it owned one).
pub fn map_page(pml4: u64, vaddr: u64, paddr: u64, flags: u64) -> Result<(), Errno> {
    let user = vaddr < 0x8000_0000_0000;
    let slot = leaf_entry_addr(pml4, vaddr, user)?;
    phys::write::<u64>(slot, paddr | flags | PTE_PRESENT);
    Ok(())
}

/// The level-1 table covering `vaddr`, if every table on the way exists.
fn leaf_table(pml4: u64, vaddr: u64) -> Option<u64> {
    let mut table = pml4;
    for level in (2..=4).rev() {
        let e = entry(table, table_index(vaddr, level));
        if e & PTE_PRESENT == 0 || e & PTE_HUGE != 0 {
            return None;
        }
        table = e & PTE_ADDR_MASK;
    }
    Some(table)
}

/// True when an entry holds a frame (present, or kept for PROT_NONE).
pub const fn holds_frame(e: u64) -> bool {
    e & (PTE_PRESENT | PTE_PROTNONE) != 0
}

/// The level-1 entry of `vaddr` if it is present.
pub fn lookup(pml4: u64, vaddr: u64) -> Option<u64> {
    let e = entry(leaf_table(pml4, vaddr)?, table_index(vaddr, 1));
    (e & PTE_PRESENT != 0).then_some(e)
}

/// The level-1 entry of `vaddr` if it holds a frame, present or not.
pub fn lookup_frame(pml4: u64, vaddr: u64) -> Option<u64> {
    let e = entry(leaf_table(pml4, vaddr)?, table_index(vaddr, 1));
    holds_frame(e).then_some(e)
}

/// Replaces the level-1 entry of `vaddr` (its tables must exist) and
/// flushes its TLB entry.
pub fn set_leaf(pml4: u64, vaddr: u64, value: u64) {
    if let Some(table) = leaf_table(pml4, vaddr) {
        set_entry(table, table_index(vaddr, 1), value);
        crate::arch::cpu::invlpg(vaddr);
    }
}

/// Removes the mapping of `vaddr`, returning the frame it mapped.
pub fn unmap_page(pml4: u64, vaddr: u64) -> Option<u64> {
    let table = leaf_table(pml4, vaddr)?;
    let index = table_index(vaddr, 1);
    let e = entry(table, index);
    if !holds_frame(e) {
        return None;
    }
    set_entry(table, index, 0);
    crate::arch::cpu::invlpg(vaddr);
    Some(e & PTE_ADDR_MASK)
}

/// Writes a level-1 entry verbatim, creating the tables on the way.
pub fn map_raw(pml4: u64, vaddr: u64, value: u64) -> Result<(), Errno> {
    let user = vaddr < 0x8000_0000_0000;
    let slot = leaf_entry_addr(pml4, vaddr, user)?;
    phys::write::<u64>(slot, value);
    Ok(())
}

/// Calls `f(vaddr, entry)` for every level-1 entry in [start, end) that
/// holds a frame, skipping absent tables whole.
pub fn for_each_leaf(pml4: u64, start: u64, end: u64, f: &mut impl FnMut(u64, u64)) {
    walk_range(pml4, 4, 0, start, end, f);
}

fn walk_range(table: u64, level: u32, base: u64, start: u64, end: u64, f: &mut impl FnMut(u64, u64)) {
    let span = 1u64 << (12 + 9 * (level - 1));
    for i in 0..512u64 {
        let lo = base + i * span;
        let hi = lo + span;
        if hi <= start || lo >= end {
            continue;
        }
        let e = entry(table, i as usize);
        if level == 1 {
            if holds_frame(e) {
                f(lo, e);
            }
        } else if e & PTE_PRESENT != 0 && e & PTE_HUGE == 0 {
            walk_range(e & PTE_ADDR_MASK, level - 1, lo, start, end, f);
        }
    }
}

/// Changes the flags of a present 4 KiB mapping, keeping its frame.
pub fn protect_page(pml4: u64, vaddr: u64, flags: u64) {
    let Some(table) = leaf_table(pml4, vaddr) else {
        return;
    };
    let index = table_index(vaddr, 1);
    let e = entry(table, index);
    if e & PTE_PRESENT != 0 {
        set_entry(table, index, (e & PTE_ADDR_MASK) | flags | PTE_PRESENT);
        crate::arch::cpu::invlpg(vaddr);
    }
}

/// Frees every page and page table of the user half (PML4 entries 0..256),
/// leaving the PML4 itself with an empty user half.
pub fn free_user_half(pml4: u64) {
    for i in 0..256 {
        let e = entry(pml4, i);
        if e & PTE_PRESENT != 0 {
            free_table(e & PTE_ADDR_MASK, 3);
            set_entry(pml4, i, 0);
        }
    }
}

fn free_table(table: u64, level: u32) {
    for i in 0..512 {
        let e = entry(table, i);
        if level == 1 {
            if holds_frame(e) {
                frame::free(e & PTE_ADDR_MASK);
            }
            continue;
        }
        if e & PTE_PRESENT != 0 {
            free_table(e & PTE_ADDR_MASK, level - 1);
        }
    }
    frame::free(table);
}
