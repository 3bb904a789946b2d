//! On-disk constants and the little-endian field helpers every structure
//! uses. FORMAT.md is the authority; these numbers must match it.

use crate::device::BLOCK_SIZE;

/// Block 0 is left for a boot sector or partition label; blocks 1 and 2
/// hold the two superblock copies. The first block a tree or file may use:
pub const FIRST_DATA_BLOCK: u64 = 3;
/// Block number of superblock copy `slot` (0 or 1).
pub const fn superblock_block(slot: u32) -> u64 {
    1 + slot as u64
}

/// Size of a metadata block's header; the payload follows it.
pub const NODE_HEADER: usize = 64;
/// Bytes of payload in a metadata block.
pub const NODE_PAYLOAD: usize = BLOCK_SIZE - NODE_HEADER;
/// Child pointers in an interior node.
pub const FANOUT: u64 = (NODE_PAYLOAD / 8) as u64;

/// Size of an inode record, and how many fit in an inode table leaf.
pub const INODE_SIZE: usize = 256;
pub const INODES_PER_LEAF: u64 = (NODE_PAYLOAD / INODE_SIZE) as u64;
/// Size of a chunk pointer, and how many fit in a chunk map leaf.
pub const CHUNK_PTR_SIZE: usize = 32;
pub const CHUNKS_PER_LEAF: u64 = (NODE_PAYLOAD / CHUNK_PTR_SIZE) as u64;
/// 64-bit words of the free-space bitmap in one leaf, and blocks they cover.
pub const BITMAP_WORDS_PER_LEAF: u64 = (NODE_PAYLOAD / 8) as u64;
pub const BLOCKS_PER_BITMAP_LEAF: u64 = BITMAP_WORDS_PER_LEAF * 64;

/// Bytes of an inode's data area (inline data, or inline chunk pointers).
pub const INLINE_AREA: usize = 128;
pub const INLINE_CHUNKS: u64 = (INLINE_AREA / CHUNK_PTR_SIZE) as u64;

/// The deepest tree this implementation reads (504^7 leaves is far past any disk).
pub const MAX_DEPTH: u8 = 7;

/// Inode number of the root directory. 0 is never an inode.
pub const ROOT_INO: u64 = 1;
/// The `owner` field of nodes of the inode table and of the bitmap; chunk
/// map nodes carry their inode's number.
pub const OWNER_INODE_TABLE: u64 = u64::MAX;
pub const OWNER_BITMAP: u64 = u64::MAX - 1;

/// Chunk sizes mkfs accepts (bytes, powers of two).
pub const MIN_CHUNK: u32 = 4096;
pub const MAX_CHUNK: u32 = 1 << 20;
pub const DEFAULT_CHUNK: u32 = 128 * 1024;

/// The most a directory may hold (some ten million entries): a larger
/// size is damage, and is never allocated.
pub const MAX_DIR_BYTES: u64 = 256 << 20;
/// The longest symbolic link target (Linux's PATH_MAX less the NUL).
pub const MAX_SYMLINK_BYTES: u64 = 4095;

/// Longest name in a directory entry.
pub const NAME_MAX: usize = 255;
/// Most hard links to one inode (Linux's ext4 value).
pub const LINK_MAX: u32 = 65000;

pub(crate) fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn get_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

pub(crate) fn get_i64(b: &[u8], at: usize) -> i64 {
    get_u64(b, at) as i64
}

pub(crate) fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_i64(b: &mut [u8], at: usize, v: i64) {
    put_u64(b, at, v as u64)
}

/// Blocks needed for `bytes` bytes.
pub const fn blocks_for(bytes: u64) -> u64 {
    bytes.div_ceil(BLOCK_SIZE as u64)
}
