//! The bytes of a regular file: a size and a sparse map of pages. A page
//! that was never written (a hole, or the tail after a truncate that grew
//! the file) reads as zeroes and takes no memory, as on tmpfs. Every page
//! is charged to the file's filesystem (tmpfs's `size=` limit).
//!
//! A file of a disk filesystem has a `Backing` (backing.rs): its pages are
//! then the page cache, read in a chunk at a time when first needed, and
//! the pages it changes are kept for writeback.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;

use abi::Errno;
use machine::mm::Frame;

use super::backing::{Backing, WriteOp};
use super::memfd::Seals;
use super::page::{Page, PAGE_SIZE};
use super::super_block::SuperBlock;
use super::tmpfs::TMPFS;

/// Linux's MAX_LFS_FILESIZE on 64-bit: the largest loff_t.
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

const PAGE: u64 = PAGE_SIZE as u64;

pub struct FileData {
    size: u64,
    pages: BTreeMap<u64, Page>,
    sb: Arc<SuperBlock>,
    /// The file's copy on a disk, if its filesystem has one.
    backing: Option<Box<Backing>>,
    /// A tmpfs file's seals (memfd.rs); other files have none.
    seals: Option<Seals>,
}

/// Whether `bytes` are all zero, eight at a time.
fn is_zero(bytes: &[u8]) -> bool {
    let words = bytes.chunks_exact(8);
    let tail = words.remainder();
    words.map(|w| u64::from_ne_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]])).all(|w| w == 0)
        && tail.iter().all(|&b| b == 0)
}

impl Drop for FileData {
    fn drop(&mut self) {
        self.sb.release_blocks(self.pages.len() as u64);
    }
}

impl FileData {
    pub fn new(sb: Arc<SuperBlock>) -> FileData {
        let seals = sb.is(&TMPFS).then(Seals::sealed);
        FileData { size: 0, pages: BTreeMap::new(), sb, backing: None, seals }
    }

    /// A file of `size` bytes stored on a disk, read in when needed.
    pub fn with_backing(sb: Arc<SuperBlock>, size: u64, backing: Backing) -> FileData {
        FileData { size, pages: BTreeMap::new(), sb, backing: Some(Box::new(backing)), seals: None }
    }

    pub fn seals(&self) -> Option<&Seals> {
        self.seals.as_ref()
    }

    pub fn seals_mut(&mut self) -> Option<&mut Seals> {
        self.seals.as_mut()
    }

    /// Reads in the chunk holding page `index` from the disk, unless it
    /// is in memory already; pages written since stay as they are.
    fn ensure(&mut self, index: u64) -> Result<(), Errno> {
        if let Some(b) = &self.backing {
            if let Some(chunk) = b.needs_load(index) {
                let per_chunk = (b.store.chunk_size() / PAGE).max(1);
                super::reclaim::make_room(self, chunk * per_chunk..(chunk + 1) * per_chunk);
            }
        }
        let (start, buf) = {
            let Some(b) = &mut self.backing else { return Ok(()) };
            let Some(chunk) = b.needs_load(index) else { return Ok(()) };
            let (start, end) = b.chunk_range(chunk);
            // Every page in memory already (written since): nothing to read.
            if (start / PAGE..end.div_ceil(PAGE)).all(|p| self.pages.contains_key(&p)) {
                b.loaded.insert(chunk);
                return Ok(());
            }
            let mut buf = b.store.read_chunk(b.ino, chunk)?;
            // Past `stored` the file was cut short since: zeros.
            buf.truncate((end - start) as usize);
            b.loaded.insert(chunk);
            (start, buf)
        };
        // Pages past the bytes read, and pages of zeros, stay holes.
        for (i, part) in buf.chunks(PAGE_SIZE).enumerate() {
            let index = start / PAGE + i as u64;
            if self.pages.contains_key(&index) || is_zero(part) {
                continue;
            }
            let page = self.charged(|| Page::holding(part)).ok_or(Errno::ENOMEM)?;
            self.pages.insert(index, page);
        }
        Ok(())
    }

    /// Reads in every chunk of `pos..end` not in memory.
    fn ensure_range(&mut self, pos: u64, end: u64) -> Result<(), Errno> {
        if self.backing.is_some() {
            for index in pos / PAGE..end.div_ceil(PAGE) {
                self.ensure(index)?;
            }
        }
        Ok(())
    }

    /// A zeroed page for a hole, charged to the filesystem; None when the
    /// filesystem is full or RAM is out.
    fn new_page(&self) -> Option<Page> {
        self.charged(Page::new)
    }

