//! fsck: checks every checksum and every structural invariant of an image
//! without trusting any of it, and lists each problem found (FORMAT.md,
//! "Invariants"). Walks the raw structures itself rather than through
//! `Fs`, so it also checks the library's own output.

mod files;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;

use crate::device::{Block, BlockDevice, BLOCK_SIZE};
use crate::error::{Corruption, Error, InodeFault, NodeFault, NodeKind, Result};
use crate::fs::read_superblock;
use crate::inode::Inode;
use crate::layout::*;
use crate::node::{payload, verify_node, Expect};
use crate::superblock::{Superblock, INCOMPAT_SUPPORTED};
use crate::tree::capacity;

/// What fsck found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every problem, most fundamental first. Empty: the image is sound.
    pub problems: Vec<Corruption>,
    /// The generation checked (the newest valid superblock's).
    pub generation: u64,
    pub stats: Stats,
    /// Every metadata block reached, with its kind.
    pub nodes: Vec<(u64, NodeKind)>,
}

/// Figures about a sound image.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stats {
    pub inodes: u64,
    pub regular: u64,
    pub directories: u64,
    pub symlinks: u64,
    pub special: u64,
    pub total_blocks: u64,
    pub free_blocks: u64,
    pub metadata_blocks: u64,
    pub data_blocks: u64,
    /// Bytes of file contents (logical) and bytes stored for them.
    pub logical_bytes: u64,
    pub stored_bytes: u64,
    /// Chunks stored raw, lz4, zstd; and files held inline in their inode.
    pub chunks: [u64; 3],
    pub inline_files: u64,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Who uses a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Reserved,
    Node,
    Data,
}

pub(crate) struct Checker<'a, D: BlockDevice> {
    dev: &'a mut D,
    sb: Superblock,
    used: BTreeMap<u64, Use>,
    problems: Vec<Corruption>,
    stats: Stats,
    nodes: Vec<(u64, NodeKind)>,
}

/// Checks the filesystem on `dev`. Fails only when the device cannot be
/// read or the image needs features this implementation lacks; damage is
/// in the report.
pub fn check<D: BlockDevice>(dev: &mut D) -> Result<Report> {
    let (sb, slot_faults) = match read_superblock(dev) {
        Ok(x) => x,
        Err(Error::Corrupt(c)) => return Ok(Report { problems: vec![c], ..Report::default() }),
        Err(e) => return Err(e),
    };
    if sb.incompat & !INCOMPAT_SUPPORTED != 0 {
        return Err(Error::Unsupported { incompat: sb.incompat & !INCOMPAT_SUPPORTED });
    }
    let mut c =
        Checker { dev, sb, used: BTreeMap::new(), problems: Vec::new(), stats: Stats::default(), nodes: Vec::new() };
    for f in slot_faults {
        c.problems.push(Corruption::Superblock { slot: f.slot, fault: f.fault });
    }
    for b in 0..FIRST_DATA_BLOCK {
        c.used.insert(b, Use::Reserved);
    }
    let bitmap = c.walk_bitmap();
    let inodes = c.walk_inodes();
    c.check_files(&inodes);
    if let Some(words) = bitmap {
        c.check_bitmap(&words);
    }
    let mut stats = c.stats;
    stats.total_blocks = c.sb.total_blocks;
    stats.free_blocks = c.sb.free_blocks;
    stats.inodes = inodes.len() as u64;
    Ok(Report { problems: c.problems, generation: c.sb.generation, stats, nodes: c.nodes })
}

