//! Writeback: what the kernel changed goes to the library, then a commit
//! makes it durable. `sync_volume` does it all (sync, syncfs, fsync,
//! fdatasync, unmount, power-off); the flusher, a kernel thread
//! (`flusher_main`), does it once a second when data has been dirty for
//! `DIRTY_EXPIRE` or every `DIRTY_EXPIRE` for metadata, like Linux's.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use abi::{Errno, S_IFMT};
use kestrelfs::SetAttr;

use super::{to_disk_time, volumes, Volume};
use crate::fs::backing::WriteOp;
use crate::fs::inode::{Content, Inode};

/// Dirty data older than this is written back (Linux's dirty_expire is
/// 30 s; a small root filesystem can afford less).
const DIRTY_EXPIRE_NS: u64 = 5_000_000_000;
/// How often the flusher looks.
const CHECK_NS: u64 = 1_000_000_000;

static NEXT_CHECK: AtomicU64 = AtomicU64::new(0);
/// Set while a periodic writeback runs, so that it never nests.
static RUNNING: AtomicBool = AtomicBool::new(false);
static LAST_PASS: AtomicU64 = AtomicU64::new(0);

impl Volume {
    /// Hands one file's changes to the library.
    fn write_back_file(&self, inode: &Arc<Inode>) -> Result<(), Errno> {
        let ino = inode.ino;
        let mut inner = inode.lock();
        let Content::File(data) = &mut inner.content else { return Ok(()) };
        data.write_back(&mut |op| match op {
            WriteOp::SetSize(size) => self.change(|fs| {
                if fs.inode(ino)?.size != size {
                    fs.truncate(ino, size)?;
                }
                Ok(())
            }),
            WriteOp::Write(pos, bytes) => self.change(|fs| fs.write(ino, pos, bytes).map(|_| ())),
        })
    }

    /// Every file with changed pages, and every file with mapped pages.
    fn write_back_data(&self) -> Result<(), Errno> {
        let mut inos = core::mem::take(&mut *self.dirty.lock());
        inos.extend(self.mapped.lock().iter().copied());
        let mut result = Ok(());
        for ino in inos {
            let Some(inode) = self.inode(ino) else { continue };
            // Not named on the disk yet (an O_TMPFILE-like inode): later.
            let r = if self.is_unborn(ino) { Err(Errno::EAGAIN) } else { self.write_back_file(&inode) };
            if let Err(e) = r {
                self.dirty.lock().insert(ino);
                if e != Errno::EAGAIN && result.is_ok() {
                    result = Err(e);
                }
            }
        }
        result
    }

    /// Mode, owner and times of every inode in memory, where they differ
    /// from the disk's record.
    fn write_back_metadata(&self) -> Result<(), Errno> {
        for inode in self.live_inodes() {
            if self.is_unborn(inode.ino) {
                continue;
            }
            let (mode, uid, gid, atime, mtime, ctime) = {
                let i = inode.lock();
                (i.mode, i.uid, i.gid, to_disk_time(i.atime), to_disk_time(i.mtime), to_disk_time(i.ctime))
            };
            let disk = match self.with_fs(|fs| fs.inode(inode.ino)) {
                Ok(d) => d,
                Err(Errno::ENOENT) => continue, // an unlinked file's record is gone
                Err(e) => return Err(e),
            };
            let same = (disk.mode, disk.uid, disk.gid, disk.atime, disk.mtime, disk.ctime)
                == (mode, uid, gid, atime, mtime, ctime);
            if !same {
                let attr = SetAttr {
                    mode: Some(mode & !S_IFMT),
                    uid: Some(uid),
                    gid: Some(gid),
                    atime: Some(atime),
                    mtime: Some(mtime),
                    ctime: Some(ctime),
                };
                self.change(|fs| fs.set_attr(inode.ino, &attr))?;
            }
        }
        Ok(())
    }

    /// The block counts stat shows, after a writeback.
    fn refresh_block_counts(&self) {
        for inode in self.live_inodes() {
            if !inode.is_regular() || self.is_unborn(inode.ino) {
                continue;
            }
            if let Ok(blocks) = self.with_fs(|fs| fs.inode(inode.ino).map(|d| d.blocks)) {
                if let Content::File(data) = &mut inode.lock().content {
                    data.set_disk_blocks(blocks);
                }
            }
        }
    }

