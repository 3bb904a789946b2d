//! A regular file's copy on a disk filesystem (kestrel/), behind its pages
//! in memory (filedata.rs), which are the page cache: a chunk of the file
//! is read in the first time one of its pages is needed, and pages changed
//! since the last writeback are remembered until the filesystem writes
//! them back (kestrel/writeback.rs).
//!
//! Invariant: a page present in memory holds the file's current bytes;
//! a page absent from memory reads from the disk if its chunk has not
//! been read in yet and it lies below `stored`, else as zeros.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;

use super::page::PAGE_SIZE;

const PAGE: u64 = PAGE_SIZE as u64;

/// What a file's pages need from the filesystem that stores them.
pub trait Store: Send + Sync {
    /// Bytes per chunk: the unit read in at once (a power of two, at least a page).
    fn chunk_size(&self) -> u64;
    /// The stored bytes of chunk `chunk` of file `ino`: at most a chunk,
    /// fewer where the rest reads as zeros.
    fn read_chunk(&self, ino: u64, chunk: u64) -> Result<Vec<u8>, Errno>;
    /// File `ino` has something to write back; `mapped`: pages of it are
    /// in memory mappings, whose writes no system call sees.
    fn dirtied(&self, ino: u64, mapped: bool);
    /// Counts `pages` more changed pages against the room on the disk
    /// (ENOSPC, counting nothing, when there is none).
    fn reserve(&self, pages: u64) -> Result<(), Errno>;
}

/// What a file's writeback asks of the filesystem, in order.
pub enum WriteOp<'a> {
    /// Set the stored size (shrinking drops what lies past it).
    SetSize(u64),
    /// Store these bytes at this offset.
    Write(u64, &'a [u8]),
}

pub struct Backing {
    pub store: Arc<dyn Store>,
    pub ino: u64,
    /// Bytes below this may be on the disk and not yet in memory.
    pub stored: u64,
    /// Chunks read in (their pages in memory are the whole truth).
    pub loaded: BTreeSet<u64>,
    /// Pages changed since the last writeback (an absent one is zeros).
    pub dirty: BTreeSet<u64>,
    /// The smallest size the file had since the last writeback, if it shrank.
    pub shrunk_to: Option<u64>,
    /// The size changed since the last writeback.
    pub resized: bool,
    /// Pages handed to memory mappings, with a checksum of what the disk
    /// was last given: writeback compares, since mapped writes are unseen.
    pub mapped: BTreeMap<u64, u32>,
    /// 4 KiB blocks the file takes on the disk, as of the last writeback.
    pub disk_blocks: u64,
}

impl Backing {
    pub fn new(store: Arc<dyn Store>, ino: u64, stored: u64, disk_blocks: u64) -> Backing {
        Backing {
            store,
            ino,
            stored,
            loaded: BTreeSet::new(),
            dirty: BTreeSet::new(),
            shrunk_to: None,
            resized: false,
            mapped: BTreeMap::new(),
            disk_blocks,
        }
    }

    /// The chunk holding page `index` if it must be read in first.
    pub fn needs_load(&self, index: u64) -> Option<u64> {
        let chunk = index * PAGE / self.store.chunk_size();
        (index * PAGE < self.stored && !self.loaded.contains(&chunk)).then_some(chunk)
    }

    /// The byte range chunk `chunk` supplies from the disk.
    pub fn chunk_range(&self, chunk: u64) -> (u64, u64) {
        let size = self.store.chunk_size();
        let start = chunk * size;
        (start, self.stored.min(start + size))
    }

    /// Pages `first..end` were changed by a write.
    pub fn mark_dirty(&mut self, first: u64, end: u64) {
        let was_clean = self.dirty.is_empty();
        self.dirty.extend(first..end);
        if was_clean && first < end {
            self.store.dirtied(self.ino, false);
        }
    }

    /// How many of pages `first..end` are not already waiting for writeback.
    pub fn newly_dirty(&self, first: u64, end: u64) -> u64 {
        (first..end).filter(|p| !self.dirty.contains(p)).count() as u64
    }

    /// The file's size became `size` (from `old`).
    pub fn resize(&mut self, old: u64, size: u64) {
        if size < old {
            self.stored = self.stored.min(size);
            self.shrunk_to = Some(self.shrunk_to.map_or(size, |s| s.min(size)));
            let keep = size.div_ceil(PAGE);
            self.dirty.retain(|&p| p < keep);
            self.mapped.retain(|&p, _| p < keep);
        }
        self.resized = true;
        self.store.dirtied(self.ino, false);
    }

    /// Page `index` is now in a memory mapping, holding bytes whose checksum is `crc`.
    pub fn map(&mut self, index: u64, crc: u32) {
        if self.mapped.is_empty() {
            self.store.dirtied(self.ino, true);
        }
        self.mapped.entry(index).or_insert(crc);
    }

    /// Something waits for writeback.
    pub fn is_dirty(&self) -> bool {
        !self.dirty.is_empty() || self.resized || self.shrunk_to.is_some()
    }
}
