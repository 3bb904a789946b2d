//! Superblocks: one per filesystem instance (the initramfs root, each
//! tmpfs, ramfs or proc mount, the pipes' pipefs). A superblock owns the
//! instance's device number (st_dev), its type, its read-only flag and its
//! limits (tmpfs's `size=` and `nr_inodes=`), and counts the pages and
//! inodes in use. Every inode holds its superblock; the superblock holds
//! its root directory only until the last mount of it is gone, when the
//! tree is taken apart (directories and their `..` point at each other).
//! What a filesystem does beyond the in-memory tree is its operations
//! (`SuperOperations`): a disk filesystem's writes back and commits, and
//! the last unmount lets go of its disk.

use alloc::collections::BTreeSet;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use abi::{makedev, Errno, Statfs, Timespec};
use spin::{Mutex, Once};

use super::fs_type::FileSystemType;
use super::inode::{Content, Inode};
use super::super_ops::{SimpleOps, SuperOperations};

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
    pub kind: &'static FileSystemType,
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
    /// The filesystem's operations, set once when it is mounted (simple
    /// ones when none are set).
    ops: Once<Arc<dyn SuperOperations>>,
}

impl SuperBlock {
    pub fn new(kind: &'static FileSystemType, flags: u32) -> Arc<SuperBlock> {
        let minor = alloc_lowest(&mut ANON_MINORS.lock(), 1);
        Self::with_dev(kind, flags, makedev(0, minor), minor)
    }

    /// A disk filesystem's superblock: its st_dev is the disk's number.
    pub fn new_on_device(kind: &'static FileSystemType, flags: u32, dev: u64) -> Arc<SuperBlock> {
        Self::with_dev(kind, flags, dev, 0)
    }

    /// `minor` is the anonymous minor to free with it (0: none).
    fn with_dev(kind: &'static FileSystemType, flags: u32, dev: u64, minor: u32) -> Arc<SuperBlock> {
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
            ops: Once::new(),
        })
    }

    /// True for a superblock of filesystem type `kind`.
    pub fn is(&self, kind: &FileSystemType) -> bool {
        core::ptr::eq(self.kind, kind)
    }

    /// Sets the filesystem's operations (once, at mount).
    pub fn set_ops(&self, ops: Arc<dyn SuperOperations>) {
        self.ops.call_once(|| ops);
    }

    /// The filesystem's operations (simple ones when none were set).
    pub fn ops(&self) -> &dyn SuperOperations {
        static SIMPLE: SimpleOps = SimpleOps;
        match self.ops.get() {
            Some(ops) => ops.as_ref(),
            None => &SIMPLE,
        }
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
                self.ops().sync_for_unmount();
                tear_down(root);
                self.ops().put_super();
            }
        }
    }

    /// `t` as the filesystem keeps times: rounded down to its granularity.
    pub fn round_time(&self, t: Timespec) -> Timespec {
        let granularity = i64::from(self.ops().time_granularity().max(1));
        Timespec { tv_sec: t.tv_sec, tv_nsec: t.tv_nsec - t.tv_nsec % granularity }
    }

    /// statfs(2)'s figures, as the filesystem reports them.
    pub fn statfs(&self) -> Statfs {
        self.ops().statfs(self)
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
