//! The superblock: two copies (blocks 1 and 2), each checksummed and
//! numbered by generation. A commit writes the copy in slot
//! `generation % 2` last; mount takes the valid copy with the highest
//! generation (FORMAT.md, "Superblock" and "Commit protocol").

use crate::compress::{Algorithm, Compression};
use crate::crc32c::crc32c_skipping;
use crate::device::{Block, BLOCK_SIZE};
use crate::error::SuperblockFault;
use crate::inode::Timespec;
use crate::layout::*;

pub const MAGIC: [u8; 8] = *b"KESTRLFS";
const CRC_AT: usize = 8;

/// Incompat feature: chunks may be lz4 blocks.
pub const INCOMPAT_LZ4: u64 = 1 << 0;
/// Incompat feature: chunks may be zstd frames.
pub const INCOMPAT_ZSTD: u64 = 1 << 1;
/// Incompat features this implementation understands.
pub const INCOMPAT_SUPPORTED: u64 = INCOMPAT_LZ4 | INCOMPAT_ZSTD;
/// Read-only-compatible features this implementation understands (none yet).
pub const RO_COMPAT_SUPPORTED: u64 = 0;

/// The superblock's fields (FORMAT.md has the byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superblock {
    pub generation: u64,
    pub compat: u64,
    pub ro_compat: u64,
    pub incompat: u64,
    pub chunk_size: u32,
    pub total_blocks: u64,
    pub free_blocks: u64,
    pub inode_count: u64,
    pub next_inode: u64,
    pub inode_root: u64,
    pub inode_depth: u8,
    pub bitmap_root: u64,
    pub bitmap_depth: u8,
    pub default_compression: Compression,
    pub orphan_head: u64,
    pub created: Timespec,
    pub committed: Timespec,
    pub uuid: [u8; 16],
    pub label: [u8; 32],
}

impl Superblock {
    /// Encodes the copy for `slot` into a block.
    pub fn encode(&self, slot: u32) -> Block {
        let mut b = [0u8; BLOCK_SIZE];
        b[0..8].copy_from_slice(&MAGIC);
        put_u32(&mut b, 12, slot);
        put_u64(&mut b, 16, self.generation);
        put_u64(&mut b, 24, self.compat);
        put_u64(&mut b, 32, self.ro_compat);
        put_u64(&mut b, 40, self.incompat);
        put_u32(&mut b, 48, BLOCK_SIZE as u32);
        put_u32(&mut b, 52, self.chunk_size);
        put_u64(&mut b, 56, self.total_blocks);
        put_u64(&mut b, 64, self.free_blocks);
        put_u64(&mut b, 72, self.inode_count);
        put_u64(&mut b, 80, self.next_inode);
        put_u64(&mut b, 88, ROOT_INO);
        put_u64(&mut b, 96, self.inode_root);
        b[104] = self.inode_depth;
        b[105] = self.bitmap_depth;
        b[106] = self.default_compression.algorithm.code();
        b[107] = self.default_compression.level as u8;
        put_u64(&mut b, 112, self.bitmap_root);
        put_u64(&mut b, 120, self.orphan_head);
        put_i64(&mut b, 128, self.created.sec);
        put_u32(&mut b, 136, self.created.nsec);
        put_u32(&mut b, 140, self.committed.nsec);
        put_i64(&mut b, 144, self.committed.sec);
        b[152..168].copy_from_slice(&self.uuid);
        b[168..200].copy_from_slice(&self.label);
        let crc = crc32c_skipping(&b, CRC_AT);
        put_u32(&mut b, CRC_AT, crc);
        b
    }

    /// Decodes and checks the copy read from `slot` of a device of
    /// `device_blocks` blocks.
    pub fn decode(b: &Block, slot: u32, device_blocks: u64) -> Result<Superblock, SuperblockFault> {
        if b[0..8] != MAGIC {
            return Err(SuperblockFault::BadMagic);
        }
        let stored = get_u32(b, CRC_AT);
        let computed = crc32c_skipping(b, CRC_AT);
        if stored != computed {
            return Err(SuperblockFault::BadChecksum { stored, computed });
        }
        let found = get_u32(b, 12);
        if found != slot {
            return Err(SuperblockFault::WrongSlot { found });
        }
        if get_u32(b, 48) != BLOCK_SIZE as u32 {
            return Err(SuperblockFault::BadField("block size"));
        }
        let chunk_size = get_u32(b, 52);
        if !chunk_size.is_power_of_two() || !(MIN_CHUNK..=MAX_CHUNK).contains(&chunk_size) {
            return Err(SuperblockFault::BadField("chunk size"));
        }
        let algorithm = Algorithm::from_code(b[106]).ok_or(SuperblockFault::BadField("default compression"))?;
        let sb = Superblock {
            generation: get_u64(b, 16),
            compat: get_u64(b, 24),
            ro_compat: get_u64(b, 32),
            incompat: get_u64(b, 40),
            chunk_size,
            total_blocks: get_u64(b, 56),
            free_blocks: get_u64(b, 64),
            inode_count: get_u64(b, 72),
            next_inode: get_u64(b, 80),
            inode_root: get_u64(b, 96),
            inode_depth: b[104],
            bitmap_depth: b[105],
            default_compression: Compression { algorithm, level: b[107] as i8 },
            bitmap_root: get_u64(b, 112),
            orphan_head: get_u64(b, 120),
            created: Timespec { sec: get_i64(b, 128), nsec: get_u32(b, 136) },
            committed: Timespec { sec: get_i64(b, 144), nsec: get_u32(b, 140) },
            uuid: b[152..168].try_into().unwrap_or([0; 16]),
            label: b[168..200].try_into().unwrap_or([0; 32]),
        };
        if get_u64(b, 88) != ROOT_INO {
            return Err(SuperblockFault::BadField("root inode number"));
        }
        if sb.total_blocks > device_blocks {
            return Err(SuperblockFault::LargerThanDevice { total: sb.total_blocks, device: device_blocks });
        }
        if sb.total_blocks <= FIRST_DATA_BLOCK {
            return Err(SuperblockFault::BadField("block count"));
        }
        if sb.free_blocks > sb.total_blocks {
            return Err(SuperblockFault::BadField("free block count"));
        }
        if sb.next_inode <= ROOT_INO || sb.inode_count == 0 || sb.inode_count >= sb.next_inode {
            return Err(SuperblockFault::BadField("inode counters"));
        }
        let in_range = |blk: u64| blk >= FIRST_DATA_BLOCK && blk < sb.total_blocks;
        if !in_range(sb.inode_root) || sb.inode_depth > MAX_DEPTH {
            return Err(SuperblockFault::BadField("inode table root"));
        }
        if !in_range(sb.bitmap_root) || sb.bitmap_depth > MAX_DEPTH {
            return Err(SuperblockFault::BadField("bitmap root"));
        }
        if sb.created.nsec >= 1_000_000_000 || sb.committed.nsec >= 1_000_000_000 {
            return Err(SuperblockFault::BadField("timestamp"));
        }
        Ok(sb)
    }

    /// The label as text (up to its first NUL).
    pub fn label_str(&self) -> &str {
        let end = self.label.iter().position(|&c| c == 0).unwrap_or(self.label.len());
        core::str::from_utf8(&self.label[..end]).unwrap_or("")
    }
}