    /// Commits if anything changed since the last commit.
    fn commit(&self) -> Result<(), Errno> {
        let mut guard = self.lock()?;
        let fs = guard.as_mut().ok_or(Errno::EIO)?;
        if !self.uncommitted.load(Ordering::Relaxed) || fs.is_read_only() {
            return Ok(());
        }
        super::stack::run(|| fs.sync()).map_err(|e| self.fail(&e))?;
        self.uncommitted.store(false, Ordering::Relaxed);
        self.free_blocks.store(fs.free_blocks(), Ordering::Relaxed);
        Ok(())
    }

    /// Writes back everything and commits: on return, every change made
    /// before the call is on the disk.
    pub fn sync(&self) -> Result<(), Errno> {
        if self.is_read_only() {
            return Ok(());
        }
        let had_data = self.dirty_since.swap(0, Ordering::Relaxed) != 0;
        let data = self.write_back_data();
        let meta = self.write_back_metadata();
        let commit = self.commit();
        if data.is_ok() && commit.is_ok() {
            self.dirty_pages.store(0, Ordering::Relaxed);
        }
        if had_data && commit.is_ok() {
            self.refresh_block_counts();
        }
        data.and(meta).and(commit)
    }

    /// Before the last unmount tears the tree down.
    pub fn sync_for_unmount(&self) {
        if let Err(e) = self.sync() {
            crate::pr_err!("kestrelfs ({}): writeback at unmount failed: error -{}", self.name(), e.code());
        }
    }

    /// After the tree is gone: the last unpins are committed and the disk let go.
    pub fn close(&self) {
        if !self.is_read_only() {
            if let Err(e) = self.commit() {
                crate::pr_err!("kestrelfs ({}): last commit failed: error -{}", self.name(), e.code());
            }
        }
        self.fs.lock().take();
        super::VOLUMES.lock().retain(|v| !core::ptr::eq(Arc::as_ptr(v), self));
        crate::pr_info!("kestrelfs ({}): unmounted", self.name());
    }

    /// Commits and stops committing (a remount read-only, the root's umount).
    pub fn make_read_only(&self) -> Result<(), Errno> {
        self.sync()?;
        self.read_only.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn due(&self, now: u64) -> bool {
        let since = self.dirty_since.load(Ordering::Relaxed);
        since != 0 && now.saturating_sub(since) >= DIRTY_EXPIRE_NS
    }
}

/// Writes back and commits every mounted kestrel filesystem (sync(2),
/// power-off). Errors are logged.
pub fn sync_all() {
    for vol in volumes() {
        if let Err(e) = vol.sync() {
            crate::pr_err!("kestrelfs ({}): sync failed: error -{}", vol.name(), e.code());
        }
    }
}

/// The flusher kernel thread: the periodic writeback, once a second.
pub fn flusher_main() -> ! {
    loop {
        let _ = crate::sched::timer::sleep_until(crate::time::uptime_ns() + CHECK_NS);
        run_periodic();
    }
}

/// The periodic writeback: cheap unless a second has passed.
fn run_periodic() {
    let now = crate::time::uptime_ns();
    if now < NEXT_CHECK.load(Ordering::Relaxed) {
        return;
    }
    NEXT_CHECK.store(now + CHECK_NS, Ordering::Relaxed);
    if RUNNING.swap(true, Ordering::Acquire) {
        return;
    }
    let pass = now.saturating_sub(LAST_PASS.load(Ordering::Relaxed)) >= DIRTY_EXPIRE_NS;
    if pass {
        LAST_PASS.store(now, Ordering::Relaxed);
    }
    for vol in volumes() {
        if vol.is_read_only() || !(pass || vol.due(now)) {
            continue;
        }
        if let Err(e) = vol.sync() {
            crate::pr_err!("kestrelfs ({}): writeback failed: error -{}", vol.name(), e.code());
        }
    }
    RUNNING.store(false, Ordering::Release);
}
