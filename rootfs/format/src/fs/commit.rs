//! The commit protocol (FORMAT.md, "Commit protocol"): everything changed
//! goes to blocks the last commit does not use, then a flush, then the
//! superblock copy in slot `generation % 2`, then a flush. A power cut
//! before the superblock write leaves the previous commit whole; one
//! during it leaves a copy whose checksum fails, so mount takes the other.

use alloc::vec::Vec;

use super::Fs;
use crate::device::BlockDevice;
use crate::dir;
use crate::error::{Error, Result};
use crate::inode::Layout;
use crate::layout::*;
use crate::space::Counting;

impl<D: BlockDevice> Fs<D> {
    /// Makes every change so far durable (sync(2), syncfs(2), fsync(2):
    /// the filesystem commits as a whole).
    pub fn sync(&mut self) -> Result<()> {
        self.commit()
    }

    /// Writes one commit: data, chunk maps, inode table, bitmap, superblock.
    pub fn commit(&mut self) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly);
        }
        let generation = self.sb.generation + 1;
        // Nodes this commit writes carry its generation; let reads accept them.
        self.io.newest = generation;

        // 1. Directory contents, then all pending file data.
        let dirs: Vec<u64> = core::mem::take(&mut self.dirty_dirs).into_iter().collect();
        for d in dirs {
            if let Some(entries) = self.dirs.get(&d) {
                let bytes = dir::encode(entries);
                self.set_contents(d, &bytes)?;
            }
        }
        self.flush_pending()?;

        // 2. Chunk maps that changed; their inodes learn the new roots.
        let maps: Vec<u64> = self.maps.iter().filter(|(_, t)| t.is_dirty()).map(|(&i, _)| i).collect();
        for ino in maps {
            let Some(mut tree) = self.maps.remove(&ino) else { continue };
            let mut space = Counting { inner: &mut self.alloc, delta: 0 };
            tree.commit(&mut self.io, &mut space, generation)?;
            let delta = space.delta;
            let inode = self.inode_mut(ino)?;
            inode.blocks = inode.blocks.saturating_add_signed(delta);
            inode.layout = Layout::Tree { root: tree.root, depth: tree.depth };
            self.maps.insert(ino, tree);
        }

        // 3. Inode records.
        for ino in core::mem::take(&mut self.deleted) {
            self.itable.set(&mut self.io, ino, &[0u8; INODE_SIZE])?;
        }
        for ino in core::mem::take(&mut self.dirty) {
            if let Some(inode) = self.inodes.get(&ino) {
                let mut rec = [0u8; INODE_SIZE];
                inode.encode(&mut rec);
                self.itable.set(&mut self.io, ino, &rec)?;
            }
        }
        self.itable.commit(&mut self.io, &mut self.alloc, generation)?;

        // 4. The bitmap, whose own new blocks change it: repeat until settled.
        loop {
            let mut fresh = false;
            for leaf in self.alloc.take_dirty() {
                fresh |= !self.bitmap.has_dirty(leaf);
                self.bitmap.put_leaf(leaf, Vec::new());
            }
            let added = self.bitmap.plan(&mut self.io, &mut self.alloc)?;
            if !fresh && !added {
                break;
            }
        }
        for leaf in self.bitmap.dirty_leaves() {
            let words = self.alloc.leaf_words(leaf);
            let mut payload = Vec::with_capacity(NODE_PAYLOAD);
            for w in words {
                payload.extend_from_slice(&w.to_le_bytes());
            }
            self.bitmap.put_leaf(leaf, payload);
        }
        self.bitmap.write(&mut self.io, generation)?;

        // 5. Flush, superblock, flush.
        self.sb.generation = generation;
        self.sb.inode_root = self.itable.root;
        self.sb.inode_depth = self.itable.depth;
        self.sb.bitmap_root = self.bitmap.root;
        self.sb.bitmap_depth = self.bitmap.depth;
        self.sb.free_blocks = self.alloc.free;
        self.sb.committed = self.now();
        self.io.dev.flush()?;
        let slot = (generation % 2) as u32;
        self.io.dev.write_block(superblock_block(slot), &self.sb.encode(slot))?;
        self.io.dev.flush()?;
        self.alloc.committed();
        self.io.newest = generation;
        Ok(())
    }
}
