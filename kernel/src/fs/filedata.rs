//! The bytes of a regular file: a size and a sparse map of pages. A page
//! that was never written (a hole, or the tail after a truncate that grew
//! the file) reads as zeroes and takes no memory, as on tmpfs.

use alloc::collections::BTreeMap;

use abi::Errno;

use super::page::{Page, PAGE_SIZE};

/// Linux's MAX_LFS_FILESIZE on 64-bit: the largest loff_t.
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

const PAGE: u64 = PAGE_SIZE as u64;

#[derive(Default)]
pub struct FileData {
    size: u64,
    pages: BTreeMap<u64, Page>,
}

impl FileData {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Allocated size in 512-byte units, as st_blocks counts it.
    pub fn blocks(&self) -> u64 {
        self.pages.len() as u64 * (PAGE / 512)
    }

    /// The frame of page `index`, allocating a zeroed page for a hole
    /// (a memory mapping shares it with read and write).
    pub fn page_frame(&mut self, index: u64) -> Result<u64, Errno> {
        match self.pages.entry(index) {
            alloc::collections::btree_map::Entry::Occupied(e) => Ok(e.get().paddr()),
            alloc::collections::btree_map::Entry::Vacant(e) => Ok(e.insert(Page::new().ok_or(Errno::ENOMEM)?).paddr()),
        }
    }

    /// Copies bytes at `pos` into `buf`; returns how many (0 at or past the end).
    pub fn read(&self, pos: u64, buf: &mut [u8]) -> usize {
        if pos >= self.size {
            return 0;
        }
        let n = buf.len().min((self.size - pos) as usize);
        let mut done = 0;
        while done < n {
            let at = pos + done as u64;
            let offset = (at % PAGE) as usize;
            let len = (PAGE_SIZE - offset).min(n - done);
            let out = &mut buf[done..done + len];
            match self.pages.get(&(at / PAGE)) {
                Some(page) => page.read(offset, out),
                None => out.fill(0),
            }
            done += len;
        }
        n
    }

    /// Writes `data` at `pos`, growing the file. When RAM runs out part way
    /// the bytes written so far count; none at all is ENOSPC, as tmpfs says.
    pub fn write(&mut self, pos: u64, data: &[u8]) -> Result<usize, Errno> {
        let mut done = 0;
        while done < data.len() {
            let at = pos + done as u64;
            let offset = (at % PAGE) as usize;
            let len = (PAGE_SIZE - offset).min(data.len() - done);
            let page = match self.pages.entry(at / PAGE) {
                alloc::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                alloc::collections::btree_map::Entry::Vacant(e) => match Page::new() {
                    Some(p) => e.insert(p),
                    None => break,
                },
            };
            page.write(offset, &data[done..done + len]);
            done += len;
        }
        if done == 0 && !data.is_empty() {
            return Err(Errno::ENOSPC);
        }
        self.size = self.size.max(pos + done as u64);
        Ok(done)
    }

    /// Sets the size. Shrinking frees the pages past the end and zeroes the
    /// rest of the last page, so that growing again reads zeroes there.
    pub fn truncate(&mut self, size: u64) {
        if size < self.size {
            let keep = size.div_ceil(PAGE);
            drop(self.pages.split_off(&keep));
            let tail = (size % PAGE) as usize;
            if tail != 0 {
                if let Some(page) = self.pages.get_mut(&(size / PAGE)) {
                    page.zero(tail, PAGE_SIZE - tail);
                }
            }
        }
        self.size = size;
    }

    /// Gives every page of `pos..end` memory (fallocate); ENOSPC when RAM
    /// runs out, keeping what was allocated, as tmpfs does.
    pub fn allocate(&mut self, pos: u64, end: u64) -> Result<(), Errno> {
        for index in pos / PAGE..end.div_ceil(PAGE) {
            if let alloc::collections::btree_map::Entry::Vacant(e) = self.pages.entry(index) {
                e.insert(Page::new().ok_or(Errno::ENOSPC)?);
            }
        }
        Ok(())
    }

    /// Turns `pos..end` into a hole: whole pages are freed, partial ones
    /// zeroed (FALLOC_FL_PUNCH_HOLE). The size stays.
    pub fn punch_hole(&mut self, pos: u64, end: u64) {
        let end = end.min(self.size.max(pos));
        let mut at = pos;
        while at < end {
            let index = at / PAGE;
            let offset = (at % PAGE) as usize;
            let len = (PAGE - at % PAGE).min(end - at) as usize;
            if len == PAGE_SIZE {
                self.pages.remove(&index);
            } else if let Some(page) = self.pages.get_mut(&index) {
                page.zero(offset, len);
            }
            at += len as u64;
        }
    }
}
