//! Chunk pointers: where one chunk of a file is stored, how, and its
//! checksum (FORMAT.md, "Chunks").

use crate::compress::Algorithm;
use crate::error::ChunkFault;
use crate::layout::*;

/// A pointer to chunk `i` of a file: bytes `i * chunk_size ..` of its
/// contents. `block == 0` is a hole (reads as zeros).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPtr {
    /// First block of the stored bytes (they are contiguous).
    pub block: u64,
    /// Bytes stored (compressed length, or the raw length).
    pub stored_len: u32,
    /// Bytes this chunk holds once decompressed.
    pub logical_len: u32,
    /// CRC-32C of the stored bytes.
    pub crc: u32,
    pub algorithm: Algorithm,
}

impl ChunkPtr {
    pub const HOLE: ChunkPtr = ChunkPtr { block: 0, stored_len: 0, logical_len: 0, crc: 0, algorithm: Algorithm::None };

    pub fn is_hole(&self) -> bool {
        self.block == 0
    }

    /// Blocks the stored bytes occupy.
    pub fn block_count(&self) -> u64 {
        if self.is_hole() {
            0
        } else {
            blocks_for(self.stored_len as u64)
        }
    }

    pub fn encode(&self, r: &mut [u8]) {
        r[..CHUNK_PTR_SIZE].fill(0);
        if self.is_hole() {
            return;
        }
        put_u64(r, 0, self.block);
        put_u32(r, 8, self.stored_len);
        put_u32(r, 12, self.logical_len);
        put_u32(r, 16, self.crc);
        r[20] = self.algorithm.code();
    }

    /// Decodes a pointer (its fields are judged by [`ChunkPtr::check`]).
    pub fn decode(r: &[u8]) -> Result<ChunkPtr, ChunkFault> {
        let block = get_u64(r, 0);
        if block == 0 {
            return Ok(ChunkPtr::HOLE);
        }
        let algorithm = Algorithm::from_code(r[20]).ok_or(ChunkFault::BadAlgorithm { algo: r[20] })?;
        Ok(ChunkPtr { block, stored_len: get_u32(r, 8), logical_len: get_u32(r, 12), crc: get_u32(r, 16), algorithm })
    }

    /// Checks the pointer's fields against the filesystem's geometry.
    pub fn check(&self, chunk_size: u32, total_blocks: u64) -> Result<(), ChunkFault> {
        if self.is_hole() {
            return Ok(());
        }
        if self.logical_len == 0 || self.logical_len > chunk_size || self.stored_len == 0 {
            return Err(ChunkFault::BadLength);
        }
        // Stored only when it saves a block, so never longer than the chunk.
        if self.stored_len > chunk_size || (self.algorithm == Algorithm::None && self.stored_len != self.logical_len) {
            return Err(ChunkFault::BadLength);
        }
        let end = self.block.checked_add(self.block_count()).ok_or(ChunkFault::OutOfRange)?;
        if self.block < FIRST_DATA_BLOCK || end > total_blocks {
            return Err(ChunkFault::OutOfRange);
        }
        Ok(())
    }
}
