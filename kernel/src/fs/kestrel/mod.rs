//! kestrelfs: the native compressed filesystem (rootfs/FORMAT.md) on a
//! disk, mounted with `mount -t kestrelfs /dev/vda /mnt` or as the root
//! with `root=/dev/vda`. The format itself is the `kestrelfs` crate,
//! shared with the host tools; this module puts it under the VFS.
//!
//! The VFS keeps every file in memory as an `Inode` (inode.rs): a mount
//! reads the whole tree of names and metadata from the disk (load.rs),
//! and file contents a chunk at a time when first needed (backing.rs,
//! filedata.rs), so the RAM filesystems' code serves this one too. What
//! changes reaches the library's `Fs` three ways:
//! - names (create, link, unlink, rmdir, rename) at once, from hooks in
//!   ramfs.rs (names.rs), so the disk's directories follow the VFS's;
//! - file contents at writeback, from the pages marked dirty;
//! - metadata (mode, owner, times) at writeback, by comparing each live
//!   inode with its record (writeback.rs).
//!
//! A writeback ends in a commit (`Fs::sync`), which is what makes changes
//! durable: sync(2), syncfs(2), fsync(2), fdatasync(2), the periodic
//! writeback of dirty data, unmount and power-off all commit the whole
//! filesystem, as FORMAT.md's commit protocol has it. Until then the disk
//! still holds the last commit, complete, whatever happens.
//!
//! Every inode the kernel holds is pinned in the `Fs`, so a file unlinked
//! while open stays on the disk (on the orphan list) until its inode goes.
//! An inode's drop only queues its number (`forget`); the queue is worked
//! off the next time the filesystem is locked, since a drop may happen
//! with any lock held.
//!
//! Lock order: the namespace lock, then an inode lock, then the `Fs` lock
//! (`Volume::fs`); the volume's small bookkeeping locks are leaves.

pub mod attr;
pub mod disk;
pub mod load;
pub mod mount;
pub mod names;
pub mod ops;
pub mod reclaim;
pub mod stack;
pub mod writeback;

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::Errno;
use kestrelfs::{Compression, Error, Fs};
use spin::{Mutex, MutexGuard};

use super::backing::Store;
use super::inode::Inode;
use super::super_block::SuperBlock;
use crate::block::Disk;
use disk::DiskDevice;

/// statfs's f_type for kestrelfs ("KSTR"; no Linux filesystem uses it).
pub const KESTRELFS_MAGIC: i64 = 0x4b53_5452;

/// A mounted kestrel filesystem: the library's `Fs` and what the kernel
/// tracks beside it.
pub struct Volume {
    pub disk: Arc<Disk>,
    /// None once closed (unmounted).
    fs: Mutex<Option<Fs<DiskDevice>>>,
    pub sb: Weak<SuperBlock>,
    chunk_size: u64,
    /// The kernel's inodes of this filesystem, by number.
    inodes: Mutex<BTreeMap<u64, Weak<Inode>>>,
    /// Numbers of inodes made but not yet named on the disk.
    unborn: Mutex<BTreeSet<u64>>,
    /// Inodes gone from memory, to unpin.
    dropped: Mutex<Vec<u64>>,
    /// Files with changes to write back, and files with mapped pages.
    dirty: Mutex<BTreeSet<u64>>,
    mapped: Mutex<BTreeSet<u64>>,
    /// When data first became dirty since the last writeback (uptime ns; 0: clean).
    dirty_since: AtomicU64,
    /// Changed pages not yet written back, against the free blocks.
    dirty_pages: AtomicU64,
    free_blocks: AtomicU64,
    /// The `Fs` changed since its last commit.
    uncommitted: AtomicBool,
    /// No more commits: mounted or remounted read-only.
    read_only: AtomicBool,
    /// The mount option `compress=` in force, if one was given.
    compress_option: Mutex<Option<Compression>>,
}

/// Mounted volumes, for sync(2), power-off and a second mount of a disk.
static VOLUMES: Mutex<Vec<Arc<Volume>>> = Mutex::new(Vec::new());

