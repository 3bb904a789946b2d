//! Memory-mapping flags and advice: `mmap`, `mprotect`, `mremap`, `madvise`,
//! `msync`.

use bitflags::bitflags;

bitflags! {
    /// `prot` of `mmap`/`mprotect`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct ProtFlags: u32 {
        const PROT_READ = 0x1;
        const PROT_WRITE = 0x2;
        const PROT_EXEC = 0x4;
        const PROT_SEM = 0x8;
        /// `mprotect`: extend the change down to the start of a grows-down
        /// mapping.
        const PROT_GROWSDOWN = 0x0100_0000;
        /// `mprotect`: extend the change up to the end of a grows-up mapping.
        const PROT_GROWSUP = 0x0200_0000;
    }
}

impl ProtFlags {
    /// No access (zero).
    pub const PROT_NONE: ProtFlags = ProtFlags::empty();
}

/// No access (zero), as a plain number.
pub const PROT_NONE: u32 = 0;

bitflags! {
    /// `flags` of `mmap`. The low four bits are the mapping type (see
    /// [`MapFlags::map_type`]), of which `MAP_SHARED_VALIDATE` is a value
    /// rather than the union of `MAP_SHARED` and `MAP_PRIVATE`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MapFlags: u32 {
        const MAP_SHARED = 0x01;
        const MAP_PRIVATE = 0x02;
        /// Shared, and fail with `EOPNOTSUPP` on unknown flags.
        const MAP_SHARED_VALIDATE = 0x03;
        /// Mask of the mapping-type field.
        const MAP_TYPE = 0x0f;
        const MAP_FIXED = 0x10;
        const MAP_ANONYMOUS = 0x20;
        /// Place the mapping in the first 2 GiB.
        const MAP_32BIT = 0x40;
        const MAP_GROWSDOWN = 0x0100;
        /// Ignored.
        const MAP_DENYWRITE = 0x0800;
        /// Ignored.
        const MAP_EXECUTABLE = 0x1000;
        const MAP_LOCKED = 0x2000;
        const MAP_NORESERVE = 0x4000;
        const MAP_POPULATE = 0x8000;
        const MAP_NONBLOCK = 0x1_0000;
        const MAP_STACK = 0x2_0000;
        const MAP_HUGETLB = 0x4_0000;
        const MAP_SYNC = 0x8_0000;
        /// Like `MAP_FIXED` but fail with `EEXIST` instead of replacing.
        const MAP_FIXED_NOREPLACE = 0x10_0000;
        const MAP_UNINITIALIZED = 0x400_0000;
    }
}

impl MapFlags {
    /// Alias of `MAP_ANONYMOUS`.
    pub const MAP_ANON: MapFlags = MapFlags::MAP_ANONYMOUS;

    /// The mapping type (`flags & MAP_TYPE`): 1 shared, 2 private,
    /// 3 shared-validate; anything else is `EINVAL`.
    pub const fn map_type(self) -> u32 {
        self.bits() & MapFlags::MAP_TYPE.bits()
    }
}

/// Value of `mmap`'s return on failure in C (`(void *)-1`).
pub const MAP_FAILED: u64 = u64::MAX;

bitflags! {
    /// `flags` of `mremap`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MremapFlags: u32 {
        /// The mapping may be moved to grow.
        const MREMAP_MAYMOVE = 1;
        /// Move to the address given in the fifth argument (needs MAYMOVE).
        const MREMAP_FIXED = 2;
        /// Move, but leave the old range mapped (empty).
        const MREMAP_DONTUNMAP = 4;
    }
}

// `madvise` advice values (an `int`).
pub const MADV_NORMAL: i32 = 0;
pub const MADV_RANDOM: i32 = 1;
pub const MADV_SEQUENTIAL: i32 = 2;
pub const MADV_WILLNEED: i32 = 3;
/// Drop the pages: private anonymous memory reads back as zeros.
pub const MADV_DONTNEED: i32 = 4;
pub const MADV_FREE: i32 = 8;
pub const MADV_REMOVE: i32 = 9;
pub const MADV_DONTFORK: i32 = 10;
pub const MADV_DOFORK: i32 = 11;
pub const MADV_MERGEABLE: i32 = 12;
pub const MADV_UNMERGEABLE: i32 = 13;
pub const MADV_HUGEPAGE: i32 = 14;
pub const MADV_NOHUGEPAGE: i32 = 15;
pub const MADV_DONTDUMP: i32 = 16;
pub const MADV_DODUMP: i32 = 17;
pub const MADV_WIPEONFORK: i32 = 18;
pub const MADV_KEEPONFORK: i32 = 19;
pub const MADV_COLD: i32 = 20;
pub const MADV_PAGEOUT: i32 = 21;
pub const MADV_POPULATE_READ: i32 = 22;
pub const MADV_POPULATE_WRITE: i32 = 23;
pub const MADV_DONTNEED_LOCKED: i32 = 24;
pub const MADV_COLLAPSE: i32 = 25;
pub const MADV_HWPOISON: i32 = 100;
pub const MADV_SOFT_OFFLINE: i32 = 101;

// `msync` flags (an `int`).
pub const MS_ASYNC: i32 = 1;
pub const MS_INVALIDATE: i32 = 2;
pub const MS_SYNC: i32 = 4;

// `mlockall` flags.
pub const MCL_CURRENT: i32 = 1;
pub const MCL_FUTURE: i32 = 2;
pub const MCL_ONFAULT: i32 = 4;