impl<D: BlockDevice> Checker<'_, D> {
    /// Marks `n` blocks from `start` used; false if any already was.
    fn claim(&mut self, start: u64, n: u64, how: Use) -> bool {
        let mut ok = true;
        for b in start..start + n {
            if self.used.insert(b, how).is_some() {
                ok = false;
            }
        }
        ok
    }

    /// Reads a node after checking the pointer to it; records any problem.
    fn node(&mut self, block: u64, e: Expect) -> Option<Box<Block>> {
        let fault = if block < FIRST_DATA_BLOCK || block >= self.sb.total_blocks {
            Some(NodeFault::OutOfRange)
        } else if !self.claim(block, 1, Use::Node) {
            Some(NodeFault::CrossLinked)
        } else {
            let mut b = Box::new([0u8; BLOCK_SIZE]);
            match self.dev.read_block(block, &mut b) {
                Err(d) => Some(NodeFault::Unreadable(d)),
                Ok(()) => match verify_node(&b, block, e, self.sb.generation) {
                    Ok(()) => {
                        self.stats.metadata_blocks += 1;
                        self.nodes.push((block, e.kind));
                        return Some(b);
                    }
                    Err(f) => Some(f),
                },
            }
        };
        if let Some(fault) = fault {
            self.problems.push(Corruption::Node { block, kind: e.kind, fault });
        }
        None
    }

    /// Walks a tree, calling `leaf(first record index's leaf number, payload)`.
    pub(crate) fn walk_tree(
        &mut self,
        root: u64,
        depth: u8,
        kind: NodeKind,
        owner: u64,
        leaf: &mut dyn FnMut(&mut Self, u64, &[u8]),
    ) {
        if root == 0 {
            return;
        }
        let mut stack = vec![(root, depth, 0u64)];
        while let Some((block, level, first)) = stack.pop() {
            let e = Expect { kind: if level == 0 { kind } else { NodeKind::Interior }, level, owner };
            let Some(b) = self.node(block, e) else { continue };
            if level == 0 {
                leaf(self, first, payload(&b));
                continue;
            }
            let span = capacity(level - 1);
            for slot in (0..FANOUT).rev() {
                let child = get_u64(payload(&b), slot as usize * 8);
                if child != 0 {
                    stack.push((child, level - 1, first + slot * span));
                }
            }
        }
    }

    fn walk_bitmap(&mut self) -> Option<Vec<u64>> {
        let leaves = self.sb.total_blocks.div_ceil(BLOCKS_PER_BITMAP_LEAF);
        let mut words = vec![0u64; (leaves * BITMAP_WORDS_PER_LEAF) as usize];
        let mut found = BTreeSet::new();
        let (root, depth) = (self.sb.bitmap_root, self.sb.bitmap_depth);
        self.walk_tree(root, depth, NodeKind::BitmapLeaf, OWNER_BITMAP, &mut |_, leaf, p| {
            if leaf < leaves {
                found.insert(leaf);
                let base = (leaf * BITMAP_WORDS_PER_LEAF) as usize;
                for (i, w) in p.chunks_exact(8).enumerate() {
                    words[base + i] = get_u64(w, 0);
                }
            }
        });
        if found.len() as u64 != leaves {
            self.problems.push(Corruption::Counter {
                name: "free-space bitmap leaf count",
                stored: found.len() as u64,
                counted: leaves,
            });
            return None;
        }
        Some(words)
    }

    fn walk_inodes(&mut self) -> BTreeMap<u64, Inode> {
        let mut inodes = BTreeMap::new();
        let (root, depth, next) = (self.sb.inode_root, self.sb.inode_depth, self.sb.next_inode);
        self.walk_tree(root, depth, NodeKind::InodeLeaf, OWNER_INODE_TABLE, &mut |c, leaf, p| {
            for (slot, rec) in p.chunks_exact(INODE_SIZE).enumerate() {
                let ino = leaf * INODES_PER_LEAF + slot as u64;
                if !Inode::record_in_use(rec) {
                    continue;
                }
                if ino == 0 || ino >= next {
                    c.problems.push(Corruption::Counter { name: "next inode", stored: next, counted: ino + 1 });
                    continue;
                }
                match Inode::decode(rec) {
                    Ok(i) => {
                        inodes.insert(ino, i);
                    }
                    Err(fault) => c.problems.push(Corruption::Inode { ino, fault }),
                }
            }
        });
        if inodes.len() as u64 != self.sb.inode_count {
            self.problems.push(Corruption::Counter {
                name: "inode count",
                stored: self.sb.inode_count,
                counted: inodes.len() as u64,
            });
        }
        if !inodes.contains_key(&ROOT_INO) {
            self.problems.push(Corruption::Inode { ino: ROOT_INO, fault: InodeFault::Missing });
        }
        inodes
    }

    fn check_bitmap(&mut self, words: &[u64]) {
        let mut free = 0;
        for b in 0..self.sb.total_blocks {
            let marked = words[(b / 64) as usize] >> (b % 64) & 1 != 0;
            let used = self.used.contains_key(&b);
            if !marked {
                free += 1;
            }
            if marked != used {
                self.problems.push(Corruption::Bitmap { block: b, marked_used: marked });
            }
        }
        if free != self.sb.free_blocks {
            self.problems.push(Corruption::Counter {
                name: "free block count",
                stored: self.sb.free_blocks,
                counted: free,
            });
        }
    }
}

use alloc::boxed::Box;
