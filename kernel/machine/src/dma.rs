//! Memory that devices read and write: physically contiguous, zeroed
//! frames owned by a driver and freed when it drops them. The CPU reaches
//! the bytes through copies and volatile accesses only, since the device
//! changes them behind the compiler's back.
//!
//! Without an IOMMU a device can reach any address it is given; drivers
//! hand devices only `device_addr()` of buffers they keep while the device
//! may use them (a virtqueue's buffers live as long as the queue).

use bytemuck::Pod;

use crate::mm::frame;
use crate::mm::phys::{self, PAGE_SIZE};

pub struct DmaBuffer {
    paddr: u64,
    len: usize,
}

impl DmaBuffer {
    /// A zeroed buffer of `len` bytes (rounded up to whole pages).
    pub fn alloc(len: usize) -> Option<DmaBuffer> {
        let len = len.max(1).next_multiple_of(PAGE_SIZE);
        let paddr = frame::alloc_contiguous(len / PAGE_SIZE)?;
        let buf = DmaBuffer { paddr, len };
        // SAFETY: frames just allocated for this buffer alone.
        unsafe { phys::zero(paddr, len) };
        Some(buf)
    }

    /// The address the device uses (physical: there is no IOMMU).
    pub fn device_addr(&self) -> u64 {
        self.paddr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn at(&self, offset: usize, len: usize) -> u64 {
        assert!(offset.checked_add(len).is_some_and(|end| end <= self.len), "DMA access out of range");
        self.paddr + offset as u64
    }

    pub fn read(&self, offset: usize, out: &mut [u8]) {
        let at = self.at(offset, out.len());
        // SAFETY: inside this buffer's frames, which it owns.
        unsafe { phys::copy_from(at, out) }
    }

    pub fn write(&self, offset: usize, data: &[u8]) {
        let at = self.at(offset, data.len());
        // SAFETY: as read.
        unsafe { phys::copy_to(at, data) }
    }

    pub fn read_val<T: Pod>(&self, offset: usize) -> T {
        let at = self.at(offset, core::mem::size_of::<T>());
        // SAFETY: as read; T is plain data.
        unsafe { phys::read(at) }
    }

    pub fn write_val<T: Pod>(&self, offset: usize, value: T) {
        let at = self.at(offset, core::mem::size_of::<T>());
        // SAFETY: as read.
        unsafe { phys::write(at, value) }
    }

    /// Reads a u16 the device may change at any time (a ring index).
    pub fn read_volatile_u16(&self, offset: usize) -> u16 {
        assert!(offset.is_multiple_of(2));
        let at = self.at(offset, 2);
        // SAFETY: as read; aligned (the buffer is page-aligned).
        unsafe { phys::read_volatile_u16(at) }
    }

    /// Writes a u16 the device reads, not reordered by the compiler.
    pub fn write_volatile_u16(&self, offset: usize, value: u16) {
        assert!(offset.is_multiple_of(2));
        let at = self.at(offset, 2);
        // SAFETY: as read_volatile_u16.
        unsafe { phys::write_volatile_u16(at, value) }
    }
}

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        frame::free_contiguous(self.paddr, self.len / PAGE_SIZE);
    }
}
