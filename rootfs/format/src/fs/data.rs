//! File contents: chunks read (decompressed, checksum checked), written
//! (held in memory, then compressed into new blocks), truncated and freed.

use alloc::vec;
use alloc::vec::Vec;

use super::{incompat_for, Fs};
use crate::chunk::ChunkPtr;
use crate::compress::{compress_chunk, decompress_chunk, Algorithm};
use crate::crc32c::crc32c;
use crate::device::BlockDevice;
use crate::error::{ChunkFault, Corruption, Error, InodeFault, NodeKind, Result};
use crate::inode::{FileType, Layout};
use crate::layout::*;
use crate::space::Counting;
use crate::tree::{Space, Tree};

/// The largest file size (so every byte offset fits an i64, as off_t).
pub const MAX_FILE_SIZE: u64 = i64::MAX as u64;

fn copy_avail(src: &[u8], within: usize, dst: &mut [u8]) {
    // A chunk held short of `within` (a hole after its data) reads as zeros.
    let rest = src.get(within..).unwrap_or(&[]);
    let avail = rest.len().min(dst.len());
    dst[..avail].copy_from_slice(&rest[..avail]);
    dst[avail..].fill(0);
}

impl<D: BlockDevice> Fs<D> {
    /// The pointer to chunk `idx` of `ino` (a hole if none).
    pub(super) fn chunk_ptr(&mut self, ino: u64, idx: u64) -> Result<ChunkPtr> {
        let layout = self.inode(ino)?.layout;
        match layout {
            Layout::Chunks(ptrs) => Ok(ptrs.get(idx as usize).copied().unwrap_or(ChunkPtr::HOLE)),
            Layout::Tree { root, depth } => {
                let mut rec = [0u8; CHUNK_PTR_SIZE];
                let io = &mut self.io;
                let tree = self
                    .maps
                    .entry(ino)
                    .or_insert_with(|| Tree::new(root, depth, NodeKind::ChunkLeaf, ino, CHUNK_PTR_SIZE));
                tree.get(io, idx, &mut rec)?;
                ChunkPtr::decode(&rec).map_err(|fault| Corruption::Chunk { ino, index: idx, fault }.into())
            }
            Layout::Empty | Layout::Inline(_) => Ok(ChunkPtr::HOLE),
        }
    }

    fn set_chunk_ptr(&mut self, ino: u64, idx: u64, ptr: ChunkPtr) -> Result<()> {
        let mut rec = [0u8; CHUNK_PTR_SIZE];
        ptr.encode(&mut rec);
        let inode = self.inode_mut(ino)?;
        let ptrs = match &mut inode.layout {
            Layout::Tree { root, depth } => {
                let (root, depth) = (*root, *depth);
                let io = &mut self.io;
                let tree = self
                    .maps
                    .entry(ino)
                    .or_insert_with(|| Tree::new(root, depth, NodeKind::ChunkLeaf, ino, CHUNK_PTR_SIZE));
                return tree.set(io, idx, &rec);
            }
            Layout::Chunks(ptrs) if idx < INLINE_CHUNKS => {
                ptrs[idx as usize] = ptr;
                return Ok(());
            }
            Layout::Chunks(ptrs) => *ptrs,
            Layout::Empty | Layout::Inline(_) if idx < INLINE_CHUNKS => {
                let mut ptrs = [ChunkPtr::HOLE; INLINE_CHUNKS as usize];
                ptrs[idx as usize] = ptr;
                inode.layout = Layout::Chunks(ptrs);
                return Ok(());
            }
            Layout::Empty | Layout::Inline(_) => [ChunkPtr::HOLE; INLINE_CHUNKS as usize],
        };
        // Past the inode's four pointers: move them into a chunk map tree.
        inode.layout = Layout::Tree { root: 0, depth: 0 };
        let mut tree = Tree::new(0, 0, NodeKind::ChunkLeaf, ino, CHUNK_PTR_SIZE);
        for (i, p) in ptrs.iter().enumerate() {
            if !p.is_hole() {
                let mut r = [0u8; CHUNK_PTR_SIZE];
                p.encode(&mut r);
                tree.set(&mut self.io, i as u64, &r)?;
            }
        }
        tree.set(&mut self.io, idx, &rec)?;
        self.maps.insert(ino, tree);
        Ok(())
    }

