//! The kestrel filesystem: the on-disk format of `rootfs/FORMAT.md`, one
//! implementation for the kernel (no_std + alloc) and the host tools.
//!
//! A copy-on-write filesystem over 4 KiB blocks: two checksummed,
//! generation-numbered superblocks; an inode table, a free-space bitmap
//! and per-file chunk maps, all copy-on-write radix trees of checksummed
//! nodes; file contents in chunks (128 KiB by default), each stored raw,
//! lz4 or zstd with its own checksum.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod chunk;
pub mod compress;
pub mod crc32c;
pub mod device;
pub mod dir;
pub mod error;
mod fs;
pub mod fsck;
pub mod heuristic;
pub mod inode;
pub mod layout;
pub mod node;
mod space;
pub mod superblock;
pub mod tree;
pub mod zstd_fast;

pub use chunk::ChunkPtr;
pub use compress::{Algorithm, Compression, ZstdEncoder};
pub use device::{Block, BlockDevice, DeviceError, MemDevice, BLOCK_SIZE};
pub use error::{Corruption, Error, Result};
pub use fs::{read_superblock, FormatOptions, Fs, NewInode, OpenOptions, Platform, SetAttr, SlotFault, MAX_FILE_SIZE};
pub use inode::{FileType, Inode, Layout, Timespec};
