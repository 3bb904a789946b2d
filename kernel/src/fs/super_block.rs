//! Superblocks: one per filesystem instance (the initramfs root, each
//! tmpfs, ramfs or proc mount, the pipes' pipefs). A superblock owns the
//! instance's device number (st_dev), its type, its read-only flag and its
//! limits (tmpfs's `size=` and `nr_inodes=`), and counts the pages and
//! inodes in use. Every inode holds its superblock; the superblock holds
//! its root directory only until the last mount of it is gone, when the
//! tree is taken apart (directories and their `..` point at each other).
//! A disk filesystem (kestrelfs) also holds its `Volume` here, which the
//! last unmount writes back and closes.

use alloc::collections::BTreeSet;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use abi::{makedev, Errno, Statfs};
use spin::{Mutex, Once};

use super::inode::{Content, Inode};

/// What a superblock holds: Linux's filesystem types this kernel has.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FsKind {
    /// The initramfs root: a ramfs named "rootfs", as Linux's.
    Rootfs,
    Ramfs,
    Tmpfs,
    /// Pipes' inodes; never mounted.
    Pipefs,
    /// The process information pseudo-filesystem (fs/proc).
    Proc,
    /// The native compressed filesystem on a disk (kestrel/).
    Kestrel,
}

impl FsKind {
    pub fn name(self) -> &'static str {
        match self {
            FsKind::Rootfs => "rootfs",
            FsKind::Ramfs => "ramfs",
            FsKind::Tmpfs => "tmpfs",
            FsKind::Pipefs => "pipefs",
            FsKind::Proc => "proc",
            FsKind::Kestrel => "kestrelfs",
        }
    }

    pub fn magic(self) -> i64 {
        match self {
            FsKind::Rootfs | FsKind::Ramfs => abi::RAMFS_MAGIC,
            FsKind::Tmpfs => abi::TMPFS_MAGIC,
            FsKind::Pipefs => abi::PIPEFS_MAGIC,
            FsKind::Proc => abi::PROC_SUPER_MAGIC,
            FsKind::Kestrel => super::kestrel::KESTRELFS_MAGIC,
        }
    }
}

// Superblock flags (Linux's SB_*, the same bits as MS_*).
pub const SB_RDONLY: u32 = 1;
pub const SB_SYNCHRONOUS: u32 = 16;
pub const SB_MANDLOCK: u32 = 64;
pub const SB_DIRSYNC: u32 = 128;
pub const SB_LAZYTIME: u32 = 1 << 25;
/// The flags a remount may change (Linux's MS_RMT_MASK, less I_VERSION).
pub const SB_REMOUNT_MASK: u32 = SB_RDONLY | SB_SYNCHRONOUS | SB_MANDLOCK | SB_LAZYTIME;

/// Anonymous device minors in use (major 0, as Linux's get_anon_bdev):
/// the lowest free one is handed out, and freed with the superblock.
static ANON_MINORS: Mutex<BTreeSet<u32>> = Mutex::new(BTreeSet::new());

/// The lowest number from `min` on that `used` does not hold, now taken.
pub fn alloc_lowest(used: &mut BTreeSet<u32>, min: u32) -> u32 {
    let mut n = min;
    for &u in used.range(min..) {
        if u != n {
            break;
        }
        n += 1;
    }
    used.insert(n);
    n
}

pub struct SuperBlock {
    pub kind: FsKind,
    pub dev: u64,
    minor: u32,
    flags: AtomicU32,
    /// Page limit (tmpfs `size=`); 0 is none.
    max_blocks: AtomicU64,
    used_blocks: AtomicU64,
    /// Inode limit (tmpfs `nr_inodes=`); 0 is none.
    max_inodes: AtomicU64,
    used_inodes: AtomicU64,
    /// The tree's root, dropped when the last mount goes.
    root: Mutex<Option<Arc<Inode>>>,
    /// Mounts of this superblock (bind mounts share it).
    mounts: AtomicUsize,
    /// Files open for writing on it (a remount read-only is EBUSY then).
    writers: AtomicUsize,
    /// The root directory's mode, uid and gid as mounted (/proc/mounts).
    root_owner: [AtomicU32; 3],
    /// A disk filesystem's state (kestrelfs), set once when it is mounted.
    pub kestrel: Once<Arc<super::kestrel::Volume>>,
}

impl SuperBlock {
    pub fn new(kind: FsKind, flags: u32) -> Arc<SuperBlock> {
        let minor = alloc_lowest(&mut ANON_MINORS.lock(), 1);
        Self::with_dev(kind, flags, makedev(0, minor), minor)
    }

    /// A disk filesystem's superblock: its st_dev is the disk's number.
    pub fn new_on_device(kind: FsKind, flags: u32, dev: u64) -> Arc<SuperBlock> {
        Self::with_dev(kind, flags, dev, 0)
    }

