//! One page of file data, held in a frame of its own rather than on the
//! kernel heap: file contents can then grow to all of free RAM (the heap is
//! an eighth of it), and a later page cache or MAP_SHARED mapping can hand
//! the very same frame to user space.

use crate::mm::{frame, phys};

pub const PAGE_SIZE: usize = phys::PAGE_SIZE;

pub struct Page {
    paddr: u64,
}

impl Page {
    /// A zero-filled page; None when RAM is exhausted.
    pub fn new() -> Option<Page> {
        frame::alloc_zeroed().map(|paddr| Page { paddr })
    }

    /// The frame holding the page (memory mappings map it directly).
    pub fn paddr(&self) -> u64 {
        self.paddr
    }

    pub fn read(&self, offset: usize, out: &mut [u8]) {
        assert!(offset + out.len() <= PAGE_SIZE);
        phys::copy_from(self.paddr + offset as u64, out);
    }

    pub fn write(&mut self, offset: usize, data: &[u8]) {
        assert!(offset + data.len() <= PAGE_SIZE);
        phys::copy_to(self.paddr + offset as u64, data);
    }

    pub fn zero(&mut self, offset: usize, len: usize) {
        assert!(offset + len <= PAGE_SIZE);
        phys::zero(self.paddr + offset as u64, len);
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        frame::free(self.paddr);
    }
}