pub fn volumes() -> Vec<Arc<Volume>> {
    VOLUMES.lock().clone()
}

/// The mounted volumes, unless their lock is held (reclaim only tries it).
pub fn try_volumes() -> Option<Vec<Arc<Volume>>> {
    VOLUMES.try_lock().map(|v| v.clone())
}

/// The errno for a library error (a damaged image is Linux's EFSCORRUPTED,
/// which is EUCLEAN).
pub fn errno(e: &Error) -> Errno {
    match e {
        Error::Device(_) => Errno::EIO,
        Error::Corrupt(_) => Errno::EUCLEAN,
        Error::Unsupported { .. } | Error::DeviceTooSmall | Error::InvalidName | Error::InvalidArgument => {
            Errno::EINVAL
        }
        Error::ReadOnly => Errno::EROFS,
        Error::NotFound => Errno::ENOENT,
        Error::Exists => Errno::EEXIST,
        Error::NotDir => Errno::ENOTDIR,
        Error::IsDir => Errno::EISDIR,
        Error::NotEmpty => Errno::ENOTEMPTY,
        Error::NoSpace => Errno::ENOSPC,
        Error::NameTooLong => Errno::ENAMETOOLONG,
        Error::FileTooBig => Errno::EFBIG,
        Error::TooManyLinks => Errno::EMLINK,
    }
}

/// The library's time from the kernel's.
pub fn to_disk_time(t: abi::Timespec) -> kestrelfs::Timespec {
    kestrelfs::Timespec { sec: t.tv_sec, nsec: t.tv_nsec.clamp(0, 999_999_999) as u32 }
}

pub fn from_disk_time(t: kestrelfs::Timespec) -> abi::Timespec {
    abi::Timespec { tv_sec: t.sec, tv_nsec: i64::from(t.nsec) }
}

impl Volume {
    fn new(disk: Arc<Disk>, fs: Fs<DiskDevice>, sb: Weak<SuperBlock>, read_only: bool) -> Volume {
        disk.hold();
        Volume {
            disk,
            chunk_size: fs.chunk_size(),
            free_blocks: AtomicU64::new(fs.free_blocks()),
            fs: Mutex::new(Some(fs)),
            sb,
            inodes: Mutex::new(BTreeMap::new()),
            unborn: Mutex::new(BTreeSet::new()),
            dropped: Mutex::new(Vec::new()),
            dirty: Mutex::new(BTreeSet::new()),
            mapped: Mutex::new(BTreeSet::new()),
            dirty_since: AtomicU64::new(0),
            dirty_pages: AtomicU64::new(0),
            uncommitted: AtomicBool::new(false),
            read_only: AtomicBool::new(read_only),
            compress_option: Mutex::new(None),
        }
    }

    pub fn name(&self) -> &str {
        &self.disk.name
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only.load(Ordering::Relaxed)
    }

