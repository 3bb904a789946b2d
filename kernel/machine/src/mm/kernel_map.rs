//! The kernel half of every address space (PML4 entries 256..511): the
//! direct map of all RAM, the kernel image, and the kernel-stack area. Built
//! once at boot; user address spaces copy these PML4 entries, and the
//! entries themselves never change afterwards (only the tables below them).

use core::sync::atomic::{AtomicU64, Ordering};

use x86_64::registers::control::{Cr3, Cr3Flags, Cr4Flags};
use x86_64::structures::paging::PhysFrame;
use x86_64::PhysAddr;

use super::frame::Frame;
use super::paging::{entry, set_entry, table_index, PTE_ADDR_MASK};
use super::phys;
use crate::arch::boot::KERNEL_VMA;
use crate::arch::cpu;
use crate::boot::BootInfo;

/// Kernel stacks live here, each with an unmapped guard page below it.
pub const KSTACK_AREA: u64 = 0xffff_c900_0000_0000;
pub const KSTACK_AREA_SIZE: u64 = 1 << 39; // one PML4 slot

const GIB: u64 = 1 << 30;
const TWO_MIB: u64 = 2 << 20;

const PRESENT: u64 = 1 << 0;
const WRITABLE: u64 = 1 << 1;
const PWT: u64 = 1 << 3;
const PCD: u64 = 1 << 4;
const HUGE: u64 = 1 << 7;
const GLOBAL: u64 = 1 << 8;
pub(crate) const NO_EXECUTE: u64 = 1 << 63;

static KERNEL_PML4: AtomicU64 = AtomicU64::new(0);
/// Where the direct map ends (0 until `init` built it).
static DIRECT_MAP_END: AtomicU64 = AtomicU64::new(0);

/// The end of the physical range the direct map covers.
pub fn direct_map_end() -> u64 {
    DIRECT_MAP_END.load(Ordering::Relaxed)
}

pub(crate) fn kernel_pml4() -> u64 {
    KERNEL_PML4.load(Ordering::Relaxed)
}

fn new_table() -> u64 {
    Frame::alloc_zeroed().expect("out of memory building kernel page tables").into_raw()
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
            f |= PCD | PWT;
        }
        // SAFETY: `pd` is a table of the kernel tables being built, not yet
        // in use; the entry maps RAM or device memory into the kernel half.
        unsafe { set_entry(pd, table_index(va, 2), pa | f | PRESENT | HUGE) };
        pa += TWO_MIB;
    }
}

fn table_for(table: u64, index: usize) -> u64 {
    // SAFETY: `table` is one of the kernel tables built here.
    let e = unsafe { entry(table, index) };
    if e & PRESENT != 0 {
        return e & PTE_ADDR_MASK;
    }
    let t = new_table();
    // SAFETY: an empty slot of a kernel table gets a zeroed table.
    unsafe { set_entry(table, index, t | PRESENT | WRITABLE) };
    t
}

/// Builds the kernel tables and switches to them.
pub(crate) fn init(info: &BootInfo) {
    let nx = if cpu::cpuid(0x8000_0001, 0).edx & (1 << 20) != 0 { NO_EXECUTE } else { 0 };
    let pml4 = new_table();
    let direct_end = info.ram_end().max(4 * GIB).next_multiple_of(GIB);
    map_huge(pml4, phys::DIRECT_MAP_BASE, 0, direct_end, WRITABLE | GLOBAL | nx);
    DIRECT_MAP_END.store(direct_end, Ordering::Relaxed);
    // The image: physical 0..1 GiB at KERNEL_VMA (code, so executable).
    map_huge(pml4, KERNEL_VMA, 0, GIB, WRITABLE | GLOBAL);
    table_for(pml4, table_index(KSTACK_AREA, 4));
    // Every kernel-half slot a user address space copies must exist now.
    KERNEL_PML4.store(pml4, Ordering::Relaxed);
    // SAFETY: PGE only makes global entries survive CR3 loads; the new
    // tables map the direct map, the image and the stack area exactly as
    // the boot tables did (plus RAM above 4 GiB), so the running code,
    // its stack and its data stay mapped.
    unsafe {
        cpu::write_cr4(cpu::read_cr4() | Cr4Flags::PAGE_GLOBAL);
        write_cr3(pml4);
    }
}

/// Makes global entries survive CR3 loads on this CPU (another CPU than
/// the boot one, which does it in `init`).
pub(crate) fn enable_global_pages() {
    // SAFETY: PGE only keeps global (kernel-half) entries across CR3 loads.
    unsafe { cpu::write_cr4(cpu::read_cr4() | Cr4Flags::PAGE_GLOBAL) };
}

/// # Safety
///
/// `root` must be the kernel's tables or a user table made by
/// `new_user_root`, alive while loaded.
unsafe fn write_cr3(root: u64) {
    let frame = PhysFrame::containing_address(PhysAddr::new(root));
    // SAFETY: the caller's contract: the kernel half is the same in every
    // such table, so the running code stays mapped.
    unsafe { Cr3::write(frame, Cr3Flags::empty()) }
}

fn current_root() -> u64 {
    Cr3::read().0.start_address().as_u64()
}

/// A fresh PML4 for a user address space: empty user half, shared kernel
/// half. Its frame reference is given up to the `PageTable` that owns it.
pub(crate) fn new_user_root() -> Option<u64> {
    let pml4 = Frame::alloc_zeroed()?.into_raw();
    let kernel = kernel_pml4();
    for i in 256..512 {
        // SAFETY: copies the kernel's top-level entries into the new,
        // unused root; those entries never change after boot.
        unsafe { set_entry(pml4, i, entry(kernel, i)) };
    }
    Some(pml4)
}

/// Loads a user table's root (a `PageTable`, which outlives its use: it
/// leaves the CPU before it is freed).
pub(crate) fn load_root(root: u64) {
    if current_root() != root {
        // SAFETY: `root` comes from a live PageTable, whose drop switches
        // the CPU away first (`leave_root`).
        unsafe { write_cr3(root) };
    }
}

/// True when the CPU runs on `root`.
pub(crate) fn is_loaded(root: u64) -> bool {
    current_root() == root
}
