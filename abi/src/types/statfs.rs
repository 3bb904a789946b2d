//! `struct statfs` of `statfs`/`fstatfs` and common filesystem magic numbers.

use bytemuck::{Pod, Zeroable};

/// The x86_64 kernel's `struct statfs` (120 bytes; `statfs64` is the same
/// layout on 64-bit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Statfs {
    /// Filesystem magic number (`*_MAGIC`).
    pub f_type: i64,
    /// Optimal transfer block size.
    pub f_bsize: i64,
    /// Total data blocks, in `f_frsize` units.
    pub f_blocks: u64,
    pub f_bfree: u64,
    /// Free blocks available to unprivileged users.
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    /// Longest file name.
    pub f_namelen: i64,
    /// Fragment size.
    pub f_frsize: i64,
    /// `ST_*` mount flags.
    pub f_flags: i64,
    pub f_spare: [i64; 4],
}

pub const TMPFS_MAGIC: i64 = 0x0102_1994;
pub const RAMFS_MAGIC: i64 = 0x8584_58f6;
pub const PROC_SUPER_MAGIC: i64 = 0x9fa0;
pub const SYSFS_MAGIC: i64 = 0x6265_6572;
pub const DEVPTS_SUPER_MAGIC: i64 = 0x1cd1;
pub const EXT4_SUPER_MAGIC: i64 = 0xef53;
pub const PIPEFS_MAGIC: i64 = 0x5049_5045;
pub const MQUEUE_MAGIC: i64 = 0x1980_0202;

// `f_flags` bits.
pub const ST_RDONLY: i64 = 0x0001;
pub const ST_NOSUID: i64 = 0x0002;
pub const ST_NODEV: i64 = 0x0004;
pub const ST_NOEXEC: i64 = 0x0008;
pub const ST_SYNCHRONOUS: i64 = 0x0010;
/// Set when `f_flags` is valid (always, on current kernels).
pub const ST_VALID: i64 = 0x0020;
pub const ST_MANDLOCK: i64 = 0x0040;
pub const ST_NOATIME: i64 = 0x0400;
pub const ST_NODIRATIME: i64 = 0x0800;
pub const ST_RELATIME: i64 = 0x1000;
pub const ST_NOSYMFOLLOW: i64 = 0x2000;

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<Statfs>() == 120);