    /// The page `make` makes, charged to the filesystem; None when the
    /// filesystem is full or RAM is out.
    fn charged(&self, make: impl FnOnce() -> Option<Page>) -> Option<Page> {
        self.sb.charge_blocks(1).ok()?;
        let page = make();
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

    /// Allocated size in 512-byte units, as st_blocks counts it: the
    /// pages in memory, or a disk file's blocks if more.
    pub fn blocks(&self) -> u64 {
        let on_disk = self.backing.as_ref().map_or(0, |b| b.disk_blocks);
        self.pages.len().max(on_disk as usize) as u64 * (PAGE / 512)
    }

    /// Whether page `index` is in the page cache.
    pub fn is_cached(&self, index: u64) -> bool {
        self.pages.contains_key(&index)
    }

    /// The frame of page `index`, allocating a zeroed page for a hole
    /// (a memory mapping shares it with read and write).
    pub fn page_frame(&mut self, index: u64) -> Result<Frame, Errno> {
        self.ensure(index)?;
        if !self.pages.contains_key(&index) {
            let page = self.new_page().ok_or(Errno::ENOSPC)?;
            self.pages.insert(index, page);
        }
        let page = self.pages.get(&index).ok_or(Errno::EIO)?;
        if let Some(b) = &mut self.backing {
            let mut bytes = vec![0u8; PAGE_SIZE];
            page.read(0, &mut bytes);
            b.map(index, kestrelfs::crc32c::crc32c(&bytes));
        }
        Ok(page.frame())
    }

    /// Copies bytes at `pos` into `buf`; returns how many (0 at or past
    /// the end). EIO (or EUCLEAN) when a disk file cannot be read in.
    pub fn read(&mut self, pos: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if pos >= self.size {
            return Ok(0);
        }
        let n = buf.len().min((self.size - pos) as usize);
        self.ensure_range(pos, pos + n as u64)?;
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
        Ok(n)
    }

    /// Writes `data` at `pos`, growing the file. When the filesystem or
    /// RAM fills up part way the bytes written so far count; none at all
    /// is ENOSPC, as tmpfs says.
    pub fn write(&mut self, pos: u64, data: &[u8]) -> Result<usize, Errno> {
        let end = pos + data.len() as u64;
        if let Some(b) = &self.backing {
            // Room on the disk first (delayed allocation's reservation).
            b.store.reserve(b.newly_dirty(pos / PAGE, end.div_ceil(PAGE)))?;
        }
        if self.backing.is_some() && !data.is_empty() {
            // Pages written in part need their old bytes.
            self.ensure(pos / PAGE)?;
            self.ensure((end - 1) / PAGE)?;
        }
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
        let old = self.size;
        self.size = self.size.max(pos + done as u64);
        if let Some(b) = &mut self.backing {
            b.mark_dirty(pos / PAGE, (pos + done as u64).div_ceil(PAGE));
            if self.size != old {
                b.resize(old, self.size);
            }
        }
        Ok(done)
    }

    /// Sets the size. Shrinking frees the pages past the end and zeroes the
    /// rest of the last page, so that growing again reads zeroes there.
    pub fn truncate(&mut self, size: u64) {
        if let Some(b) = &mut self.backing {
            b.resize(self.size, size);
        }
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

    /// Gives every page of `pos..end` memory (fallocate). The pages are
    /// charged to the filesystem's limit before any is taken: ENOSPC with
    /// nothing allocated when they do not fit (tmpfs's way), so a huge
    /// range cannot eat the RAM that other programs need.
    pub fn allocate(&mut self, pos: u64, end: u64) -> Result<(), Errno> {
        let range = pos / PAGE..end.div_ceil(PAGE);
        let (max_blocks, _) = self.sb.limits();
        if max_blocks != 0 && range.end - range.start > max_blocks {
            return Err(Errno::ENOSPC);
        }
        self.ensure_range(pos, end.min(self.size))?;
        let present = self.pages.range(range.clone()).count() as u64;
        let mut missing = range.end - range.start - present;
        self.sb.charge_blocks(missing)?;
        for index in range {
            if self.pages.contains_key(&index) {
                continue;
            }
            let Some(page) = Page::new() else {
                self.sb.release_blocks(missing);
                return Err(Errno::ENOSPC);
            };
            self.pages.insert(index, page);
            missing -= 1;
        }
        Ok(())
    }

    /// SEEK_DATA (`hole` false) and SEEK_HOLE from `pos`: a RAM file's
    /// holes are the pages it does not have (never written, or punched);
    /// the end of the file counts as a hole. A disk file is all data here
    /// (its holes are not known until read). ENXIO at or past the end,
    /// and for SEEK_DATA when only holes follow.
    pub fn seek_data_or_hole(&self, pos: u64, hole: bool) -> Result<u64, Errno> {
        if pos >= self.size {
            return Err(Errno::ENXIO);
        }
        if self.backing.is_some() {
            return Ok(if hole { self.size } else { pos });
        }
        let first = pos / PAGE;
        let found = if hole {
            // The first page from `first` on that is not there.
            let mut expect = first;
            for (&index, _) in self.pages.range(first..) {
                if index != expect {
                    break;
                }
                expect += 1;
            }
            expect * PAGE
        } else {
            self.pages.range(first..).next().map(|(&index, _)| index * PAGE).ok_or(Errno::ENXIO)?
        };
        match found.max(pos) {
            at if at >= self.size && hole => Ok(self.size),
            at if at >= self.size => Err(Errno::ENXIO),
            at => Ok(at),
        }
    }

    /// Turns `pos..end` into a hole: whole pages are freed, partial ones
    /// zeroed (FALLOC_FL_PUNCH_HOLE). The size stays.
    pub fn punch_hole(&mut self, pos: u64, end: u64) -> Result<(), Errno> {
        let end = end.min(self.size.max(pos));
        self.ensure_range(pos, end)?;
        if let Some(b) = &mut self.backing {
            b.mark_dirty(pos / PAGE, end.div_ceil(PAGE));
        }
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
        Ok(())
    }

    /// Drops clean chunks of a disk file's page cache, lowest first, until
    /// `target` pages are freed; pages `keep` stay. A chunk goes only
    /// whole, when none of its pages waits for writeback or is mapped
    /// (a page a mapping let go of goes if its bytes are what the disk
    /// has): reading it again gives the same bytes. Returns the pages freed.
    pub fn shrink(&mut self, target: usize, keep: core::ops::Range<u64>) -> usize {
        let Some(b) = &mut self.backing else { return 0 };
        let per_chunk = (b.store.chunk_size() / PAGE).max(1);
        let chunks: Vec<u64> = b.loaded.iter().copied().collect();
        let mut freed = 0;
        for chunk in chunks {
            if freed >= target {
                break;
            }
            let pages = chunk * per_chunk..(chunk + 1) * per_chunk;
            if pages.start < keep.end && keep.start < pages.end || b.dirty.range(pages.clone()).next().is_some() {
                continue;
            }
            if self.pages.range(pages.clone()).any(|(_, p)| p.is_shared()) {
                continue;
            }
            let mapped: Vec<(u64, u32)> = b.mapped.range(pages.clone()).map(|(&i, &c)| (i, c)).collect();
            if !mapped.is_empty() {
                let mut bytes = vec![0u8; PAGE_SIZE];
                let mut unchanged = |index: u64, crc: u32| match self.pages.get(&index) {
                    Some(page) => {
                        page.read(0, &mut bytes);
                        kestrelfs::crc32c::crc32c(&bytes) == crc
                    }
                    None => false,
                };
                if !mapped.into_iter().all(|(i, c)| unchanged(i, c)) {
                    continue;
                }
            }
            b.mapped.retain(|i, _| !pages.contains(i));
            let dropped: Vec<u64> = self.pages.range(pages.clone()).map(|(&i, _)| i).collect();
            for index in &dropped {
                self.pages.remove(index);
            }
            self.sb.release_blocks(dropped.len() as u64);
            b.loaded.remove(&chunk);
            freed += dropped.len();
        }
        freed
    }

    /// Hands what changed since the last writeback to `sink`, in order:
    /// a shrink, the changed pages in runs of up to a chunk, the size.
    /// Only when all of it went through is the file clean again.
    pub fn write_back(&mut self, sink: &mut dyn FnMut(WriteOp) -> Result<(), Errno>) -> Result<(), Errno> {
        let Some(b) = &mut self.backing else { return Ok(()) };
        let mut pages: Vec<u64> = b.dirty.iter().copied().collect();
        let mut changed_maps = Vec::new();
        let mut bytes = vec![0u8; PAGE_SIZE];
        for (&index, &crc) in &b.mapped {
            match self.pages.get(&index) {
                Some(page) => page.read(0, &mut bytes),
                None => bytes.fill(0),
            }
            let now = kestrelfs::crc32c::crc32c(&bytes);
            if now != crc {
                changed_maps.push((index, now));
                pages.push(index);
            }
        }
        if !b.is_dirty() && changed_maps.is_empty() {
            return Ok(());
        }
        pages.sort_unstable();
        pages.dedup();
        if let Some(low) = b.shrunk_to {
            sink(WriteOp::SetSize(low))?;
        }
        let per_run = (b.store.chunk_size() / PAGE).max(1);
        let mut run: Vec<u8> = Vec::new();
        let mut i = 0;
        while i < pages.len() {
            // Consecutive pages within one chunk.
            let first = pages[i];
            let mut end = first + 1;
            while i + 1 < pages.len() && pages[i + 1] == end && !end.is_multiple_of(per_run) {
                end += 1;
                i += 1;
            }
            i += 1;
            let from = first * PAGE;
            let to = (end * PAGE).min(self.size);
            if from >= to {
                continue;
            }
            run.clear();
            run.resize((to - from) as usize, 0);
            for (k, part) in run.chunks_mut(PAGE_SIZE).enumerate() {
                if let Some(page) = self.pages.get(&(first + k as u64)) {
                    page.read(0, part);
                }
            }
            sink(WriteOp::Write(from, &run))?;
        }
        sink(WriteOp::SetSize(self.size))?;
        b.dirty.clear();
        b.shrunk_to = None;
        b.resized = false;
        b.stored = self.size;
        for (index, crc) in changed_maps {
            b.mapped.insert(index, crc);
        }
        Ok(())
    }

    /// The disk's block count for the file, after a writeback.
    pub fn set_disk_blocks(&mut self, blocks: u64) {
        if let Some(b) = &mut self.backing {
            b.disk_blocks = blocks;
        }
    }
}