    /// Reads a stored chunk's bytes and checks their checksum.
    pub fn read_stored(&mut self, ino: u64, idx: u64, ptr: &ChunkPtr) -> Result<Vec<u8>> {
        let fail = |fault| Error::Corrupt(Corruption::Chunk { ino, index: idx, fault });
        ptr.check(self.sb.chunk_size, self.sb.total_blocks).map_err(fail)?;
        let mut stored = vec![0u8; ptr.stored_len as usize];
        self.io.read_data(ptr.block, &mut stored).map_err(|e| match e {
            Error::Device(d) => fail(ChunkFault::Unreadable(d)),
            e => e,
        })?;
        let computed = crc32c(&stored);
        if computed != ptr.crc {
            return Err(fail(ChunkFault::BadChecksum { stored: ptr.crc, computed }));
        }
        Ok(stored)
    }

    /// The contents of chunk `idx` as they stand (empty for a hole).
    fn chunk_contents(&mut self, ino: u64, idx: u64) -> Result<Vec<u8>> {
        if let Some(p) = self.pending.get(&(ino, idx)) {
            return Ok(p.clone());
        }
        let ptr = self.chunk_ptr(ino, idx)?;
        if ptr.is_hole() {
            return Ok(Vec::new());
        }
        let stored = self.read_stored(ino, idx, &ptr)?;
        // A raw chunk is its stored bytes (ChunkPtr::check saw the lengths
        // agree): no second buffer.
        if ptr.algorithm == Algorithm::None && stored.len() == ptr.logical_len as usize {
            return Ok(stored);
        }
        let mut out = vec![0u8; ptr.logical_len as usize];
        decompress_chunk(ptr.algorithm, &stored, &mut out).map_err(|fault| Corruption::Chunk {
            ino,
            index: idx,
            fault,
        })?;
        Ok(out)
    }

    /// Chunk `idx` of file `ino` as a read sees it, in a buffer of its own
    /// (for a page cache, which keeps what it reads: no copy through a
    /// caller's buffer): at most a chunk, nothing past the file's size,
    /// and short or empty where the rest is a hole (zeros).
    pub fn read_chunk(&mut self, ino: u64, idx: u64) -> Result<Vec<u8>> {
        let inode = self.inode(ino)?;
        let c = self.chunk_size();
        let start = idx.saturating_mul(c);
        if start >= inode.size {
            return Ok(Vec::new());
        }
        let limit = (inode.size - start).min(c) as usize;
        let mut data = match &inode.layout {
            Layout::Inline(d) => d.get(start as usize..).unwrap_or(&[]).to_vec(),
            _ => self.chunk_contents(ino, idx)?,
        };
        data.truncate(limit);
        Ok(data)
    }

    /// Reads from `off` into `buf`; returns the bytes read (0 at end of file).
    pub fn read(&mut self, ino: u64, off: u64, buf: &mut [u8]) -> Result<usize> {
        let inode = self.inode(ino)?;
        if off >= inode.size || buf.is_empty() {
            return Ok(0);
        }
        let end = inode.size.min(off.saturating_add(buf.len() as u64));
        let n = (end - off) as usize;
        if let Layout::Inline(d) = &inode.layout {
            copy_avail(d, off as usize, &mut buf[..n]);
            return Ok(n);
        }
        let c = self.chunk_size();
        let mut pos = off;
        while pos < end {
            let (idx, within) = (pos / c, (pos % c) as usize);
            let take = (c - within as u64).min(end - pos) as usize;
            let dst = &mut buf[(pos - off) as usize..][..take];
            if let Some(p) = self.pending.get(&(ino, idx)) {
                copy_avail(p, within, dst);
            } else {
                let cached = matches!(&self.read_cache, Some((i, x, _)) if *i == ino && *x == idx);
                if !cached {
                    let data = self.chunk_contents(ino, idx)?;
                    self.read_cache = Some((ino, idx, data));
                }
                if let Some((_, _, data)) = &self.read_cache {
                    copy_avail(data, within, dst);
                }
            }
            pos += take as u64;
        }
        Ok(n)
    }

