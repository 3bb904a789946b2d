//! flock(2): whole-file locks held by an open file description, so
//! shared by dup and fork and released when its last descriptor closes.
//! They meet only other flock locks.

use abi::fcntl::{LOCK_EX, LOCK_MAND, LOCK_NB, LOCK_SH, LOCK_UN};
use abi::Errno;
use core::sync::atomic::{AtomicBool, Ordering};

use super::range::LockKind;
use super::{file_id, wake_waiters, FileKey, FlockLock, Waiter, Wanted, TABLE, WAITERS};
use crate::fs::file::get_file;
use crate::sched::current;

/// What a flock operation asks for: a lock of a kind, or none.
fn decode(operation: i32) -> Result<Option<LockKind>, Errno> {
    match operation & !LOCK_NB {
        LOCK_SH => Ok(Some(LockKind::Read)),
        LOCK_EX => Ok(Some(LockKind::Write)),
        LOCK_UN => Ok(None),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_flock(fd: i32, operation: i32) -> Result<usize, Errno> {
    // Linux 6.1 ignores LOCK_MAND requests (with a warning), descriptor
    // unchecked; a bad operation is EINVAL before a bad descriptor.
    if operation & LOCK_MAND != 0 {
        log_mand_once();
        return Ok(0);
    }
    let kind = decode(operation)?;
    let file = get_file(fd)?;
    let key = FileKey::of(file.inode());
    let (id, pid) = (file_id(&file), current().tgid);
    let Some(kind) = kind else {
        unlock(key, id);
        return Ok(0);
    };
    let want = FlockLock { file: id, kind, pid };
    let result = if operation & LOCK_NB != 0 {
        try_lock(key, want, None).ok_or(Errno::EWOULDBLOCK)
    } else {
        let tid = current().pid;
        let result = WAITERS.wait_interruptible(|| try_lock(key, want, Some(tid)));
        TABLE.lock().forget_waiter(tid);
        result
    };
    // A conversion let go of the old lock, even if the new one failed.
    wake_waiters();
    result.map(|()| 0)
}

fn log_mand_once() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        let (pid, comm) = crate::sched::current_pid_comm();
        crate::pr_warn!("{}({pid}): LOCK_MAND flock requests are ignored", comm.as_str());
    }
}

fn unlock(key: FileKey, id: usize) {
    let mut table = TABLE.lock();
    if let Some(locks) = table.files.get_mut(&key) {
        locks.flocks.retain(|l| l.file != id);
    }
    table.tidy(key);
    drop(table);
    wake_waiters();
}

/// Takes `want`, or None if another open file's lock is in the way (then
/// `waiter`, if the caller will sleep, is listed as waiting for it).
/// A lock of another kind that the same open file holds goes first, as
/// Linux does: a conversion that must wait holds nothing meanwhile.
fn try_lock(key: FileKey, want: FlockLock, waiter: Option<u32>) -> Option<()> {
    let mut table = TABLE.lock();
    if let Some(tid) = waiter {
        table.forget_waiter(tid);
    }
    let locks = table.locks_mut(key);
    if locks.flocks.iter().any(|l| l.file == want.file && l.kind == want.kind) {
        return Some(());
    }
    locks.flocks.retain(|l| l.file != want.file);
    let blocked = locks.flocks.iter().any(|l| l.kind.conflicts_with(want.kind));
    if !blocked {
        locks.flocks.push(want);
    }
    table.tidy(key);
    if let (true, Some(tid)) = (blocked, waiter) {
        table.waiters.push(Waiter { tid, key, wants: Wanted::Flock(want) });
    }
    (!blocked).then_some(())
}
