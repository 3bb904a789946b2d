//! fcntl(2)'s record locks: F_GETLK, F_SETLK, F_SETLKW (POSIX locks,
//! held by the process) and F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW (held
//! by the open file description), described by a `struct flock`.

use abi::fcntl::{
    Flock, F_GETLK, F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW, F_RDLCK, F_SETLK, F_SETLKW, F_UNLCK, F_WRLCK, SEEK_CUR,
    SEEK_END, SEEK_SET,
};
use abi::Errno;

use super::range::{LockKind, Owner, RecordLock, Request, OFFSET_MAX};
use super::{file_id, wake_waiters, FileKey, LockTable, Waiter, Wanted, TABLE, WAITERS};
use crate::fs::file::OpenFile;
use crate::sched::current;
use crate::uaccess::{read_user, write_user};

/// How far a deadlock check follows waiters (Linux's MAX_DEADLK_ITERATIONS).
const MAX_DEADLOCK_STEPS: usize = 10;

/// True for the commands this file serves.
pub fn is_lock_command(cmd: i32) -> bool {
    matches!(cmd, F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW)
}

/// F_GETLK, F_SETLK, F_SETLKW and their OFD forms on `file`; `arg`
/// points at the caller's `struct flock`.
pub fn fcntl_lock(file: &OpenFile, cmd: i32, arg: u64) -> Result<usize, Errno> {
    let mut fl: Flock = read_user(arg)?;
    let ofd = matches!(cmd, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
    if matches!(cmd, F_GETLK | F_OFD_GETLK) {
        test_lock(file, ofd, &mut fl)?;
        return write_user(arg, &fl).map(|()| 0);
    }
    let (start, end) = range_of(file, &fl)?;
    let kind = lock_kind(fl.l_type)?;
    check_mode(file, kind)?;
    if ofd && fl.l_pid != 0 {
        return Err(Errno::EINVAL);
    }
    let owner = if ofd { Owner::File(file_id(file)) } else { Owner::Process(current().tgid) };
    let request = Request { owner, kind, start, end, pid: current().tgid };
    let key = FileKey::of(file.inode());
    let result = if matches!(cmd, F_SETLKW | F_OFD_SETLKW) { set_waiting(key, request) } else { set(key, request) };
    wake_waiters();
    result.map(|()| 0)
}

/// F_GETLK: the first lock in the way of the one described, or F_UNLCK.
fn test_lock(file: &OpenFile, ofd: bool, fl: &mut Flock) -> Result<(), Errno> {
    let kind = match lock_kind(fl.l_type)? {
        Some(kind) => kind,
        None => return Err(Errno::EINVAL),
    };
    let (start, end) = range_of(file, fl)?;
    if ofd && fl.l_pid != 0 {
        return Err(Errno::EINVAL);
    }
    let owner = if ofd { Owner::File(file_id(file)) } else { Owner::Process(current().tgid) };
    let key = FileKey::of(file.inode());
    let conflict = TABLE.lock().files.get(&key).and_then(|f| f.records.conflict(owner, kind, start, end));
    match conflict {
        Some(lock) => describe(&lock, fl),
        None => fl.l_type = F_UNLCK,
    }
    Ok(())
}

/// Fills `fl` with `lock`, as F_GETLK reports it (l_pid -1 for OFD locks).
fn describe(lock: &RecordLock, fl: &mut Flock) {
    fl.l_type = if lock.kind == LockKind::Write { F_WRLCK } else { F_RDLCK };
    fl.l_whence = SEEK_SET as i16;
    fl.l_start = lock.start as i64;
    fl.l_len = if lock.end == OFFSET_MAX { 0 } else { (lock.end - lock.start + 1) as i64 };
    fl.l_pid = match lock.owner {
        Owner::Process(_) => lock.pid as i32,
        Owner::File(_) => -1,
    };
}

fn lock_kind(l_type: i16) -> Result<Option<LockKind>, Errno> {
    match l_type {
        F_RDLCK => Ok(Some(LockKind::Read)),
        F_WRLCK => Ok(Some(LockKind::Write)),
        F_UNLCK => Ok(None),
        _ => Err(Errno::EINVAL),
    }
}

/// A read lock needs a descriptor open for reading, a write lock one
/// open for writing.
fn check_mode(file: &OpenFile, kind: Option<LockKind>) -> Result<(), Errno> {
    let flags = file.flags();
    match kind {
        Some(LockKind::Read) if !flags.readable() => Err(Errno::EBADF),
        Some(LockKind::Write) if !flags.writable() => Err(Errno::EBADF),
        _ => Ok(()),
    }
}

/// The bytes `fl` names, first and last: l_start from l_whence's origin,
/// l_len bytes on (0: to the end, however far the file grows; negative:
/// the bytes before l_start), with Linux's EINVAL and EOVERFLOW.
fn range_of(file: &OpenFile, fl: &Flock) -> Result<(u64, u64), Errno> {
    let origin = match i32::from(fl.l_whence) {
        SEEK_SET => 0,
        SEEK_CUR => file.pos() as i64,
        SEEK_END => file.inode().stat().st_size,
        _ => return Err(Errno::EINVAL),
    };
    byte_range(origin, fl.l_start, fl.l_len)
}

/// The range arithmetic of `range_of`, from the origin's offset.
fn byte_range(origin: i64, l_start: i64, l_len: i64) -> Result<(u64, u64), Errno> {
    let max = OFFSET_MAX as i64;
    if l_start > max - origin {
        return Err(Errno::EOVERFLOW);
    }
    let start = origin + l_start;
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    let (first, last) = match l_len {
        0 => (start, max),
        len if len > 0 => {
            if len - 1 > max - start {
                return Err(Errno::EOVERFLOW);
            }
            (start, start + (len - 1))
        }
        len => {
            if start + len < 0 {
                return Err(Errno::EINVAL);
            }
            (start + len, start - 1)
        }
    };
    Ok((first as u64, last as u64))
}

/// Why a lock could not be set now.
enum Blocked {
    /// Another owner's lock is in the way: wait for it to go.
    Waiting,
    Deadlock,
}

/// F_SETLK: sets the lock now or fails with EAGAIN.
fn set(key: FileKey, request: Request) -> Result<(), Errno> {
    let mut table = TABLE.lock();
    let result = table.locks_mut(key).records.apply(&request);
    table.tidy(key);
    result.map_err(|_| Errno::EAGAIN)
}

/// F_SETLKW: waits for the lock, unless the wait would never end because
/// the lock's holder waits, directly or through others, for the caller.
fn set_waiting(key: FileKey, request: Request) -> Result<(), Errno> {
    let tid = current().pid;
    let result = WAITERS.wait_interruptible(|| match try_or_wait(key, &request, tid) {
        Ok(()) => Some(Ok(())),
        Err(Blocked::Deadlock) => Some(Err(Errno::EDEADLK)),
        Err(Blocked::Waiting) => None,
    });
    TABLE.lock().forget_waiter(tid);
    result.and_then(|r| r)
}

/// Sets the lock, or records the caller as a waiter and says who blocks.
fn try_or_wait(key: FileKey, request: &Request, tid: u32) -> Result<(), Blocked> {
    let mut table = TABLE.lock();
    let result = table.locks_mut(key).records.apply(request);
    table.tidy(key);
    table.forget_waiter(tid);
    let blocker = match result {
        Ok(()) => return Ok(()),
        Err(lock) => lock.owner,
    };
    // OFD locks have no process to follow: only POSIX waits deadlock.
    if let Owner::Process(me) = request.owner {
        if waits_for(&table, blocker, me) {
            return Err(Blocked::Deadlock);
        }
    }
    table.waiters.push(Waiter { tid, key, wants: Wanted::Record(*request) });
    Err(Blocked::Waiting)
}

/// Whether `holder` waits, through a chain of waiting processes, for a
/// lock that `me` holds.
fn waits_for(table: &LockTable, mut holder: Owner, me: u32) -> bool {
    for _ in 0..MAX_DEADLOCK_STEPS {
        match holder {
            Owner::Process(p) if p == me => return true,
            Owner::Process(_) => {}
            Owner::File(_) => return false,
        }
        let waiting = table.waiters.iter().find_map(|w| match &w.wants {
            Wanted::Record(r) if r.owner == holder => Some((w.key, r)),
            _ => None,
        });
        let Some((key, request)) = waiting else {
            return false;
        };
        let Some(kind) = request.kind else {
            return false;
        };
        let records = table.files.get(&key).map(|f| &f.records);
        match records.and_then(|r| r.conflict(holder, kind, request.start, request.end)) {
            Some(lock) => holder = lock.owner,
            None => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_length_reaches_the_end_of_any_file() {
        assert_eq!(byte_range(100, 5, 0), Ok((105, OFFSET_MAX)));
    }

    #[test]
    fn a_negative_length_covers_the_bytes_before_the_start() {
        assert_eq!(byte_range(0, 10, -4), Ok((6, 9)));
        assert_eq!(byte_range(0, 10, -10), Ok((0, 9)));
        assert_eq!(byte_range(0, 10, -11), Err(Errno::EINVAL));
    }

    #[test]
    fn a_start_before_the_file_is_invalid() {
        assert_eq!(byte_range(50, -51, 1), Err(Errno::EINVAL));
        assert_eq!(byte_range(50, -50, 1), Ok((0, 0)));
    }

    #[test]
    fn offsets_past_the_largest_overflow() {
        assert_eq!(byte_range(10, i64::MAX, 1), Err(Errno::EOVERFLOW));
        assert_eq!(byte_range(0, i64::MAX, 2), Err(Errno::EOVERFLOW));
        assert_eq!(byte_range(0, i64::MAX, 1), Ok((OFFSET_MAX, OFFSET_MAX)));
        assert_eq!(byte_range(0, 1, i64::MAX), Ok((1, OFFSET_MAX)));
        assert_eq!(byte_range(0, 2, i64::MAX), Err(Errno::EOVERFLOW));
    }
}
