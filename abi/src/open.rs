//! `open`/`openat` flags.
//!
//! The low two bits hold the access mode, a value rather than flags, so
//! [`O_RDONLY`], [`O_WRONLY`], [`O_RDWR`] and [`O_ACCMODE`] are plain
//! constants; `O_WRONLY`/`O_RDWR`/`O_ACCMODE` also exist as flags so that
//! `OpenFlags::from_bits_truncate` keeps the access mode.
//! `O_LARGEFILE` is the kernel's value 0o100000 (musl passes it; glibc's
//! headers on x86_64 define it as 0).

use bitflags::bitflags;

/// Read-only access mode (zero).
pub const O_RDONLY: u32 = 0;
/// Write-only access mode.
pub const O_WRONLY: u32 = 1;
/// Read-write access mode.
pub const O_RDWR: u32 = 2;
/// Mask of the access-mode field.
pub const O_ACCMODE: u32 = 3;

bitflags! {
    /// Flags of `open`'s `flags` argument (a C `int`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct OpenFlags: u32 {
        const O_WRONLY = 0o1;
        const O_RDWR = 0o2;
        const O_ACCMODE = 0o3;
        const O_CREAT = 0o100;
        const O_EXCL = 0o200;
        const O_NOCTTY = 0o400;
        const O_TRUNC = 0o1000;
        const O_APPEND = 0o2000;
        const O_NONBLOCK = 0o4000;
        const O_DSYNC = 0o10000;
        /// Signal-driven I/O (`FASYNC`).
        const O_ASYNC = 0o20000;
        const O_DIRECT = 0o40000;
        const O_LARGEFILE = 0o100000;
        const O_DIRECTORY = 0o200000;
        const O_NOFOLLOW = 0o400000;
        const O_NOATIME = 0o1000000;
        const O_CLOEXEC = 0o2000000;
        /// Full file-integrity sync; includes the `O_DSYNC` bit.
        const O_SYNC = 0o4010000;
        const O_PATH = 0o10000000;
        /// Unnamed temporary file; includes the `O_DIRECTORY` bit.
        const O_TMPFILE = 0o20200000;
    }
}

impl OpenFlags {
    /// Read-only access mode: no bits.
    pub const O_RDONLY: OpenFlags = OpenFlags::empty();
    /// Alias of `O_ASYNC`.
    pub const FASYNC: OpenFlags = OpenFlags::O_ASYNC;
    /// Alias of `O_NONBLOCK`.
    pub const O_NDELAY: OpenFlags = OpenFlags::O_NONBLOCK;
    /// Flags that `fcntl(F_SETFL)` may change; the rest are ignored.
    pub const SETFL_MASK: OpenFlags = OpenFlags::O_APPEND
        .union(OpenFlags::O_ASYNC)
        .union(OpenFlags::O_NONBLOCK)
        .union(OpenFlags::O_DIRECT)
        .union(OpenFlags::O_NOATIME);

    /// The access mode: `O_RDONLY`, `O_WRONLY`, `O_RDWR` (or 3, which Linux
    /// accepts for some device ioctl-only opens).
    pub const fn access_mode(self) -> u32 {
        self.bits() & O_ACCMODE
    }

    /// True when the access mode permits reading.
    pub const fn readable(self) -> bool {
        matches!(self.access_mode(), O_RDONLY | O_RDWR)
    }

    /// True when the access mode permits writing.
    pub const fn writable(self) -> bool {
        matches!(self.access_mode(), O_WRONLY | O_RDWR)
    }
}
