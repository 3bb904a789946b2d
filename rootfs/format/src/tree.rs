//! The one tree of this format: a copy-on-write radix tree of 4 KiB
//! nodes mapping a record index to a fixed-size record. The inode table,
//! the free-space bitmap and every large file's chunk map are such trees
//! (FORMAT.md, "Trees").
//!
//! Changes collect in memory as dirty leaves. A commit gives every dirty
//! leaf, and every interior node above one, a new block (never one the
//! last commit uses), writes them bottom-up, and frees the old blocks; the
//! old tree stays intact on disk until the superblock points to the new one.

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use crate::device::BlockDevice;
use crate::error::{NodeKind, Result};
use crate::layout::*;
use crate::node::{payload, Expect, Io};

/// Where new blocks come from and old ones go.
pub trait Space {
    /// `n` contiguous free blocks, marked used.
    fn alloc(&mut self, n: u64) -> Result<u64>;
    /// Returns `n` blocks from `start` (reusable after the next commit).
    fn free(&mut self, start: u64, n: u64);
}

/// A node's place: (level, index at that level); leaves are level 0.
type Place = (u8, u64);

/// Leaves a tree of `depth` interior levels can address.
pub fn capacity(depth: u8) -> u64 {
    let mut c: u64 = 1;
    for _ in 0..depth {
        c = c.saturating_mul(FANOUT);
    }
    c
}

pub struct Tree {
    /// Root block; 0 for an empty tree.
    pub root: u64,
    pub depth: u8,
    pub leaf_kind: NodeKind,
    pub owner: u64,
    pub rec_size: usize,
    dirty: BTreeMap<u64, Vec<u8>>,
    /// Blocks chosen for the nodes of the commit in progress.
    planned: BTreeMap<Place, u64>,
    target_depth: u8,
}

impl Tree {
    pub fn new(root: u64, depth: u8, leaf_kind: NodeKind, owner: u64, rec_size: usize) -> Tree {
        Tree {
            root,
            depth,
            leaf_kind,
            owner,
            rec_size,
            dirty: BTreeMap::new(),
            planned: BTreeMap::new(),
            target_depth: depth,
        }
    }

    /// Records per leaf.
    pub fn per_leaf(&self) -> u64 {
        (NODE_PAYLOAD / self.rec_size) as u64
    }

    pub fn is_dirty(&self) -> bool {
        !self.dirty.is_empty()
    }

    fn expect(&self, level: u8) -> Expect {
        let kind = if level == 0 { self.leaf_kind } else { NodeKind::Interior };
        Expect { kind, level, owner: self.owner }
    }

    /// The block of node (level, index) in the committed tree (0: absent).
    fn old_ptr<D: BlockDevice>(&self, io: &mut Io<D>, level: u8, index: u64) -> Result<u64> {
        if self.root == 0 || level > self.depth || index >= capacity(self.depth - level) {
            return Ok(0);
        }
        let mut ptr = self.root;
        let mut l = self.depth;
        while l > level && ptr != 0 {
            let span = capacity(l - 1 - level);
            let slot = ((index / span) % FANOUT) as usize;
            let node = io.read_node(ptr, self.expect(l))?;
            ptr = get_u64(payload(node), slot * 8);
            l -= 1;
        }
        Ok(ptr)
    }

    /// The payload of node (level, index) in the committed tree, zeros if
    /// absent; above the old root, the new root's first child is the old root.
    fn old_payload<D: BlockDevice>(&self, io: &mut Io<D>, level: u8, index: u64) -> Result<Vec<u8>> {
        if self.root != 0 && level == self.depth + 1 && index == 0 {
            let mut p = vec![0u8; NODE_PAYLOAD];
            put_u64(&mut p, 0, self.root);
            return Ok(p);
        }
        match self.old_ptr(io, level, index)? {
            0 => Ok(vec![0u8; NODE_PAYLOAD]),
            ptr => Ok(payload(io.read_node(ptr, self.expect(level))?).to_vec()),
        }
    }

    /// The payload of leaf `leaf` as it stands (dirty or committed).
    pub fn leaf<D: BlockDevice>(&self, io: &mut Io<D>, leaf: u64) -> Result<Vec<u8>> {
        match self.dirty.get(&leaf) {
            Some(p) => Ok(p.clone()),
            None => self.old_payload(io, 0, leaf),
        }
    }

    /// Reads record `index` into `out` (zeros where nothing was stored).
    pub fn get<D: BlockDevice>(&self, io: &mut Io<D>, index: u64, out: &mut [u8]) -> Result<()> {
        let (leaf, at) = (index / self.per_leaf(), (index % self.per_leaf()) as usize * self.rec_size);
        match self.dirty.get(&leaf) {
            Some(p) => out.copy_from_slice(&p[at..at + self.rec_size]),
            None => out.copy_from_slice(&self.old_payload(io, 0, leaf)?[at..at + self.rec_size]),
        }
        Ok(())
    }

    /// The dirty copy of leaf `leaf`, loaded first if needed.
    pub fn leaf_mut<D: BlockDevice>(&mut self, io: &mut Io<D>, leaf: u64) -> Result<&mut Vec<u8>> {
        if !self.dirty.contains_key(&leaf) {
            let p = self.old_payload(io, 0, leaf)?;
            self.dirty.insert(leaf, p);
        }
        Ok(self.dirty.entry(leaf).or_default())
    }

