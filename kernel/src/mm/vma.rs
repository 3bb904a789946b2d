//! Virtual memory areas: page-aligned, non-overlapping ranges of a user
//! address space with one protection and kind each.

use abi::{MapFlags, ProtFlags};

use super::paging::{PTE_NO_EXECUTE, PTE_USER, PTE_WRITABLE};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmaKind {
    /// Anonymous memory from mmap.
    Anonymous,
    /// The program break area.
    Heap,
    /// The initial thread's stack.
    Stack,
    /// A loaded ELF segment (its file bytes were copied at exec).
    Image,
}

#[derive(Clone, Copy, Debug)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: ProtFlags,
    pub shared: bool,
    pub kind: VmaKind,
    /// Grows down on a fault just below it (stacks, MAP_GROWSDOWN).
    pub grows_down: bool,
}

impl Vma {
    pub fn contains(&self, addr: u64) -> bool {
        (self.start..self.end).contains(&addr)
    }

    /// Page-table flags for pages of this area (without PRESENT).
    pub fn pte_flags(&self) -> u64 {
        let mut f = PTE_USER;
        if self.prot.contains(ProtFlags::PROT_WRITE) {
            f |= PTE_WRITABLE;
        }
        if !self.prot.contains(ProtFlags::PROT_EXEC) {
            f |= PTE_NO_EXECUTE & crate::arch::cpu_features().nx_mask();
        }
        f
    }

    pub fn from_mmap(start: u64, end: u64, prot: ProtFlags, flags: MapFlags) -> Vma {
        Vma {
            start,
            end,
            prot,
            shared: flags.contains(MapFlags::MAP_SHARED),
            kind: VmaKind::Anonymous,
            grows_down: flags.contains(MapFlags::MAP_GROWSDOWN),
        }
    }
}
