//! Advisory file locks (Linux's fs/locks.c): flock(2) locks (flock.rs),
//! POSIX record locks and open-file-description (OFD) record locks
//! through fcntl(2) (posix.rs), and their listing in /proc/locks.
//!
//! Every lock of the system sits in one table, by file (device and inode
//! number), behind one lock. flock locks belong to an open file
//! description and only meet other flock locks; record locks (range.rs)
//! belong to a process (POSIX) or an open file description (OFD), and
//! POSIX and OFD locks conflict with each other, even within a process.
//!
//! A task that must wait for a lock sleeps on one wait queue, woken
//! whenever a lock goes or weakens, and then tries again.
//!
//! Lock order: the table's lock is a leaf. It is taken under a process's
//! descriptor table lock (a close releases the process's POSIX locks) and
//! from an open file's drop anywhere; nothing else is taken while it is
//! held, and waiters are woken after it is released.

pub mod flock;
mod list;
pub mod posix;
mod range;

pub use list::proc_locks;

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use spin::Mutex;

use self::range::{LockKind, Owner, RecordLocks};
use super::file::OpenFile;
use super::inode::Inode;
use crate::sched::wait::WaitQueue;

/// A file, as /proc/locks names it: its filesystem's device and its inode.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct FileKey {
    dev: u64,
    ino: u64,
}

impl FileKey {
    fn of(inode: &Inode) -> FileKey {
        FileKey { dev: inode.sb.dev, ino: inode.ino }
    }
}

/// A flock(2) lock: held by an open file description.
#[derive(Clone, Copy)]
struct FlockLock {
    file: usize,
    kind: LockKind,
    pid: u32,
}

/// The locks on one file.
#[derive(Default)]
struct FileLocks {
    flocks: Vec<FlockLock>,
    records: RecordLocks,
}

impl FileLocks {
    fn is_empty(&self) -> bool {
        self.flocks.is_empty() && self.records.is_empty()
    }
}

/// A request a thread sleeps on: listed in /proc/locks under the lock in
/// its way, and followed by the deadlock check (POSIX requests only).
struct Waiter {
    tid: u32,
    key: FileKey,
    wants: Wanted,
}

enum Wanted {
    Flock(FlockLock),
    Record(range::Request),
}

struct LockTable {
    files: BTreeMap<FileKey, FileLocks>,
    waiters: Vec<Waiter>,
}

static TABLE: Mutex<LockTable> = Mutex::new(LockTable { files: BTreeMap::new(), waiters: Vec::new() });

/// How many files have locks: closes and drops skip the table when none.
static LOCKED_FILES: AtomicUsize = AtomicUsize::new(0);

/// Where lock waiters sleep.
static WAITERS: WaitQueue = WaitQueue::new();

impl LockTable {
    fn locks_mut(&mut self, key: FileKey) -> &mut FileLocks {
        self.files.entry(key).or_default()
    }

    /// Forgets files left without locks, and counts the others.
    /// The thread no longer waits (it got its lock, or gave up).
    fn forget_waiter(&mut self, tid: u32) {
        self.waiters.retain(|w| w.tid != tid);
    }

    fn tidy(&mut self, key: FileKey) {
        if self.files.get(&key).is_some_and(FileLocks::is_empty) {
            self.files.remove(&key);
        }
        LOCKED_FILES.store(self.files.len(), Ordering::Relaxed);
    }
}

/// The identity of an open file description as a lock owner.
fn file_id(file: &OpenFile) -> usize {
    file as *const OpenFile as usize
}

/// Wakes every lock waiter, to try again.
fn wake_waiters() {
    WAITERS.wake_all();
}

/// A process closed a descriptor of `inode`: its POSIX locks on the file
/// go (whichever descriptor set them), as POSIX demands.
pub fn release_posix_on_close(inode: &Inode, tgid: u32) {
    if LOCKED_FILES.load(Ordering::Relaxed) == 0 {
        return;
    }
    let key = FileKey::of(inode);
    let removed = {
        let mut table = TABLE.lock();
        let removed = table.files.get_mut(&key).is_some_and(|f| f.records.remove_owner(Owner::Process(tgid)));
        table.tidy(key);
        removed
    };
    if removed {
        wake_waiters();
    }
}

/// A process ended: every POSIX lock it held goes.
pub fn release_process(tgid: u32) {
    if LOCKED_FILES.load(Ordering::Relaxed) == 0 {
        return;
    }
    let removed = {
        let mut table = TABLE.lock();
        let keys: Vec<FileKey> = table.files.keys().copied().collect();
        let mut removed = false;
        for key in keys {
            removed |= table.locks_mut(key).records.remove_owner(Owner::Process(tgid));
            table.tidy(key);
        }
        removed
    };
    if removed {
        wake_waiters();
    }
}

/// The last reference to an open file description went: its flock and
/// OFD locks go.
pub fn release_file(file: &OpenFile) {
    if LOCKED_FILES.load(Ordering::Relaxed) == 0 {
        return;
    }
    let key = FileKey::of(file.inode());
    let id = file_id(file);
    let removed = {
        let mut table = TABLE.lock();
        let removed = table.files.get_mut(&key).is_some_and(|f| {
            let before = f.flocks.len();
            f.flocks.retain(|l| l.file != id);
            f.records.remove_owner(Owner::File(id)) || f.flocks.len() != before
        });
        table.tidy(key);
        removed
    };
    if removed {
        wake_waiters();
    }
}