    /// Locks the filesystem, first unpinning the inodes dropped since
    /// the last time. EIO once the volume is closed.
    fn lock(&self) -> Result<MutexGuard<'_, Option<Fs<DiskDevice>>>, Errno> {
        let mut guard = self.fs.lock();
        let fs = guard.as_mut().ok_or(Errno::EIO)?;
        let dropped = core::mem::take(&mut *self.dropped.lock());
        for ino in dropped {
            self.inodes.lock().remove(&ino);
            self.unborn.lock().remove(&ino);
            self.dirty.lock().remove(&ino);
            self.mapped.lock().remove(&ino);
            if !fs.is_read_only() {
                if let Err(e) = stack::run(|| fs.unpin(ino)) {
                    crate::pr_err!("kestrelfs ({}): releasing inode {}: {}", self.name(), ino, e);
                }
                self.uncommitted.store(true, Ordering::Relaxed);
            }
        }
        Ok(guard)
    }

    /// Runs `f`, which only looks, on the filesystem. Library errors
    /// become errnos; damage is logged.
    pub fn with_fs<T>(&self, f: impl FnOnce(&mut Fs<DiskDevice>) -> kestrelfs::Result<T>) -> Result<T, Errno> {
        let mut guard = self.lock()?;
        let fs = guard.as_mut().ok_or(Errno::EIO)?;
        stack::run(|| f(fs)).map_err(|e| self.fail(&e))
    }

    /// Runs `f`, which changes the filesystem: committed at the next writeback.
    pub fn change<T>(&self, f: impl FnOnce(&mut Fs<DiskDevice>) -> kestrelfs::Result<T>) -> Result<T, Errno> {
        let mut guard = self.lock()?;
        let fs = guard.as_mut().ok_or(Errno::EIO)?;
        self.uncommitted.store(true, Ordering::Relaxed);
        stack::run(|| f(fs)).map_err(|e| self.fail(&e))
    }

    /// The errno for `e`, logging damage and device errors.
    fn fail(&self, e: &Error) -> Errno {
        if matches!(e, Error::Corrupt(_) | Error::Device(_)) {
            crate::pr_err!("kestrelfs ({}): {}", self.name(), e);
        }
        errno(e)
    }

    /// A kernel inode of this filesystem exists (pinned by the caller).
    fn register(&self, inode: &Arc<Inode>) {
        self.inodes.lock().insert(inode.ino, Arc::downgrade(inode));
    }

    /// Pages changed and not yet written back (meminfo's Dirty).
    pub fn dirty_page_count(&self) -> u64 {
        self.dirty_pages.load(Ordering::Relaxed)
    }

    /// The kernel inodes of this filesystem in memory now; None when the
    /// table's lock is held (reclaim only tries it).
    pub fn try_inodes_in_memory(&self) -> Option<alloc::vec::Vec<Arc<Inode>>> {
        Some(self.inodes.try_lock()?.values().filter_map(Weak::upgrade).collect())
    }

    /// The kernel inode `ino`, if it is in memory.
    pub fn inode(&self, ino: u64) -> Option<Arc<Inode>> {
        self.inodes.lock().get(&ino).and_then(Weak::upgrade)
    }

    /// Every inode in memory, with its number.
    fn live_inodes(&self) -> Vec<Arc<Inode>> {
        self.inodes.lock().values().filter_map(Weak::upgrade).collect()
    }

    fn is_unborn(&self, ino: u64) -> bool {
        self.unborn.lock().contains(&ino)
    }

    /// Inode `ino` left memory (its drop): unpinned at the next lock.
    pub fn forget(&self, ino: u64) {
        self.dropped.lock().push(ino);
    }

    /// The mount option `compress=` given, for /proc/mounts.
    pub fn compress_option(&self) -> Option<Compression> {
        *self.compress_option.lock()
    }
}

impl Store for Volume {
    fn chunk_size(&self) -> u64 {
        self.chunk_size
    }

    fn read_chunk(&self, ino: u64, chunk: u64) -> Result<Vec<u8>, Errno> {
        let mut guard = self.lock()?;
        let fs = guard.as_mut().ok_or(Errno::EIO)?;
        stack::run(|| fs.read_chunk(ino, chunk)).map_err(|e| self.fail(&e))
    }

    fn dirtied(&self, ino: u64, mapped: bool) {
        if mapped {
            self.mapped.lock().insert(ino);
        } else {
            self.dirty.lock().insert(ino);
        }
        let now = crate::time::uptime_ns().max(1);
        let _ = self.dirty_since.compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed);
    }

    fn reserve(&self, pages: u64) -> Result<(), Errno> {
        if self.is_read_only() {
            return Err(Errno::EROFS);
        }
        // Metadata needs room too: keep 1/64 of what is free, at least 64 blocks.
        let free = self.free_blocks.load(Ordering::Relaxed);
        let usable = free.saturating_sub((free / 64).max(64));
        let before = self.dirty_pages.fetch_add(pages, Ordering::Relaxed);
        if before + pages > usable {
            self.dirty_pages.fetch_sub(pages, Ordering::Relaxed);
            return Err(Errno::ENOSPC);
        }
        Ok(())
    }
}

/// The disk is held from the mount until the last reference to the
/// volume goes (the superblock's, after the unmount).
impl Drop for Volume {
    fn drop(&mut self) {
        self.disk.release();
    }
}
