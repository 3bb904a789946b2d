//! One page of file data, held in a frame of its own rather than on the
//! kernel heap: file contents can then grow to all of free RAM (the heap is
//! an eighth of it), and a later page cache or MAP_SHARED mapping can hand
//! the very same frame to user space.

use machine::mm::Frame;

pub const PAGE_SIZE: usize = machine::mm::PAGE_SIZE;

pub struct Page {
    frame: Frame,
}

impl Page {
    /// A zero-filled page; None when RAM is exhausted.
    pub fn new() -> Option<Page> {
        Frame::alloc_zeroed().map(|frame| Page { frame })
    }

    /// A page holding `bytes` (at most a page), zeros after them; None
    /// when RAM is exhausted. Written once, not zeroed first.
    pub fn holding(bytes: &[u8]) -> Option<Page> {
        let frame = Frame::alloc()?;
        frame.write(0, bytes);
        if bytes.len() < PAGE_SIZE {
            frame.zero(bytes.len(), PAGE_SIZE - bytes.len());
        }
        Some(Page { frame })
    }

    /// The frame holding the page: a new reference for a memory mapping,
    /// which maps it directly.
    pub fn frame(&self) -> Frame {
        self.frame.clone()
    }

    /// Whether someone besides the file holds the frame (a memory
    /// mapping): such a page cannot be dropped from the cache.
    pub fn is_shared(&self) -> bool {
        self.frame.ref_count() > 1
    }

    pub fn read(&self, offset: usize, out: &mut [u8]) {
        self.frame.read(offset, out);
    }

    pub fn write(&mut self, offset: usize, data: &[u8]) {
        self.frame.write(offset, data);
    }

    pub fn zero(&mut self, offset: usize, len: usize) {
        self.frame.zero(offset, len);
    }
}
