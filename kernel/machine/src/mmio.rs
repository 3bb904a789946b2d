//! Memory-mapped device registers, reached through the direct map (whose
//! 3..4 GiB hole is mapped uncached).

use crate::mm::phys::phys_to_virt;

pub(crate) struct Mmio {
    virt: u64,
    len: u64,
}

impl Mmio {
    /// # Safety
    ///
    /// [paddr, paddr + len) must be device registers (not RAM) in the
    /// direct map's uncached hole, accessed by nobody but this owner.
    pub(crate) unsafe fn new(paddr: u64, len: u64) -> Mmio {
        Mmio { virt: phys_to_virt(paddr), len }
    }

    fn addr(&self, offset: u64) -> u64 {
        assert!(offset.is_multiple_of(4) && offset + 4 <= self.len, "MMIO offset {offset:#x} out of range");
        self.virt + offset
    }

    pub(crate) fn read32(&self, offset: u64) -> u32 {
        // SAFETY: an aligned register of the owned range (`new`'s
        // contract); a device read has no effect on memory.
        unsafe { core::ptr::read_volatile(self.addr(offset) as *const u32) }
    }

    pub(crate) fn write32(&self, offset: u64, value: u32) {
        // SAFETY: as read32; the write reaches the device, not RAM.
        unsafe { core::ptr::write_volatile(self.addr(offset) as *mut u32, value) }
    }
}
