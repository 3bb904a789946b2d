//! Virtual memory areas: page-aligned, non-overlapping ranges of a user
//! address space with one protection and kind each.

use abi::{MapFlags, ProtFlags};

use machine::mm::PteFlags;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmaKind {
    /// Anonymous memory from mmap.
    Anonymous,
    /// The program break area.
    Heap,
    /// The initial thread's stack.
    Stack,
    /// A loaded ELF segment: the file's pages (private) where `file` is
    /// set, its zero-filled end (the bss) where not.
    Image,
    /// The vDSO and its data page: never locked by mlock, as Linux's
    /// special mappings.
    Special,
}

/// mlock(2)'s state of an area (Linux's VM_LOCKED and VM_LOCKONFAULT).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mlock {
    #[default]
    Unlocked,
    /// Every page is faulted in when the area is locked.
    Locked,
    /// Pages are locked as they are faulted in (MLOCK_ONFAULT).
    OnFault,
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
    /// The mapped file (an id in the address space's table), if any.
    pub file: Option<u32>,
    /// The file page that `start` maps.
    pub pgoff: u64,
    pub locked: Mlock,
}

impl Vma {
    pub fn contains(&self, addr: u64) -> bool {
        (self.start..self.end).contains(&addr)
    }

    /// The part of this area from `at` on, its file offset moved along.
    pub fn tail_from(&self, at: u64) -> Vma {
        Vma { start: at, pgoff: self.pgoff + (at - self.start) / 4096, ..*self }
    }

    /// The file page that `addr` (inside the area) maps.
    pub fn file_page(&self, addr: u64) -> u64 {
        self.pgoff + (addr - self.start) / 4096
    }

    /// Page-table flags for pages of this area (without PRESENT).
    pub fn pte_flags(&self) -> PteFlags {
        let mut f = PteFlags::USER_ACCESSIBLE;
        if self.prot.contains(ProtFlags::PROT_WRITE) {
            f |= PteFlags::WRITABLE;
        }
        if !self.prot.contains(ProtFlags::PROT_EXEC) {
            f |= crate::arch::cpu_features().nx_flag();
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
            file: None,
            pgoff: 0,
            locked: Mlock::Unlocked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area() -> Vma {
        let prot = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
        Vma { file: Some(1), pgoff: 10, ..Vma::from_mmap(0x10000, 0x20000, prot, MapFlags::MAP_PRIVATE) }
    }

    #[test]
    fn the_tail_of_a_split_keeps_its_file_offset() {
        let tail = area().tail_from(0x14000);
        assert_eq!((tail.start, tail.end, tail.pgoff), (0x14000, 0x20000, 14));
        assert_eq!(area().file_page(0x14000), tail.file_page(0x14000));
    }

    #[test]
    fn page_flags_follow_protection() {
        let v = area();
        assert!(v.pte_flags().contains(PteFlags::WRITABLE | PteFlags::USER_ACCESSIBLE));
        let ro = Vma { prot: ProtFlags::PROT_READ | ProtFlags::PROT_EXEC, ..v };
        assert!(!ro.pte_flags().contains(PteFlags::WRITABLE));
        assert!(!ro.pte_flags().contains(PteFlags::NO_EXECUTE));
    }
}
