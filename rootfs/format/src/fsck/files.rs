//! fsck's checks of inodes, their chunks and directories: every chunk's
//! checksum and decompressed length, link counts, parents, reachability.

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::vec;
use alloc::vec::Vec;

use super::{Checker, Use};
use crate::chunk::ChunkPtr;
use crate::compress::decompress_chunk;
use crate::crc32c::crc32c;
use crate::device::BlockDevice;
use crate::dir;
use crate::error::{ChunkFault, Corruption, DirFault, InodeFault, NodeKind};
use crate::inode::{FileType, Inode, Layout};
use crate::layout::*;

impl<D: BlockDevice> Checker<'_, D> {
    pub(super) fn check_files(&mut self, inodes: &BTreeMap<u64, Inode>) {
        let mut names: BTreeMap<u64, u32> = BTreeMap::new();
        let mut subdirs: BTreeMap<u64, u32> = BTreeMap::new();
        let mut named_from: BTreeMap<u64, u64> = BTreeMap::new();
        let mut children: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for (&ino, inode) in inodes {
            let contents = self.check_contents(ino, inode);
            match inode.file_type() {
                FileType::Regular => self.stats.regular += 1,
                FileType::Directory => self.stats.directories += 1,
                FileType::Symlink => self.stats.symlinks += 1,
                _ => self.stats.special += 1,
            }
            let Some(data) = contents.filter(|_| inode.is_dir()) else { continue };
            let entries = match dir::decode(&data) {
                Ok(e) => e,
                Err(fault) => {
                    self.problems.push(Corruption::Dir { ino, fault });
                    continue;
                }
            };
            let offsets = dir::offsets(&data);
            for (name, e) in &entries {
                let offset = offsets.get(name).copied().unwrap_or(0);
                let Some(target) = inodes.get(&e.ino) else {
                    self.problems.push(Corruption::Inode { ino: e.ino, fault: InodeFault::Missing });
                    continue;
                };
                if target.file_type().dirent_type() != e.dtype {
                    self.problems.push(Corruption::Dir { ino, fault: DirFault::TypeMismatch { offset } });
                }
                *names.entry(e.ino).or_default() += 1;
                children.entry(ino).or_default().push(e.ino);
                if target.is_dir() {
                    *subdirs.entry(ino).or_default() += 1;
                    if e.ino == ROOT_INO || named_from.insert(e.ino, ino).is_some() {
                        self.problems.push(Corruption::Inode { ino: e.ino, fault: InodeFault::DirectoryLinkedTwice });
                    }
                }
            }
        }
        let orphans = self.orphans(inodes);
        // Reachability from the root.
        let mut reached = BTreeSet::from([ROOT_INO]);
        let mut queue = VecDeque::from([ROOT_INO]);
        while let Some(d) = queue.pop_front() {
            for &c in children.get(&d).map(|v| v.as_slice()).unwrap_or(&[]) {
                if reached.insert(c) {
                    queue.push_back(c);
                }
            }
        }
        for (&ino, inode) in inodes {
            if !reached.contains(&ino) && !orphans.contains(&ino) {
                self.problems.push(Corruption::Inode { ino, fault: InodeFault::Unreachable });
                continue;
            }
            let counted = if inode.is_dir() {
                2 + subdirs.get(&ino).copied().unwrap_or(0)
            } else {
                names.get(&ino).copied().unwrap_or(0)
            };
            if inode.nlink != counted && !orphans.contains(&ino) {
                self.problems.push(Corruption::Inode {
                    ino,
                    fault: InodeFault::WrongLinkCount { stored: inode.nlink, counted },
                });
            }
            if inode.is_dir() {
                let actual = if ino == ROOT_INO { ROOT_INO } else { named_from.get(&ino).copied().unwrap_or(0) };
                if inode.parent != actual && actual != 0 {
                    self.problems
                        .push(Corruption::Dir { ino, fault: DirFault::WrongParent { stored: inode.parent, actual } });
                }
            }
        }
    }

    /// The orphan list: inodes with no names, kept until closed.
    fn orphans(&mut self, inodes: &BTreeMap<u64, Inode>) -> BTreeSet<u64> {
        let mut out = BTreeSet::new();
        let mut cur = self.sb.orphan_head;
        while cur != 0 {
            let Some(inode) = inodes.get(&cur) else {
                self.problems.push(Corruption::Inode { ino: cur, fault: InodeFault::Missing });
                break;
            };
            if inode.nlink != 0 || !out.insert(cur) {
                self.problems.push(Corruption::Inode { ino: cur, fault: InodeFault::BadField("orphan list link") });
                break;
            }
            cur = inode.next_orphan;
        }
        out
    }

    /// Checks every chunk of an inode; returns the contents of directories
    /// and symlinks (None if damaged).
    fn check_contents(&mut self, ino: u64, inode: &Inode) -> Option<Vec<u8>> {
        let c = self.sb.chunk_size as u64;
        let keep = inode.is_dir() && inode.size <= MAX_DIR_BYTES;
        let nodes_before = self.stats.metadata_blocks;
        let mut ptrs: Vec<(u64, [u8; CHUNK_PTR_SIZE])> = Vec::new();
        match &inode.layout {
            Layout::Empty => {}
            Layout::Inline(d) => {
                self.stats.inline_files += 1;
                self.stats.logical_bytes += d.len() as u64;
                if inode.is_dir() {
                    self.problems.push(Corruption::Inode { ino, fault: InodeFault::BadLayout { layout: 1 } });
                    return None;
                }
                return Some(d.clone());
            }
            Layout::Chunks(p) => {
                for (i, ptr) in p.iter().enumerate() {
                    let mut rec = [0u8; CHUNK_PTR_SIZE];
                    ptr.encode(&mut rec);
                    ptrs.push((i as u64, rec));
                }
            }
            Layout::Tree { root, depth } => {
                self.walk_tree(*root, *depth, NodeKind::ChunkLeaf, ino, &mut |_, leaf, p| {
                    for (slot, rec) in p.chunks_exact(CHUNK_PTR_SIZE).enumerate() {
                        let mut r = [0u8; CHUNK_PTR_SIZE];
                        r.copy_from_slice(rec);
                        ptrs.push((leaf * CHUNKS_PER_LEAF + slot as u64, r));
                    }
                });
            }
        }
        let mut owned = self.stats.metadata_blocks - nodes_before;
        let mut contents = if keep { Some(vec![0u8; inode.size as usize]) } else { None };
        let mut damaged = false;
        for (index, rec) in ptrs {
            if rec.iter().all(|&b| b == 0) {
                continue;
            }
            let fail = |fault| Corruption::Chunk { ino, index, fault };
            let ptr = match ChunkPtr::decode(&rec)
                .and_then(|p| p.check(self.sb.chunk_size, self.sb.total_blocks).map(|_| p))
            {
                Ok(p) => p,
                Err(fault) => {
                    self.problems.push(fail(fault));
                    damaged = true;
                    continue;
                }
            };
            owned += ptr.block_count();
            if !self.claim(ptr.block, ptr.block_count(), Use::Data) {
                self.problems.push(fail(ChunkFault::CrossLinked));
                damaged = true;
                continue;
            }
            self.stats.data_blocks += ptr.block_count();
            self.stats.chunks[ptr.algorithm.code() as usize] += 1;
            self.stats.stored_bytes += ptr.stored_len as u64;
            self.stats.logical_bytes += ptr.logical_len as u64;
            if index.saturating_mul(c).saturating_add(ptr.logical_len as u64) > inode.size {
                self.problems.push(fail(ChunkFault::PastEndOfFile));
                damaged = true;
                continue;
            }
            match self.read_chunk(&ptr) {
                Ok(data) => {
                    if let Some(out) = contents.as_mut() {
                        let at = (index * c) as usize;
                        out[at..at + data.len()].copy_from_slice(&data);
                    }
                }
                Err(fault) => {
                    self.problems.push(fail(fault));
                    damaged = true;
                }
            }
        }
        if owned != inode.blocks {
            self.problems.push(Corruption::Inode {
                ino,
                fault: InodeFault::WrongBlockCount { stored: inode.blocks, counted: owned },
            });
        }
        if inode.is_dir() && !inode.size.is_multiple_of(crate::device::BLOCK_SIZE as u64) {
            self.problems.push(Corruption::Dir { ino, fault: DirFault::BadSize { size: inode.size } });
            return None;
        }
        if damaged {
            None
        } else {
            contents
        }
    }

    fn read_chunk(&mut self, ptr: &ChunkPtr) -> Result<Vec<u8>, ChunkFault> {
        let n = ptr.block_count() as usize;
        let mut raw = vec![0u8; n * crate::device::BLOCK_SIZE];
        self.dev.read_blocks(ptr.block, &mut raw).map_err(ChunkFault::Unreadable)?;
        let stored = &raw[..ptr.stored_len as usize];
        let computed = crc32c(stored);
        if computed != ptr.crc {
            return Err(ChunkFault::BadChecksum { stored: ptr.crc, computed });
        }
        let mut out = vec![0u8; ptr.logical_len as usize];
        decompress_chunk(ptr.algorithm, stored, &mut out)?;
        Ok(out)
    }
}