    /// The whole contents of a file. Directories and symbolic links have
    /// no holes (a directory block always starts with an entry, a target
    /// has no NUL), so for them a size past the last stored chunk, or past
    /// their limits, is damage, found before anything that large is
    /// allocated.
    pub fn read_all(&mut self, ino: u64) -> Result<Vec<u8>> {
        let inode = self.inode(ino)?;
        let size = inode.size;
        let damaged = |what| Error::Corrupt(Corruption::Inode { ino, fault: InodeFault::BadField(what) });
        let limit = match inode.file_type() {
            FileType::Directory => MAX_DIR_BYTES,
            FileType::Symlink => MAX_SYMLINK_BYTES,
            _ => MAX_FILE_SIZE,
        };
        if size > limit {
            return Err(damaged("size"));
        }
        let holeless = limit != MAX_FILE_SIZE;
        if holeless && size > 0 && !matches!(inode.layout, Layout::Inline(_)) {
            let last = (size - 1) / u64::from(self.sb.chunk_size);
            if !self.pending.contains_key(&(ino, last)) && self.chunk_ptr(ino, last)?.is_hole() {
                return Err(damaged("size past the stored data"));
            }
        }
        let mut out = vec![0u8; usize::try_from(size).map_err(|_| Error::FileTooBig)?];
        let n = self.read(ino, 0, &mut out)?;
        out.truncate(n);
        Ok(out)
    }

    /// The target of a symbolic link.
    pub fn readlink(&mut self, ino: u64) -> Result<Vec<u8>> {
        if self.inode(ino)?.file_type() != FileType::Symlink {
            return Err(Error::InvalidArgument);
        }
        self.read_all(ino)
    }

    /// Moves inline contents into pending chunk 0, so they can grow.
    fn materialize_inline(&mut self, ino: u64) -> Result<()> {
        let inode = self.inode_mut(ino)?;
        if let Layout::Inline(d) = &inode.layout {
            let d = d.clone();
            inode.layout = Layout::Empty;
            self.pending_bytes += d.len();
            self.pending.insert((ino, 0), d);
        }
        Ok(())
    }

    /// Writes `data` at `off`; returns the bytes written.
    pub fn write(&mut self, ino: u64, off: u64, data: &[u8]) -> Result<usize> {
        if self.inode(ino)?.is_dir() {
            return Err(Error::IsDir);
        }
        self.write_contents(ino, off, data)?;
        Ok(data.len())
    }

    pub(super) fn write_contents(&mut self, ino: u64, off: u64, data: &[u8]) -> Result<()> {
        let end = off.checked_add(data.len() as u64).filter(|&e| e <= MAX_FILE_SIZE).ok_or(Error::FileTooBig)?;
        self.materialize_inline(ino)?;
        self.read_cache = None;
        let c = self.chunk_size();
        let mut pos = off;
        while pos < end {
            let (idx, within) = (pos / c, (pos % c) as usize);
            let take = (c - within as u64).min(end - pos) as usize;
            let mut content = match self.pending.remove(&(ino, idx)) {
                Some(p) => {
                    self.pending_bytes -= p.len();
                    p
                }
                None => self.chunk_contents(ino, idx)?,
            };
            if content.len() < within + take {
                content.resize(within + take, 0);
            }
            content[within..within + take].copy_from_slice(&data[(pos - off) as usize..][..take]);
            self.pending_bytes += content.len();
            self.pending.insert((ino, idx), content);
            pos += take as u64;
        }
        let now = self.now();
        let inode = self.inode_mut(ino)?;
        inode.size = inode.size.max(end);
        inode.mtime = now;
        inode.ctime = now;
        if self.pending_bytes > super::PENDING_LIMIT {
            self.flush_pending()?;
        }
        Ok(())
    }

    /// Sets the size of a regular file (truncate(2)).
    pub fn truncate(&mut self, ino: u64, size: u64) -> Result<()> {
        let inode = self.inode(ino)?;
        match inode.file_type() {
            FileType::Regular => {}
            FileType::Directory => return Err(Error::IsDir),
            _ => return Err(Error::InvalidArgument),
        }
        self.set_size(ino, size)?;
        let now = self.now();
        let inode = self.inode_mut(ino)?;
        inode.mtime = now;
        inode.ctime = now;
        Ok(())
    }