    /// `minor` is the anonymous minor to free with it (0: none).
    fn with_dev(kind: FsKind, flags: u32, dev: u64, minor: u32) -> Arc<SuperBlock> {
        Arc::new(SuperBlock {
            kind,
            dev,
            minor,
            flags: AtomicU32::new(flags),
            max_blocks: AtomicU64::new(0),
            used_blocks: AtomicU64::new(0),
            max_inodes: AtomicU64::new(0),
            used_inodes: AtomicU64::new(0),
            root: Mutex::new(None),
            mounts: AtomicUsize::new(0),
            writers: AtomicUsize::new(0),
            root_owner: [AtomicU32::new(0), AtomicU32::new(0), AtomicU32::new(0)],
            kestrel: Once::new(),
        })
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    pub fn set_flags(&self, flags: u32) {
        self.flags.store(flags, Ordering::Relaxed);
    }

    pub fn is_readonly(&self) -> bool {
        self.flags() & SB_RDONLY != 0
    }

    pub fn limits(&self) -> (u64, u64) {
        (self.max_blocks.load(Ordering::Relaxed), self.max_inodes.load(Ordering::Relaxed))
    }

    pub fn usage(&self) -> (u64, u64) {
        (self.used_blocks.load(Ordering::Relaxed), self.used_inodes.load(Ordering::Relaxed))
    }

    pub fn set_limits(&self, max_blocks: u64, max_inodes: u64) {
        self.max_blocks.store(max_blocks, Ordering::Relaxed);
        self.max_inodes.store(max_inodes, Ordering::Relaxed);
    }

    /// Makes `root` the tree's root, with the mode and owner it has.
    pub fn set_root(&self, root: Arc<Inode>) {
        let (mode, uid, gid) = {
            let i = root.lock();
            (i.mode & 0o7777, i.uid, i.gid)
        };
        for (slot, v) in self.root_owner.iter().zip([mode, uid, gid]) {
            slot.store(v, Ordering::Relaxed);
        }
        *self.root.lock() = Some(root);
    }

    /// The tree's root, while the filesystem is mounted.
    pub fn root(&self) -> Option<Arc<Inode>> {
        self.root.lock().clone()
    }

    /// The root directory's mode, uid and gid when it was mounted.
    pub fn root_owner(&self) -> (u32, u32, u32) {
        let [m, u, g] = &self.root_owner;
        (m.load(Ordering::Relaxed), u.load(Ordering::Relaxed), g.load(Ordering::Relaxed))
    }

    /// Takes `n` pages of the limit; ENOSPC past it.
    pub fn charge_blocks(&self, n: u64) -> Result<(), Errno> {
        charge(&self.used_blocks, self.max_blocks.load(Ordering::Relaxed), n)
    }

    pub fn release_blocks(&self, n: u64) {
        self.used_blocks.fetch_sub(n, Ordering::Relaxed);
    }

    /// Takes one inode of the limit; ENOSPC past it.
    pub fn reserve_inode(&self) -> Result<(), Errno> {
        charge(&self.used_inodes, self.max_inodes.load(Ordering::Relaxed), 1)
    }

    /// Counts an inode the limit does not apply to (a root, a pipe).
    pub fn reserve_inode_unchecked(&self) {
        self.used_inodes.fetch_add(1, Ordering::Relaxed);
    }

    pub fn release_inode(&self) {
        self.used_inodes.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn writers(&self) -> usize {
        self.writers.load(Ordering::Relaxed)
    }

    pub fn get_write(&self) {
        self.writers.fetch_add(1, Ordering::Relaxed);
    }

    pub fn put_write(&self) {
        self.writers.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn add_mount(&self) {
        self.mounts.fetch_add(1, Ordering::Relaxed);
    }

    /// A mount of this superblock is gone; after the last, its tree is
    /// taken apart so that the directory cycles free every inode.
    pub fn remove_mount(&self) {
        if self.mounts.fetch_sub(1, Ordering::Relaxed) == 1 {
            if let Some(root) = self.root.lock().take() {
                // A disk filesystem writes everything back first, and
                // lets go of the disk once its inodes are gone.
                let volume = self.kestrel.get().cloned();
                if let Some(v) = &volume {
                    v.sync_for_unmount();
                }
                tear_down(root);
                if let Some(v) = volume {
                    v.close();
                }
            }
        }
    }

    /// statfs(2)'s figures: tmpfs reports its limits and what is left
    /// (shmem_statfs), ramfs and pipefs only their type (simple_statfs).
    pub fn statfs(&self) -> Statfs {
        if let Some(volume) = self.kestrel.get() {
            return volume.statfs(self);
        }
        let mut s = Statfs {
            f_type: self.kind.magic(),
            f_bsize: 4096,
            f_namelen: super::namei::NAME_MAX as i64,
            f_frsize: 4096,
            ..Statfs::default()
        };
        if self.kind == FsKind::Tmpfs {
            let (max_blocks, max_inodes) = self.limits();
            let (used_blocks, used_inodes) = self.usage();
            if max_blocks != 0 {
                s.f_blocks = max_blocks;
                s.f_bfree = max_blocks.saturating_sub(used_blocks);
                s.f_bavail = s.f_bfree;
            }
            if max_inodes != 0 {
                s.f_files = max_inodes;
                s.f_ffree = max_inodes.saturating_sub(used_inodes);
            }
            s.f_fsid = [self.dev as u32 as i32, (self.dev >> 32) as u32 as i32];
        }
        s
    }
}

fn charge(counter: &AtomicU64, max: u64, n: u64) -> Result<(), Errno> {
    let used = counter.fetch_add(n, Ordering::Relaxed);
    if max != 0 && used + n > max {
        counter.fetch_sub(n, Ordering::Relaxed);
        return Err(Errno::ENOSPC);
    }
    Ok(())
}

impl Drop for SuperBlock {
    fn drop(&mut self) {
        if self.minor != 0 {
            ANON_MINORS.lock().remove(&self.minor);
        }
    }
}

/// Empties every directory below `root`, without recursion, so that no
/// directory and its children keep each other alive.
fn tear_down(root: Arc<Inode>) {
    let mut dirs: Vec<Arc<Inode>> = alloc::vec![root];
    while let Some(dir) = dirs.pop() {
        let children = match &mut dir.lock().content {
            Content::Dir(d) => {
                d.set_parent(None);
                d.take_all()
            }
            _ => Vec::new(),
        };
        dirs.extend(children.into_iter().filter(|c| c.is_dir()));
    }
}
