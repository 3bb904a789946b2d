//! The kernel half of every address space (PML4 entries 256..511): the
//! direct map of all RAM, the kernel image, and the kernel-stack area. Built
//! once at boot; user address spaces copy these PML4 entries, and the
//! entries themselves never change afterwards (only the tables below them).

use core::sync::atomic::{AtomicU64, Ordering};

use super::paging::*;
use super::{frame, phys};
use crate::arch::boot::KERNEL_VMA;
use crate::arch::cpu;
use crate::boot::BootInfo;

/// Kernel stacks live here, each with an unmapped guard page below it.
pub const KSTACK_AREA: u64 = 0xffff_c900_0000_0000;
pub const KSTACK_AREA_SIZE: u64 = 1 << 39; // one PML4 slot

const GIB: u64 = 1 << 30;
const TWO_MIB: u64 = 2 << 20;

static KERNEL_PML4: AtomicU64 = AtomicU64::new(0);

pub fn kernel_pml4() -> u64 {
    KERNEL_PML4.load(Ordering::Relaxed)
}

fn new_table() -> u64 {
    frame::alloc_zeroed().expect("out of memory building kernel page tables")
}

/// Maps [start, end) of physical memory at virt_base + start with 2 MiB pages.
fn map_huge(pml4: u64, virt_base: u64, start: u64, end: u64, flags: u64) {
    let mut pa = start;
    while pa < end {
        let va = virt_base + pa;
        let pdpt = table_for(pml4, table_index(va, 4));
        let pd = table_for(pdpt, table_index(va, 3));
        let mut f = flags;
        // The 3..4 GiB hole holds device registers (LAPIC, IOAPIC, PCI BARs).
        if (3 * GIB..4 * GIB).contains(&pa) {
            f |= PTE_PCD | PTE_PWT;
        }
        set_entry(pd, table_index(va, 2), pa | f | PTE_PRESENT | PTE_HUGE);
        pa += TWO_MIB;
    }
}

fn table_for(table: u64, index: usize) -> u64 {
    let e = entry(table, index);
    if e & PTE_PRESENT != 0 {
        return e & PTE_ADDR_MASK;
    }
    let t = new_table();
    set_entry(table, index, t | PTE_PRESENT | PTE_WRITABLE);
    t
}

/// Builds the kernel tables and switches to them.
pub fn init(info: &BootInfo) {
    let nx = if cpu::cpuid(0x8000_0001, 0).edx & (1 << 20) != 0 { PTE_NO_EXECUTE } else { 0 };
    let pml4 = new_table();
    let direct_end = info.ram_end().max(4 * GIB).next_multiple_of(GIB);
    map_huge(pml4, phys::DIRECT_MAP_BASE, 0, direct_end, PTE_WRITABLE | PTE_GLOBAL | nx);
    // The image: physical 0..1 GiB at KERNEL_VMA (code, so executable).
    map_huge(pml4, KERNEL_VMA, 0, GIB, PTE_WRITABLE | PTE_GLOBAL);
    table_for(pml4, table_index(KSTACK_AREA, 4));
    // Every kernel-half slot a user address space copies must exist now.
    KERNEL_PML4.store(pml4, Ordering::Relaxed);
    cpu::write_cr4(cpu::read_cr4() | cpu::CR4_PGE);
    cpu::write_cr3(pml4);
}

/// A fresh PML4 for a user address space: empty user half, shared kernel half.
pub fn new_user_pml4() -> Option<u64> {
    let pml4 = frame::alloc_zeroed()?;
    let kernel = kernel_pml4();
    for i in 256..512 {
        set_entry(pml4, i, entry(kernel, i));
    }
    Some(pml4)
}