    pub(super) fn set_size(&mut self, ino: u64, size: u64) -> Result<()> {
        if size > MAX_FILE_SIZE {
            return Err(Error::FileTooBig);
        }
        self.materialize_inline(ino)?;
        self.read_cache = None;
        let old = self.inode(ino)?.size;
        if size < old {
            let c = self.chunk_size();
            let keep = size.div_ceil(c);
            let gone: Vec<(u64, u64)> = self.pending.range((ino, keep)..=(ino, u64::MAX)).map(|(k, _)| *k).collect();
            for k in gone {
                if let Some(p) = self.pending.remove(&k) {
                    self.pending_bytes -= p.len();
                }
            }
            self.free_chunks_from(ino, keep, old)?;
            if !size.is_multiple_of(c) {
                let (idx, within) = (keep - 1, (size % c) as usize);
                let mut content = match self.pending.remove(&(ino, idx)) {
                    Some(p) => {
                        self.pending_bytes -= p.len();
                        p
                    }
                    None => self.chunk_contents(ino, idx)?,
                };
                if content.len() > within || self.chunk_ptr(ino, idx)?.is_hole() {
                    content.truncate(within);
                }
                self.pending_bytes += content.len();
                self.pending.insert((ino, idx), content);
            }
        }
        self.inode_mut(ino)?.size = size;
        Ok(())
    }

    /// Frees the block(s) of one chunk pointer, charged to `ino`.
    fn free_ptr(&mut self, ino: u64, ptr: &ChunkPtr) -> Result<()> {
        if !ptr.is_hole() {
            self.alloc.free(ptr.block, ptr.block_count());
            let inode = self.inode_mut(ino)?;
            inode.blocks = inode.blocks.saturating_sub(ptr.block_count());
        }
        Ok(())
    }

    /// Frees the stored chunks `first..` of a file whose size was `old_size`.
    fn free_chunks_from(&mut self, ino: u64, first: u64, old_size: u64) -> Result<()> {
        let nchunks = old_size.div_ceil(self.chunk_size());
        let layout = self.inode(ino)?.layout;
        let per_leaf = CHUNKS_PER_LEAF;
        match layout {
            Layout::Chunks(ptrs) => {
                for idx in first..INLINE_CHUNKS {
                    self.free_ptr(ino, &ptrs[idx as usize])?;
                    self.set_chunk_ptr(ino, idx, ChunkPtr::HOLE)?;
                }
            }
            Layout::Tree { root, depth } => {
                let mut leaf = first / per_leaf;
                while leaf * per_leaf < nchunks {
                    let payload = {
                        let io = &mut self.io;
                        self.maps
                            .entry(ino)
                            .or_insert_with(|| Tree::new(root, depth, NodeKind::ChunkLeaf, ino, CHUNK_PTR_SIZE))
                            .leaf(io, leaf)?
                    };
                    for slot in 0..per_leaf {
                        let idx = leaf * per_leaf + slot;
                        let rec = &payload[slot as usize * CHUNK_PTR_SIZE..][..CHUNK_PTR_SIZE];
                        if idx < first || rec.iter().all(|&b| b == 0) {
                            continue;
                        }
                        let ptr =
                            ChunkPtr::decode(rec).map_err(|fault| Corruption::Chunk { ino, index: idx, fault })?;
                        self.free_ptr(ino, &ptr)?;
                        self.set_chunk_ptr(ino, idx, ChunkPtr::HOLE)?;
                    }
                    leaf += 1;
                }
                if first == 0 {
                    self.drop_map(ino)?;
                }
            }
            Layout::Empty | Layout::Inline(_) => {}
        }
        Ok(())
    }

    /// Frees a file's chunk map tree; its layout becomes empty.
    fn drop_map(&mut self, ino: u64) -> Result<()> {
        if let Layout::Tree { root, depth } = self.inode(ino)?.layout {
            let mut tree = self
                .maps
                .remove(&ino)
                .unwrap_or_else(|| Tree::new(root, depth, NodeKind::ChunkLeaf, ino, CHUNK_PTR_SIZE));
            let mut space = Counting { inner: &mut self.alloc, delta: 0 };
            tree.free_all(&mut self.io, &mut space)?;
            let delta = space.delta;
            let inode = self.inode_mut(ino)?;
            inode.blocks = inode.blocks.saturating_add_signed(delta);
        }
        self.inode_mut(ino)?.layout = Layout::Empty;
        Ok(())
    }

