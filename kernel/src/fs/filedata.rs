//! The bytes of a regular file: a size and a sparse map of pages. A page
//! that was never written (a hole, or the tail after a truncate that grew
//! the file) reads as zeroes and takes no memory, as on tmpfs. Every page
//! is charged to the file's filesystem (tmpfs's `size=` limit).

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use abi::Errno;

use super::page::{Page, PAGE_SIZE};
use super::super_block::SuperBlock;

/// Linux's MAX_LFS_FILESIZE on 64-bit: the largest loff_t.
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

const PAGE: u64 = PAGE_SIZE as u64;

pub struct FileData {
    size: u64,
    pages: BTreeMap<u64, Page>,
    sb: Arc<SuperBlock>,
}

impl Drop for FileData {
    fn drop(&mut self) {
        self.sb.release_blocks(self.pages.len() as u64);
    }
}

impl FileData {
    pub fn new(sb: Arc<SuperBlock>) -> FileData {
        FileData { size: 0, pages: BTreeMap::new(), sb }
    }

    /// A zeroed page for a hole, charged to the filesystem; None when the
    /// filesystem is full or RAM is out.
    fn new_page(&self) -> Option<Page> {
        self.sb.charge_blocks(1).ok()?;
        let page = Page::new();
        if page.is_none() {
            self.sb.release_blocks(1);
        }
        page
    }

    fn remove_page(&mut self, index: u64) {
        if self.pages.remove(&index).is_some() {
            self.sb.release_blocks(1);
        }
    }

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
        if let Some(page) = self.pages.get(&index) {
            return Ok(page.paddr());
        }
        let page = self.new_page().ok_or(Errno::ENOSPC)?;
        let paddr = page.paddr();
        self.pages.insert(index, page);
        Ok(paddr)
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

    /// Writes `data` at `pos`, growing the file. When the filesystem or
    /// RAM fills up part way the bytes written so far count; none at all
    /// is ENOSPC, as tmpfs says.
    pub fn write(&mut self, pos: u64, data: &[u8]) -> Result<usize, Errno> {
        let mut done = 0;
        while done < data.len() {
            let at = pos + done as u64;
            let offset = (at % PAGE) as usize;
            let len = (PAGE_SIZE - offset).min(data.len() - done);
            if !self.pages.contains_key(&(at / PAGE)) {
                let Some(page) = self.new_page() else { break };
                self.pages.insert(at / PAGE, page);
            }
            if let Some(page) = self.pages.get_mut(&(at / PAGE)) {
                page.write(offset, &data[done..done + len]);
            }
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
            let gone = self.pages.split_off(&keep);
            self.sb.release_blocks(gone.len() as u64);
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
            if !self.pages.contains_key(&index) {
                let page = self.new_page().ok_or(Errno::ENOSPC)?;
                self.pages.insert(index, page);
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
                self.remove_page(index);
            } else if let Some(page) = self.pages.get_mut(&index) {
                page.zero(offset, len);
            }
            at += len as u64;
        }
    }
}
