//! Free-space tracking: one bit per block (1 = in use), kept whole in
//! memory and stored as the bitmap tree (FORMAT.md, "Free space").
//!
//! Two copies of the bitmap: `committed`, what the last commit's
//! superblock describes, and `current`, what the next commit will write.
//! A block may be handed out only when it is free in both, so a commit
//! never overwrites a block the previous commit still uses: that is what
//! makes every commit atomic (FORMAT.md, "Commit protocol").

use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

use crate::error::{Error, Result};
use crate::layout::*;
use crate::tree::Space;

pub struct Allocator {
    total: u64,
    committed: Vec<u64>,
    current: Vec<u64>,
    /// Bitmap leaves changed since the last commit.
    changed: BTreeSet<u64>,
    /// Leaves changed since the bitmap tree last looked (see `take_dirty`).
    dirty: BTreeSet<u64>,
    cursor: u64,
    /// Blocks free in `current`.
    pub free: u64,
    /// Blocks free in both copies: what can be allocated before the next commit.
    pub allocatable: u64,
}

fn bit(words: &[u64], b: u64) -> bool {
    words[(b / 64) as usize] >> (b % 64) & 1 != 0
}

impl Allocator {
    /// Words of the bitmap for `total` blocks, padded to whole leaves.
    pub fn words_for(total: u64) -> usize {
        (total.div_ceil(BLOCKS_PER_BITMAP_LEAF) * BITMAP_WORDS_PER_LEAF) as usize
    }

    /// A fresh bitmap: only the reserved blocks in use.
    pub fn new(total: u64) -> Allocator {
        let mut words = vec![0u64; Self::words_for(total)];
        for b in 0..FIRST_DATA_BLOCK {
            words[(b / 64) as usize] |= 1 << (b % 64);
        }
        let mut a = Self::from_words(total, words);
        a.changed = (0..total.div_ceil(BLOCKS_PER_BITMAP_LEAF)).collect();
        a.dirty = a.changed.clone();
        a
    }

    /// The bitmap as loaded from disk.
    pub fn from_words(total: u64, words: Vec<u64>) -> Allocator {
        let used: u64 = (0..total).filter(|&b| bit(&words, b)).count() as u64;
        Allocator {
            total,
            committed: words.clone(),
            current: words,
            changed: BTreeSet::new(),
            dirty: BTreeSet::new(),
            cursor: FIRST_DATA_BLOCK,
            free: total - used,
            allocatable: total - used,
        }
    }

    /// The words of bitmap leaf `leaf` as the next commit will store them.
    pub fn leaf_words(&self, leaf: u64) -> &[u64] {
        let start = (leaf * BITMAP_WORDS_PER_LEAF) as usize;
        &self.current[start..start + BITMAP_WORDS_PER_LEAF as usize]
    }

    /// Leaves changed since the last call.
    pub fn take_dirty(&mut self) -> BTreeSet<u64> {
        core::mem::take(&mut self.dirty)
    }

    /// The commit is durable: its bitmap becomes the committed one.
    pub fn committed(&mut self) {
        for &leaf in &self.changed {
            let start = (leaf * BITMAP_WORDS_PER_LEAF) as usize;
            let end = start + BITMAP_WORDS_PER_LEAF as usize;
            self.committed[start..end].copy_from_slice(&self.current[start..end]);
        }
        self.changed.clear();
        self.allocatable = self.free;
    }

    fn set(&mut self, b: u64, used: bool) {
        let (w, m) = ((b / 64) as usize, 1u64 << (b % 64));
        if used {
            self.current[w] |= m;
        } else {
            self.current[w] &= !m;
        }
        let leaf = b / BLOCKS_PER_BITMAP_LEAF;
        self.changed.insert(leaf);
        self.dirty.insert(leaf);
    }

    fn usable(&self, b: u64) -> bool {
        !bit(&self.current, b) && !bit(&self.committed, b)
    }

    /// Finds `n` contiguous usable blocks at or after `from` (below `end`).
    fn search(&self, from: u64, end: u64, n: u64) -> Option<u64> {
        let mut b = from;
        let mut run = 0;
        while b < end {
            let w = (b / 64) as usize;
            if b.is_multiple_of(64) && (self.current[w] | self.committed[w]) == !0 {
                run = 0;
                b += 64;
                continue;
            }
            if self.usable(b) {
                run += 1;
                if run == n {
                    return Some(b + 1 - n);
                }
            } else {
                run = 0;
            }
            b += 1;
        }
        None
    }
}

impl Space for Allocator {
    fn alloc(&mut self, n: u64) -> Result<u64> {
        if n == 0 || n > self.allocatable {
            return Err(Error::NoSpace);
        }
        let start = self
            .search(self.cursor, self.total, n)
            .or_else(|| self.search(FIRST_DATA_BLOCK, self.cursor.saturating_add(n).min(self.total), n))
            .ok_or(Error::NoSpace)?;
        for b in start..start + n {
            self.set(b, true);
        }
        self.free -= n;
        self.allocatable -= n;
        self.cursor = start + n;
        Ok(start)
    }

    fn free(&mut self, start: u64, n: u64) {
        for b in start..start.saturating_add(n).min(self.total) {
            if bit(&self.current, b) && b >= FIRST_DATA_BLOCK {
                self.set(b, false);
                self.free += 1;
                // Freed in this transaction: still used by the committed
                // tree unless it was also allocated in this transaction.
                if !bit(&self.committed, b) {
                    self.allocatable += 1;
                }
            }
        }
    }
}

/// A [`Space`] that counts blocks handed out and returned, for an inode's block count.
pub struct Counting<'a> {
    pub inner: &'a mut Allocator,
    pub delta: i64,
}

impl Space for Counting<'_> {
    fn alloc(&mut self, n: u64) -> Result<u64> {
        let b = self.inner.alloc(n)?;
        self.delta += n as i64;
        Ok(b)
    }
    fn free(&mut self, start: u64, n: u64) {
        self.inner.free(start, n);
        self.delta -= n as i64;
    }
}
