//! Metadata blocks: a 64-byte header (magic, checksum, own block number,
//! generation, owner, kind, level) and a payload (FORMAT.md, "Metadata
//! blocks"). Reads go through a small cache of verified blocks.

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, VecDeque};

use crate::crc32c::crc32c_skipping;
use crate::device::{Block, BlockDevice, BLOCK_SIZE};
use crate::error::{Corruption, Error, NodeFault, NodeKind, Result};
use crate::layout::*;

pub const NODE_MAGIC: [u8; 4] = *b"KSND";
const CRC_AT: usize = 4;

/// What a pointer promises about the block it points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expect {
    pub kind: NodeKind,
    pub level: u8,
    pub owner: u64,
}

/// Builds a metadata block.
pub fn encode_node(block: u64, generation: u64, e: Expect, payload: &[u8]) -> Box<Block> {
    let mut b = Box::new([0u8; BLOCK_SIZE]);
    b[0..4].copy_from_slice(&NODE_MAGIC);
    put_u64(&mut b[..], 8, block);
    put_u64(&mut b[..], 16, generation);
    put_u64(&mut b[..], 24, e.owner);
    b[32] = e.kind.code();
    b[33] = e.level;
    b[NODE_HEADER..NODE_HEADER + payload.len()].copy_from_slice(payload);
    let crc = crc32c_skipping(&b[..], CRC_AT);
    put_u32(&mut b[..], CRC_AT, crc);
    b
}

/// Checks a metadata block read from `block` against what its pointer promises.
pub fn verify_node(b: &Block, block: u64, e: Expect, newest: u64) -> core::result::Result<(), NodeFault> {
    if b[0..4] != NODE_MAGIC {
        return Err(NodeFault::BadMagic);
    }
    let stored = get_u32(b, CRC_AT);
    let computed = crc32c_skipping(b, CRC_AT);
    if stored != computed {
        return Err(NodeFault::BadChecksum { stored, computed });
    }
    let found = get_u64(b, 8);
    if found != block {
        return Err(NodeFault::WrongBlockNumber { found });
    }
    if b[32] != e.kind.code() {
        return Err(NodeFault::WrongKind { found: b[32] });
    }
    if b[33] != e.level {
        return Err(NodeFault::WrongLevel { expected: e.level, found: b[33] });
    }
    let owner = get_u64(b, 24);
    if owner != e.owner {
        return Err(NodeFault::WrongOwner { expected: e.owner, found: owner });
    }
    let generation = get_u64(b, 16);
    if generation > newest {
        return Err(NodeFault::FutureGeneration { found: generation, newest });
    }
    Ok(())
}

/// The generation a metadata block was written by.
pub fn node_generation(b: &Block) -> u64 {
    get_u64(b, 16)
}

/// The payload of a metadata block.
pub fn payload(b: &Block) -> &[u8] {
    &b[NODE_HEADER..]
}

const CACHE_BLOCKS: usize = 2048;

/// The device, its size, and a cache of verified metadata blocks.
pub struct Io<D: BlockDevice> {
    pub dev: D,
    pub total_blocks: u64,
    /// Blocks of a generation newer than this are refused.
    pub newest: u64,
    cache: BTreeMap<u64, Box<Block>>,
    order: VecDeque<u64>,
}

impl<D: BlockDevice> Io<D> {
    pub fn new(dev: D, total_blocks: u64, newest: u64) -> Self {
        Io { dev, total_blocks, newest, cache: BTreeMap::new(), order: VecDeque::new() }
    }

    /// Reads and verifies the metadata block `block`.
    pub fn read_node(&mut self, block: u64, e: Expect) -> Result<&Block> {
        let fail = |fault| Error::Corrupt(Corruption::Node { block, kind: e.kind, fault });
        if block < FIRST_DATA_BLOCK || block >= self.total_blocks {
            return Err(fail(NodeFault::OutOfRange));
        }
        if !self.cache.contains_key(&block) {
            let mut b = Box::new([0u8; BLOCK_SIZE]);
            self.dev.read_block(block, &mut b).map_err(|d| fail(NodeFault::Unreadable(d)))?;
            verify_node(&b, block, e, self.newest).map_err(fail)?;
            self.insert(block, b);
        } else if let Some(b) = self.cache.get(&block) {
            // Cached blocks were verified once; the promise may still differ.
            verify_header_only(b, block, e).map_err(fail)?;
        }
        self.cache.get(&block).map(|b| &**b).ok_or(Error::InvalidArgument)
    }

    /// Writes a metadata block (and keeps it in the cache).
    pub fn write_node(&mut self, block: u64, generation: u64, e: Expect, payload: &[u8]) -> Result<()> {
        let b = encode_node(block, generation, e, payload);
        self.dev.write_block(block, &b)?;
        self.insert(block, b);
        Ok(())
    }

    /// Reads `buf.len()` bytes of data starting at `block` (whole blocks read).
    pub fn read_data(&mut self, block: u64, buf: &mut [u8]) -> Result<()> {
        if buf.len().is_multiple_of(BLOCK_SIZE) {
            self.dev.read_blocks(block, buf)?;
            return Ok(());
        }
        let n = blocks_for(buf.len() as u64) as usize;
        let mut whole = alloc::vec![0u8; n * BLOCK_SIZE];
        self.dev.read_blocks(block, &mut whole)?;
        buf.copy_from_slice(&whole[..buf.len()]);
        Ok(())
    }

    /// Writes `data` from `block` on, the last block padded with zeros.
    pub fn write_data(&mut self, block: u64, data: &[u8]) -> Result<()> {
        for (i, piece) in data.chunks(BLOCK_SIZE).enumerate() {
            let n = block + i as u64;
            let mut b = [0u8; BLOCK_SIZE];
            b[..piece.len()].copy_from_slice(piece);
            self.dev.write_block(n, &b)?;
            self.forget(n);
        }
        Ok(())
    }

    /// Drops a block from the cache (it is being reused for data).
    pub fn forget(&mut self, block: u64) {
        self.cache.remove(&block);
    }

    fn insert(&mut self, block: u64, b: Box<Block>) {
        if self.cache.insert(block, b).is_none() {
            self.order.push_back(block);
        }
        while self.cache.len() > CACHE_BLOCKS {
            match self.order.pop_front() {
                Some(old) => {
                    self.cache.remove(&old);
                }
                None => break,
            }
        }
        if self.order.len() > 2 * CACHE_BLOCKS {
            let cache = &self.cache;
            self.order.retain(|b| cache.contains_key(b));
        }
    }
}

fn verify_header_only(b: &Block, block: u64, e: Expect) -> core::result::Result<(), NodeFault> {
    if b[32] != e.kind.code() {
        return Err(NodeFault::WrongKind { found: b[32] });
    }
    if b[33] != e.level {
        return Err(NodeFault::WrongLevel { expected: e.level, found: b[33] });
    }
    let owner = get_u64(b, 24);
    if owner != e.owner || get_u64(b, 8) != block {
        return Err(NodeFault::WrongOwner { expected: e.owner, found: owner });
    }
    Ok(())
}
