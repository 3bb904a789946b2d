//! The `*at` family's directory-descriptor convention and `flags` bits.

use bitflags::bitflags;

/// `dirfd` value meaning "relative to the current working directory".
pub const AT_FDCWD: i32 = -100;

bitflags! {
    /// `flags` of `fstatat`, `unlinkat`, `linkat`, `faccessat2`, `statx`….
    /// Each call accepts only some of them; note `AT_EACCESS` and
    /// `AT_REMOVEDIR` share a value and are told apart by the call.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct AtFlags: u32 {
        /// Don't follow a trailing symlink.
        const AT_SYMLINK_NOFOLLOW = 0x100;
        /// `faccessat`: check with the effective ids.
        const AT_EACCESS = 0x200;
        /// `unlinkat`: remove a directory.
        const AT_REMOVEDIR = 0x200;
        /// `linkat`: follow a trailing symlink.
        const AT_SYMLINK_FOLLOW = 0x400;
        const AT_NO_AUTOMOUNT = 0x800;
        /// An empty path means `dirfd` itself.
        const AT_EMPTY_PATH = 0x1000;
        const AT_STATX_FORCE_SYNC = 0x2000;
        const AT_STATX_DONT_SYNC = 0x4000;
        const AT_RECURSIVE = 0x8000;
    }
}

impl AtFlags {
    /// `statx`: do whatever `stat` does (zero).
    pub const AT_STATX_SYNC_AS_STAT: AtFlags = AtFlags::empty();
    /// `statx`: mask of the sync-type field.
    pub const AT_STATX_SYNC_TYPE: AtFlags = AtFlags::AT_STATX_FORCE_SYNC.union(AtFlags::AT_STATX_DONT_SYNC);
}