    /// Replaces leaf `leaf`'s payload wholesale (the bitmap fills its own).
    pub fn put_leaf(&mut self, leaf: u64, payload: Vec<u8>) {
        self.dirty.insert(leaf, payload);
    }

    /// Whether leaf `leaf` has changes in memory.
    pub fn has_dirty(&self, leaf: u64) -> bool {
        self.dirty.contains_key(&leaf)
    }

    /// The leaves with changes in memory.
    pub fn dirty_leaves(&self) -> Vec<u64> {
        self.dirty.keys().copied().collect()
    }

    /// Stores record `index`.
    pub fn set<D: BlockDevice>(&mut self, io: &mut Io<D>, index: u64, rec: &[u8]) -> Result<()> {
        let (leaf, at) = (index / self.per_leaf(), (index % self.per_leaf()) as usize * self.rec_size);
        let size = self.rec_size;
        self.leaf_mut(io, leaf)?[at..at + size].copy_from_slice(rec);
        Ok(())
    }

    /// Chooses new blocks for every dirty leaf and the interior nodes
    /// above it, freeing the old ones. Returns whether it chose any new
    /// (the bitmap calls this until its own changes settle).
    pub fn plan<D: BlockDevice>(&mut self, io: &mut Io<D>, space: &mut dyn Space) -> Result<bool> {
        let Some(&max_leaf) = self.dirty.keys().next_back() else { return Ok(false) };
        let mut depth = if self.root == 0 { 0 } else { self.depth };
        while capacity(depth) <= max_leaf {
            depth += 1;
        }
        self.target_depth = self.target_depth.max(depth);
        let leaves: Vec<u64> = self.dirty.keys().copied().collect();
        let mut added = false;
        for leaf in leaves {
            for level in 0..=self.target_depth {
                let place = (level, leaf / capacity(level));
                if self.planned.contains_key(&place) {
                    continue;
                }
                let old = self.old_ptr(io, place.0, place.1)?;
                let new = space.alloc(1)?;
                if old != 0 {
                    space.free(old, 1);
                }
                self.planned.insert(place, new);
                added = true;
            }
        }
        Ok(added)
    }

    /// Writes the planned nodes bottom-up with generation `generation` and
    /// makes the new root current.
    pub fn write<D: BlockDevice>(&mut self, io: &mut Io<D>, generation: u64) -> Result<()> {
        if self.planned.is_empty() {
            return Ok(());
        }
        let planned = core::mem::take(&mut self.planned);
        for (&(level, index), &block) in &planned {
            // BTreeMap order is by level first: children are written before parents.
            let mut p = if level == 0 {
                match self.dirty.get(&index) {
                    Some(p) => p.clone(),
                    None => self.old_payload(io, 0, index)?,
                }
            } else {
                self.old_payload(io, level, index)?
            };
            if level > 0 {
                let first = index * FANOUT;
                for (&(_, child), &cblock) in planned.range((level - 1, first)..(level - 1, first + FANOUT)) {
                    put_u64(&mut p, ((child - first) * 8) as usize, cblock);
                }
            }
            io.write_node(block, generation, self.expect(level), &p)?;
        }
        self.depth = self.target_depth;
        self.root = planned.get(&(self.depth, 0)).copied().unwrap_or(self.root);
        self.dirty.clear();
        Ok(())
    }

    /// Plans and writes in one step.
    pub fn commit<D: BlockDevice>(&mut self, io: &mut Io<D>, space: &mut dyn Space, generation: u64) -> Result<()> {
        self.plan(io, space)?;
        self.write(io, generation)
    }

    /// Calls `f(leaf index, payload)` for every committed leaf present, in order.
    pub fn for_each_leaf<D: BlockDevice>(
        &self,
        io: &mut Io<D>,
        f: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        if self.root != 0 {
            self.visit(io, self.root, self.depth, 0, &mut |_, _| Ok(()), f)?;
        }
        Ok(())
    }

    /// Calls `node(block, level)` for every committed node and `leaf` for every leaf.
    pub fn visit<D: BlockDevice>(
        &self,
        io: &mut Io<D>,
        block: u64,
        level: u8,
        first_leaf: u64,
        node: &mut dyn FnMut(u64, u8) -> Result<()>,
        leaf: &mut dyn FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        node(block, level)?;
        let p = payload(io.read_node(block, self.expect(level))?).to_vec();
        if level == 0 {
            return leaf(first_leaf, &p);
        }
        let span = capacity(level - 1);
        for slot in 0..FANOUT {
            let child = get_u64(&p, slot as usize * 8);
            if child != 0 {
                self.visit(io, child, level - 1, first_leaf + slot * span, node, leaf)?;
            }
        }
        Ok(())
    }

    /// Frees every committed node (the tree is being dropped) and empties it.
    pub fn free_all<D: BlockDevice>(&mut self, io: &mut Io<D>, space: &mut dyn Space) -> Result<()> {
        if self.root != 0 {
            let mut blocks = Vec::new();
            self.visit(
                io,
                self.root,
                self.depth,
                0,
                &mut |b, _| {
                    blocks.push(b);
                    Ok(())
                },
                &mut |_, _| Ok(()),
            )?;
            for b in blocks {
                space.free(b, 1);
            }
        }
        self.root = 0;
        self.depth = 0;
        self.target_depth = 0;
        self.dirty.clear();
        self.planned.clear();
        Ok(())
    }
}
