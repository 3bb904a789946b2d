//! mlock(2), mlock2(2), munlock(2), mlockall(2) and munlockall(2).
//!
//! A locked area has its pages faulted in when it is locked (or, with
//! MLOCK_ONFAULT, as they are touched) and counted in VmLck. Anonymous
//! memory is never swapped out here and reclaim only drops page-cache
//! pages no page table maps, so a mapped page stays resident: locking is
//! the faulting in, the accounting against RLIMIT_MEMLOCK and the rules
//! that go with it (madvise cannot drop locked pages; fork's child does
//! not inherit locks).

use abi::mman::{MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT};
use abi::Errno;

use super::address_space::{page_down, page_up, AddressSpace};
use super::mprotect::with_mm;
use super::vma::{Mlock, VmaKind};
use crate::sched::current;
use crate::sched::task::Task;
use crate::uaccess::USER_LIMIT;

/// mlock2's only flag.
const MLOCK_ONFAULT: u32 = 1;

/// The caller's RLIMIT_MEMLOCK and whether it may exceed it
/// (CAP_IPC_LOCK, which root holds).
pub struct MemlockLimit {
    limit: u64,
    privileged: bool,
}

impl MemlockLimit {
    pub fn of(task: &Task) -> MemlockLimit {
        let limit = task.rlimits.lock().get(abi::RLIMIT_MEMLOCK).rlim_cur;
        MemlockLimit { limit, privileged: task.cred.lock().capable(abi::capability::CAP_IPC_LOCK) }
    }

    /// Linux's can_do_mlock: a zero limit forbids locking to the
    /// unprivileged (EPERM).
    pub fn may_lock(&self) -> Result<(), Errno> {
        if self.limit == 0 && !self.privileged {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// Whether `bytes` more locked memory in `mm` stays within the limit
    /// (counted in whole pages, as Linux); ENOMEM when not.
    pub fn check_growth(&self, mm: &AddressSpace, bytes: u64) -> Result<(), Errno> {
        self.check_total(locked_bytes(mm).saturating_add(bytes))
    }

    fn check_total(&self, bytes: u64) -> Result<(), Errno> {
        if self.privileged || bytes <= page_down(self.limit) {
            Ok(())
        } else {
            Err(Errno::ENOMEM)
        }
    }
}

/// The bytes of `mm`'s locked areas (VmLck).
pub fn locked_bytes(mm: &AddressSpace) -> u64 {
    locked_bytes_in(mm, 0, u64::MAX)
}

fn locked_bytes_in(mm: &AddressSpace, start: u64, end: u64) -> u64 {
    mm.vmas_iter()
        .filter(|v| v.locked != Mlock::Unlocked && v.end > start && v.start < end)
        .map(|v| v.end.min(end) - v.start.max(start))
        .sum()
}

/// Marks the areas of [start, end) with `mode` (the vDSO's stay as they
/// are) and joins alike neighbours again.
fn set_lock(mm: &mut AddressSpace, start: u64, end: u64, mode: Mlock) {
    mm.split_at(start);
    mm.split_at(end);
    for vma in mm.vmas_in(start, end).filter(|v| v.kind != VmaKind::Special) {
        vma.locked = mode;
    }
    mm.merge_all();
}

/// The page-aligned range that [addr, addr + len) touches.
fn pages_of(addr: u64, len: u64) -> Result<(u64, u64), Errno> {
    let end = page_up(addr.checked_add(len).ok_or(Errno::EINVAL)?);
    if end > USER_LIMIT {
        return Err(Errno::ENOMEM);
    }
    Ok((page_down(addr), end))
}

/// Failures of the faulting in, as mlock reports them (Linux's
/// __mlock_posix_error_return).
fn posix_error(e: Errno) -> Errno {
    match e {
        Errno::EFAULT => Errno::ENOMEM,
        Errno::ENOMEM => Errno::EAGAIN,
        e => e,
    }
}

pub fn sys_mlock(addr: u64, len: u64) -> Result<usize, Errno> {
    lock_range(addr, len, Mlock::Locked)
}

pub fn sys_mlock2(addr: u64, len: u64, flags: u32) -> Result<usize, Errno> {
    if flags & !MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    lock_range(addr, len, if flags & MLOCK_ONFAULT != 0 { Mlock::OnFault } else { Mlock::Locked })
}

fn lock_range(addr: u64, len: u64, mode: Mlock) -> Result<usize, Errno> {
    let memlock = MemlockLimit::of(&current());
    memlock.may_lock()?;
    let (start, end) = pages_of(addr, len)?;
    if start == end {
        return Ok(0);
    }
    with_mm(|mm| {
        // What is locked already inside the range is not counted twice.
        let already = locked_bytes_in(mm, start, end);
        memlock.check_total(locked_bytes(mm) + (end - start) - already)?;
        if !mm.fully_mapped(start, end) {
            return Err(Errno::ENOMEM);
        }
        set_lock(mm, start, end, mode);
        if mode == Mlock::Locked {
            mm.populate(start, end).map_err(posix_error)?;
        }
        Ok(0)
    })
}

pub fn sys_munlock(addr: u64, len: u64) -> Result<usize, Errno> {
    let (start, end) = pages_of(addr, len)?;
    if start == end {
        return Ok(0);
    }
    with_mm(|mm| {
        if !mm.fully_mapped(start, end) {
            return Err(Errno::ENOMEM);
        }
        set_lock(mm, start, end, Mlock::Unlocked);
        Ok(0)
    })
}

pub fn sys_mlockall(flags: i32) -> Result<usize, Errno> {
    if flags == 0 || flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 || flags == MCL_ONFAULT {
        return Err(Errno::EINVAL);
    }
    let memlock = MemlockLimit::of(&current());
    memlock.may_lock()?;
    let mode = if flags & MCL_ONFAULT != 0 { Mlock::OnFault } else { Mlock::Locked };
    with_mm(|mm| {
        if flags & MCL_CURRENT != 0 {
            memlock.check_total(mm.total_size())?;
        }
        mm.lock_future = if flags & MCL_FUTURE != 0 { mode } else { Mlock::Unlocked };
        if flags & MCL_CURRENT != 0 {
            set_lock(mm, 0, USER_LIMIT, mode);
            if mode == Mlock::Locked {
                // As Linux's mm_populate: what cannot be faulted in now
                // faults later.
                let _ = mm.populate(0, USER_LIMIT);
            }
        }
        Ok(0)
    })
}

pub fn sys_munlockall() -> Result<usize, Errno> {
    with_mm(|mm| {
        mm.lock_future = Mlock::Unlocked;
        set_lock(mm, 0, USER_LIMIT, Mlock::Unlocked);
        Ok(0)
    })
}