    /// Frees everything a file stores (it is being deleted).
    pub(super) fn free_contents(&mut self, ino: u64) -> Result<()> {
        self.read_cache = None;
        let gone: Vec<(u64, u64)> = self.pending.range((ino, 0)..=(ino, u64::MAX)).map(|(k, _)| *k).collect();
        for k in gone {
            if let Some(p) = self.pending.remove(&k) {
                self.pending_bytes -= p.len();
            }
        }
        let size = self.inode(ino)?.size;
        self.free_chunks_from(ino, 0, size)?;
        self.drop_map(ino)
    }

    /// Compresses and writes every pending chunk.
    pub(super) fn flush_pending(&mut self) -> Result<()> {
        let pending = core::mem::take(&mut self.pending);
        self.pending_bytes = 0;
        for ((ino, idx), data) in pending {
            self.store_chunk(ino, idx, data)?;
        }
        Ok(())
    }

    /// Writes one chunk's contents to new blocks (or inline, or as a hole).
    fn store_chunk(&mut self, ino: u64, idx: u64, data: Vec<u8>) -> Result<()> {
        self.read_cache = None;
        let inode = self.inode(ino)?;
        let old = self.chunk_ptr(ino, idx)?;
        let small =
            matches!(inode.file_type(), FileType::Regular | FileType::Symlink) && inode.size <= INLINE_AREA as u64;
        if idx == 0 && small {
            self.free_ptr(ino, &old)?;
            self.drop_map(ino)?;
            let mut d = data;
            d.resize(inode.size as usize, 0);
            self.inode_mut(ino)?.layout = if d.is_empty() { Layout::Empty } else { Layout::Inline(d) };
            return Ok(());
        }
        let new = if data.iter().all(|&b| b == 0) {
            ChunkPtr::HOLE
        } else {
            let zstd = self.platform.zstd_encoder();
            let (algorithm, stored) = compress_chunk(&data, self.compression_for(&inode), zstd);
            let n = blocks_for(stored.len() as u64);
            let block = self.alloc.alloc(n)?;
            self.io.write_data(block, &stored)?;
            self.sb.incompat |= incompat_for(algorithm);
            let crc = crc32c(&stored);
            let inode = self.inode_mut(ino)?;
            inode.blocks += n;
            ChunkPtr { block, stored_len: stored.len() as u32, logical_len: data.len() as u32, crc, algorithm }
        };
        self.free_ptr(ino, &old)?;
        self.set_chunk_ptr(ino, idx, new)
    }

    /// Replaces a directory's contents, rewriting only the chunks that differ.
    pub(super) fn set_contents(&mut self, ino: u64, bytes: &[u8]) -> Result<()> {
        // The entries' changes already set the times; storing them does not.
        let before = self.inode(ino)?;
        let c = self.chunk_size() as usize;
        for (idx, piece) in bytes.chunks(c).enumerate() {
            if self.chunk_contents(ino, idx as u64)? != piece {
                self.write_contents(ino, (idx * c) as u64, piece)?;
            }
        }
        self.set_size(ino, bytes.len() as u64)?;
        let inode = self.inode_mut(ino)?;
        inode.mtime = before.mtime;
        inode.ctime = before.ctime;
        Ok(())
    }

    /// The stored chunks of a file, in order (for export and fsck-like tools).
    pub fn chunks(&mut self, ino: u64) -> Result<Vec<(u64, ChunkPtr)>> {
        self.flush_pending()?;
        let nchunks = self.inode(ino)?.size.div_ceil(self.chunk_size());
        let mut out = Vec::new();
        match self.inode(ino)?.layout {
            Layout::Chunks(ptrs) => {
                out.extend(ptrs.iter().enumerate().filter(|(_, p)| !p.is_hole()).map(|(i, p)| (i as u64, *p)))
            }
            Layout::Tree { .. } => {
                for idx in 0..nchunks {
                    let p = self.chunk_ptr(ino, idx)?;
                    if !p.is_hole() {
                        out.push((idx, p));
                    }
                }
            }
            Layout::Empty | Layout::Inline(_) => {}
        }
        Ok(out)
    }
}
