//! `fcntl` commands and arguments, plus the other small per-descriptor
//! constants: `lseek` whence values, `access` modes and `flock` operations.
//!
//! Commands are `i32` (a C `int` in user space); a dispatcher should compare
//! `arg as u32 as i32`.

use bytemuck::{Pod, Zeroable};

pub const F_DUPFD: i32 = 0;
pub const F_GETFD: i32 = 1;
pub const F_SETFD: i32 = 2;
pub const F_GETFL: i32 = 3;
pub const F_SETFL: i32 = 4;
pub const F_GETLK: i32 = 5;
pub const F_SETLK: i32 = 6;
pub const F_SETLKW: i32 = 7;
pub const F_SETOWN: i32 = 8;
pub const F_GETOWN: i32 = 9;
pub const F_SETSIG: i32 = 10;
pub const F_GETSIG: i32 = 11;
pub const F_SETOWN_EX: i32 = 15;
pub const F_GETOWN_EX: i32 = 16;
pub const F_GETOWNER_UIDS: i32 = 17;
pub const F_OFD_GETLK: i32 = 36;
pub const F_OFD_SETLK: i32 = 37;
pub const F_OFD_SETLKW: i32 = 38;
pub const F_SETLEASE: i32 = 1024;
pub const F_GETLEASE: i32 = 1025;
pub const F_NOTIFY: i32 = 1026;
pub const F_DUPFD_CLOEXEC: i32 = 1030;
pub const F_SETPIPE_SZ: i32 = 1031;
pub const F_GETPIPE_SZ: i32 = 1032;
pub const F_ADD_SEALS: i32 = 1033;
pub const F_GET_SEALS: i32 = 1034;

/// The only descriptor flag (`F_GETFD`/`F_SETFD`).
pub const FD_CLOEXEC: i32 = 1;

// Lock types (`l_type` of `struct flock`).
pub const F_RDLCK: i16 = 0;
pub const F_WRLCK: i16 = 1;
pub const F_UNLCK: i16 = 2;

// Seal bits of `F_ADD_SEALS`.
pub const F_SEAL_SEAL: i32 = 0x0001;
pub const F_SEAL_SHRINK: i32 = 0x0002;
pub const F_SEAL_GROW: i32 = 0x0004;
pub const F_SEAL_WRITE: i32 = 0x0008;
pub const F_SEAL_FUTURE_WRITE: i32 = 0x0010;
pub const F_SEAL_EXEC: i32 = 0x0020;

// Flags of `memfd_create(2)`.
pub const MFD_CLOEXEC: u32 = 0x0001;
pub const MFD_ALLOW_SEALING: u32 = 0x0002;
pub const MFD_HUGETLB: u32 = 0x0004;
/// With `MFD_HUGETLB`, bits 26..32 give the huge page size's log2.
pub const MFD_HUGE_SHIFT: u32 = 26;
pub const MFD_HUGE_MASK: u32 = 0x3f;

/// `struct flock` of `F_GETLK`/`F_SETLK`/`F_SETLKW` (32 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Flock {
    pub l_type: i16,
    /// `SEEK_SET`, `SEEK_CUR` or `SEEK_END`: what `l_start` is relative to.
    pub l_whence: i16,
    pub _pad0: u32,
    pub l_start: i64,
    /// Length; 0 means "to the end of the file, however far it grows".
    pub l_len: i64,
    pub l_pid: i32,
    pub _pad1: u32,
}

// `lseek` whence.
pub const SEEK_SET: i32 = 0;
pub const SEEK_CUR: i32 = 1;
pub const SEEK_END: i32 = 2;
pub const SEEK_DATA: i32 = 3;
pub const SEEK_HOLE: i32 = 4;

// `access`/`faccessat` modes.
pub const F_OK: i32 = 0;
pub const X_OK: i32 = 1;
pub const W_OK: i32 = 2;
pub const R_OK: i32 = 4;

// `flock` operations.
pub const LOCK_SH: i32 = 1;
pub const LOCK_EX: i32 = 2;
pub const LOCK_NB: i32 = 4;
pub const LOCK_UN: i32 = 8;
/// Mandatory (Samba share-mode) flock locks, long broken: Linux ignores them.
pub const LOCK_MAND: i32 = 32;

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<Flock>() == 32);
