//! `struct sysinfo` of the `sysinfo` system call.

use bytemuck::{Pod, Zeroable};

/// Fixed-point shift of [`Sysinfo::loads`]: a load of 1.0 is `1 << 16`.
pub const SI_LOAD_SHIFT: u32 = 16;

/// `struct sysinfo` on x86_64 (112 bytes). Memory sizes are in units of
/// `mem_unit` bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Sysinfo {
    /// Seconds since boot.
    pub uptime: i64,
    /// 1, 5 and 15 minute load averages, scaled by `1 << SI_LOAD_SHIFT`.
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    /// Number of current processes.
    pub procs: u16,
    pub pad: u16,
    /// Alignment padding before `totalhigh` (implicit in C).
    pub _pad1: u32,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
    /// Tail padding (the C struct's zero-length `_f` plus alignment).
    pub _pad2: u32,
}

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<Sysinfo>() == 112);
