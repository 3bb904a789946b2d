//! The checks mount makes before it trusts an image: the bitmap is
//! loaded whole, and (unless skipped) every metadata block is read and its
//! checksum and header checked, every inode record decoded and every chunk
//! pointer checked against the geometry. Data checksums are checked when
//! data is read, and all of them by fsck.

use alloc::collections::BTreeSet;
use alloc::vec;
use alloc::vec::Vec;

use super::Fs;
use crate::chunk::ChunkPtr;
use crate::device::BlockDevice;
use crate::error::{Corruption, Error, NodeFault, NodeKind, Result};
use crate::inode::{Inode, Layout};
use crate::layout::*;
use crate::node::Io;
use crate::space::Allocator;
use crate::superblock::Superblock;
use crate::tree::Tree;

/// Refuses a block reached twice (a loop or cross-link in a damaged image).
fn once(seen: &mut BTreeSet<u64>, block: u64, kind: NodeKind) -> Result<()> {
    if seen.insert(block) {
        Ok(())
    } else {
        Err(Corruption::Node { block, kind, fault: NodeFault::CrossLinked }.into())
    }
}

/// Reads the whole free-space bitmap.
pub(super) fn load_bitmap<D: BlockDevice>(io: &mut Io<D>, sb: &Superblock) -> Result<Vec<u64>> {
    let tree = Tree::new(sb.bitmap_root, sb.bitmap_depth, NodeKind::BitmapLeaf, OWNER_BITMAP, 8);
    let leaves = sb.total_blocks.div_ceil(BLOCKS_PER_BITMAP_LEAF);
    let mut words = vec![0u64; Allocator::words_for(sb.total_blocks)];
    let mut seen = BTreeSet::new();
    let mut found = 0u64;
    tree.visit(io, tree.root, tree.depth, 0, &mut |b, _| once(&mut seen, b, NodeKind::BitmapLeaf), &mut |leaf, p| {
        if leaf < leaves {
            let base = (leaf * BITMAP_WORDS_PER_LEAF) as usize;
            for (i, w) in p.chunks_exact(8).enumerate() {
                words[base + i] = get_u64(w, 0);
            }
            found += 1;
        }
        Ok(())
    })?;
    if found != leaves {
        return Err(Corruption::Counter { name: "free-space bitmap leaf count", stored: found, counted: leaves }.into());
    }
    // Bits past the end of the filesystem mean nothing; keep them clear.
    for b in sb.total_blocks..(words.len() as u64 * 64) {
        words[(b / 64) as usize] &= !(1 << (b % 64));
    }
    for b in 0..FIRST_DATA_BLOCK {
        if words[0] >> b & 1 == 0 {
            return Err(Corruption::Bitmap { block: b, marked_used: false }.into());
        }
    }
    Ok(words)
}

/// Checks one chunk pointer against the geometry.
fn check_ptr(rec: &[u8], ino: u64, index: u64, chunk_size: u32, total: u64) -> Result<()> {
    let fail = |fault| Error::Corrupt(Corruption::Chunk { ino, index, fault });
    let ptr = ChunkPtr::decode(rec).map_err(fail)?;
    ptr.check(chunk_size, total).map_err(fail)
}

impl<D: BlockDevice> Fs<D> {
    /// Reads and checks every metadata block reachable from the superblock.
    pub(super) fn verify_metadata(&mut self) -> Result<()> {
        let mut seen = BTreeSet::new();
        let mut inodes: Vec<(u64, Inode)> = Vec::new();
        let next = self.sb.next_inode;
        let mut bad: Option<Error> = None;
        self.itable.visit(
            &mut self.io,
            self.itable.root,
            self.itable.depth,
            0,
            &mut |b, _| once(&mut seen, b, NodeKind::InodeLeaf),
            &mut |leaf, p| {
                for (slot, rec) in p.chunks_exact(INODE_SIZE).enumerate() {
                    let ino = leaf * INODES_PER_LEAF + slot as u64;
                    if !Inode::record_in_use(rec) {
                        continue;
                    }
                    if ino == 0 || ino >= next {
                        bad.get_or_insert(
                            Corruption::Counter { name: "next inode", stored: next, counted: ino + 1 }.into(),
                        );
                        continue;
                    }
                    match Inode::decode(rec) {
                        Ok(i) => inodes.push((ino, i)),
                        Err(fault) => {
                            bad.get_or_insert(Corruption::Inode { ino, fault }.into());
                        }
                    }
                }
                Ok(())
            },
        )?;
        if let Some(e) = bad {
            return Err(e);
        }
        if inodes.len() as u64 != self.sb.inode_count {
            let counted = inodes.len() as u64;
            return Err(Corruption::Counter { name: "inode count", stored: self.sb.inode_count, counted }.into());
        }
        let (chunk_size, total) = (self.sb.chunk_size, self.sb.total_blocks);
        for (ino, inode) in &inodes {
            match &inode.layout {
                Layout::Chunks(ptrs) => {
                    for (i, p) in ptrs.iter().enumerate() {
                        let mut rec = [0u8; CHUNK_PTR_SIZE];
                        p.encode(&mut rec);
                        check_ptr(&rec, *ino, i as u64, chunk_size, total)?;
                    }
                }
                Layout::Tree { root, depth } => {
                    let tree = Tree::new(*root, *depth, NodeKind::ChunkLeaf, *ino, CHUNK_PTR_SIZE);
                    let mut result = Ok(());
                    tree.visit(
                        &mut self.io,
                        *root,
                        *depth,
                        0,
                        &mut |b, _| once(&mut seen, b, NodeKind::ChunkLeaf),
                        &mut |leaf, p| {
                            for (slot, rec) in p.chunks_exact(CHUNK_PTR_SIZE).enumerate() {
                                let index = leaf * CHUNKS_PER_LEAF + slot as u64;
                                if result.is_ok() {
                                    result = check_ptr(rec, *ino, index, chunk_size, total);
                                }
                            }
                            Ok(())
                        },
                    )?;
                    result?;
                }
                Layout::Empty | Layout::Inline(_) => {}
            }
        }
        Ok(())
    }
}
