//! futex(2): sleeping on, and waking, a 32-bit word of user memory.
//! Private futexes are keyed by (address space, address); shared ones by
//! the physical frame and offset, so processes that map the same memory at
//! different addresses meet on the same key. set_robust_list and
//! get_robust_list, and the robust-list and clear_child_tid clean-up at
//! thread exit.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use abi::futex::*;
use abi::{Errno, Timespec};
use spin::Mutex;

use crate::arch::cpu::without_interrupts;
use crate::sched::current;
use crate::sched::timer::wait_with_deadline;
use crate::sched::wait::WaitQueue;
use crate::uaccess::{read_user, write_user};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Key {
    Private { mm: usize, addr: u64 },
    Shared { frame: u64, offset: u64 },
}

struct Waiter {
    key: Mutex<Key>,
    bitset: u32,
    woken: AtomicBool,
}

static WAITERS: Mutex<BTreeMap<Key, Vec<Arc<Waiter>>>> = Mutex::new(BTreeMap::new());
/// All futex sleepers wait here; each checks its own `woken` flag.
static FUTEX_QUEUE: WaitQueue = WaitQueue::new();

const BITSET_MATCH_ANY: u32 = u32::MAX;

/// The requeue-to-PI operations are refused with one log line.
static REQUEUE_PI_LOGGED: AtomicBool = AtomicBool::new(false);

/// The key of the word at `uaddr` (which is read first, so its page exists).
pub(super) fn key_of(uaddr: u64, private: bool) -> Result<Key, Errno> {
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    read_user::<u32>(uaddr)?;
    let mm = current().mm().ok_or(Errno::EFAULT)?;
    let mm_id = Arc::as_ptr(&mm) as usize;
    let (shared, frame) = mm.lock().futex_location(uaddr).ok_or(Errno::EFAULT)?;
    match (private || !shared, frame) {
        (true, _) => Ok(Key::Private { mm: mm_id, addr: uaddr }),
        (false, Some(frame)) => Ok(Key::Shared { frame, offset: uaddr % 4096 }),
        (false, None) => Err(Errno::EFAULT),
    }
}

fn remove_waiter(waiter: &Arc<Waiter>) {
    without_interrupts(|| {
        let key = *waiter.key.lock();
        let mut table = WAITERS.lock();
        if let Some(list) = table.get_mut(&key) {
            list.retain(|w| !Arc::ptr_eq(w, waiter));
            if list.is_empty() {
                table.remove(&key);
            }
        }
    });
}

/// Waits while the word at `uaddr` holds `val`, until woken or `deadline`.
fn wait(uaddr: u64, private: bool, val: u32, deadline: Option<u64>, bitset: u32) -> Result<usize, Errno> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let key = key_of(uaddr, private)?;
    let waiter = Arc::new(Waiter { key: Mutex::new(key), bitset, woken: AtomicBool::new(false) });
    // Queued before the word is read: a thread on another CPU that changes
    // the word after the read then wakes through the queue (its wake takes
    // the queue's lock after its write).
    without_interrupts(|| WAITERS.lock().entry(key).or_default().push(waiter.clone()));
    let current = read_user::<u32>(uaddr);
    if current != Ok(val) {
        remove_waiter(&waiter);
        // A wake that already chose this waiter counts as its wake-up.
        if waiter.woken.load(Ordering::Acquire) {
            return Ok(0);
        }
        return current.and(Err(Errno::EAGAIN));
    }
    let result = wait_with_deadline(&FUTEX_QUEUE, deadline, || waiter.woken.load(Ordering::Acquire).then_some(()));
    remove_waiter(&waiter);
    match result {
        Ok(Some(())) => Ok(0),
        _ if waiter.woken.load(Ordering::Acquire) => Ok(0),
        Ok(None) => Err(Errno::ETIMEDOUT),
        // With a timeout the call is not restarted over with the full time.
        Err(_) if deadline.is_some() => Err(Errno::ERESTARTNOHAND),
        Err(e) => Err(e),
    }
}

/// Wakes up to `count` waiters on `key` whose bitset meets `bitset`.
fn wake_key(key: Key, count: usize, bitset: u32) -> usize {
    let woken = without_interrupts(|| {
        let mut table = WAITERS.lock();
        let Some(list) = table.get_mut(&key) else { return 0 };
        let mut n = 0;
        list.retain(|w| {
            if n < count && w.bitset & bitset != 0 {
                w.woken.store(true, Ordering::Release);
                n += 1;
                false
            } else {
                true
            }
        });
        if list.is_empty() {
            table.remove(&key);
        }
        n
    });
    if woken > 0 {
        FUTEX_QUEUE.wake_all();
    }
    woken
}

fn requeue(key1: Key, key2: Key, wake_count: usize, requeue_count: usize) -> usize {
    let woken = wake_key(key1, wake_count, BITSET_MATCH_ANY);
    let moved = without_interrupts(|| {
        let mut table = WAITERS.lock();
        let Some(list) = table.get_mut(&key1) else { return 0 };
        let n = list.len().min(requeue_count);
        let moving: Vec<Arc<Waiter>> = list.drain(..n).collect();
        if list.is_empty() {
            table.remove(&key1);
        }
        for w in &moving {
            *w.key.lock() = key2;
        }
        table.entry(key2).or_default().extend(moving);
        n
    });
    woken + moved
}

/// FUTEX_WAKE_OP: changes the word at `uaddr2` and wakes on both words,
/// on the second only when the old value passes the encoded comparison.
fn wake_op(uaddr: u64, uaddr2: u64, private: bool, n1: usize, n2: usize, encoded: u32) -> Result<usize, Errno> {
    let sign_extend12 = |v: u32| ((v << 20) as i32) >> 20;
    let mut op = (encoded >> 28) & 0xf;
    let cmp = (encoded >> 24) & 0xf;
    let mut oparg = sign_extend12(encoded >> 12);
    let cmparg = sign_extend12(encoded);
    if op & 8 != 0 {
        op &= 7;
        oparg = 1i32.checked_shl(oparg as u32).unwrap_or(0);
    }
    let key1 = key_of(uaddr, private)?;
    let key2 = key_of(uaddr2, private)?;
    let old: i32 = read_user(uaddr2)?;
    let new = match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(Errno::ENOSYS),
    };
    let passes = match cmp {
        0 => old == cmparg,
        1 => old != cmparg,
        2 => old < cmparg,
        3 => old <= cmparg,
        4 => old > cmparg,
        5 => old >= cmparg,
        _ => return Err(Errno::ENOSYS),
    };
    write_user(uaddr2, &new)?;
    let mut woken = wake_key(key1, n1, BITSET_MATCH_ANY);
    if passes {
        woken += wake_key(key2, n2, BITSET_MATCH_ANY);
    }
    Ok(woken)
}

fn timespec_ns(ts: &Timespec) -> Result<u64, Errno> {
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((ts.tv_sec as u64).saturating_mul(1_000_000_000).saturating_add(ts.tv_nsec as u64))
}

/// The deadline (ns of uptime) of a relative or absolute futex timeout.
pub(super) fn deadline(timeout: u64, absolute: bool, realtime: bool) -> Result<Option<u64>, Errno> {
    if timeout == 0 {
        return Ok(None);
    }
    let ns = timespec_ns(&read_user::<Timespec>(timeout)?)?;
    let now = crate::time::uptime_ns();
    if !absolute {
        return Ok(Some(now.saturating_add(ns)));
    }
    let clock_now = if realtime { crate::time::realtime() } else { crate::time::monotonic() };
    let clock_now = timespec_ns(&clock_now).unwrap_or(0);
    Ok(Some(now.saturating_add(ns.saturating_sub(clock_now))))
}

pub fn sys_futex(uaddr: u64, op: i32, val: u32, timeout: u64, uaddr2: u64, val3: u32) -> Result<usize, Errno> {
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let cmd = op & FUTEX_CMD_MASK;
    if realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_LOCK_PI2 {
        return Err(Errno::ENOSYS);
    }
    // For the requeue and wake-op commands the "timeout" carries a count.
    let val2 = timeout as u32 as usize;
    match cmd {
        FUTEX_WAIT => wait(uaddr, private, val, deadline(timeout, realtime, realtime)?, BITSET_MATCH_ANY),
        FUTEX_WAIT_BITSET => wait(uaddr, private, val, deadline(timeout, true, realtime)?, val3),
        FUTEX_WAKE => Ok(wake_key(key_of(uaddr, private)?, val as usize, BITSET_MATCH_ANY)),
        FUTEX_WAKE_BITSET => {
            if val3 == 0 {
                return Err(Errno::EINVAL);
            }
            Ok(wake_key(key_of(uaddr, private)?, val as usize, val3))
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            if (val as i32) < 0 || (val2 as i32) < 0 {
                return Err(Errno::EINVAL);
            }
            let key1 = key_of(uaddr, private)?;
            let key2 = key_of(uaddr2, private)?;
            if cmd == FUTEX_CMP_REQUEUE && read_user::<u32>(uaddr)? != val3 {
                return Err(Errno::EAGAIN);
            }
            let n = requeue(key1, key2, val as usize, val2);
            // FUTEX_REQUEUE reports the woken only.
            Ok(if cmd == FUTEX_REQUEUE { n.min(val as usize) } else { n })
        }
        FUTEX_WAKE_OP => wake_op(uaddr, uaddr2, private, val as usize, val2, val3),
        // FUTEX_LOCK_PI's timeout is on CLOCK_REALTIME, LOCK_PI2's on the
        // clock the flag names.
        FUTEX_LOCK_PI => super::futex_pi::lock_pi(uaddr, private, timeout, true, false),
        FUTEX_LOCK_PI2 => super::futex_pi::lock_pi(uaddr, private, timeout, realtime, false),
        FUTEX_TRYLOCK_PI => super::futex_pi::lock_pi(uaddr, private, 0, true, true),
        FUTEX_UNLOCK_PI => super::futex_pi::unlock_pi(uaddr, private),
        FUTEX_WAIT_REQUEUE_PI | FUTEX_CMP_REQUEUE_PI => {
            if !REQUEUE_PI_LOGGED.swap(true, Ordering::Relaxed) {
                crate::pr_warn!("futex: FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI are not implemented (ENOSYS)");
            }
            Err(Errno::ENOSYS)
        }
        _ => Err(Errno::ENOSYS),
    }
}

/// Linux's struct robust_list_head is three words.
const ROBUST_LIST_HEAD_SIZE: usize = 24;
pub(super) const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
pub(super) const FUTEX_WAITERS: u32 = 0x8000_0000;
pub(super) const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Linux's ROBUST_LIST_LIMIT: a bound on a corrupt or circular list.
const ROBUST_LIST_LIMIT: usize = 2048;

pub fn sys_set_robust_list(head: u64, len: usize) -> Result<usize, Errno> {
    if len != ROBUST_LIST_HEAD_SIZE {
        return Err(Errno::EINVAL);
    }
    current().robust_list.store(head, Ordering::Relaxed);
    Ok(0)
}

pub fn sys_get_robust_list(pid: i32, head_ptr: u64, len_ptr: u64) -> Result<usize, Errno> {
    let task = match pid {
        0 => current(),
        p if p > 0 => super::pid::find(p as u32).ok_or(Errno::ESRCH)?,
        _ => return Err(Errno::ESRCH),
    };
    // Another process's list takes ptrace access (real ids), as on Linux.
    let me = current();
    if task.tgid != me.tgid {
        let mine = me.cred.lock().clone();
        let theirs = task.cred.lock().clone();
        if !mine.may_access(&theirs, true) {
            return Err(Errno::EPERM);
        }
    }
    write_user(head_ptr, &task.robust_list.load(Ordering::Relaxed))?;
    write_user(len_ptr, &(ROBUST_LIST_HEAD_SIZE as u64))?;
    Ok(0)
}

/// At a thread's exit: marks the robust futexes it still holds
/// FUTEX_OWNER_DIED and wakes a waiter of each; then clears and wakes the
/// clear_child_tid word (pthread_join's wait).
pub fn exit_cleanup(tid: u32, robust_head: u64, clear_tid: u64) {
    if robust_head != 0 {
        release_robust_futexes(tid, robust_head);
    }
    super::futex_pi::exit_handover(tid);
    if clear_tid != 0 && write_user(clear_tid, &0u32).is_ok() {
        if let Ok(key) = key_of(clear_tid, false) {
            wake_key(key, 1, BITSET_MATCH_ANY);
        }
    }
}

fn release_robust_futexes(tid: u32, head: u64) {
    // robust_list_head: { next, futex_offset, list_op_pending }.
    let Ok([first, offset, pending]) = read_user::<[u64; 3]>(head) else { return };
    // An entry pointer's low bit marks a PI futex.
    let mut entry = first;
    for _ in 0..ROBUST_LIST_LIMIT {
        if entry & !1 == head || entry & !1 == 0 {
            break;
        }
        let next = read_user::<u64>(entry & !1).unwrap_or(head);
        handle_dead_owner(tid, (entry & !1).wrapping_add(offset), entry & 1 != 0);
        entry = next;
    }
    if pending & !1 != 0 {
        handle_dead_owner(tid, (pending & !1).wrapping_add(offset), pending & 1 != 0);
    }
}

/// Marks a robust futex its dead owner held; a waiter of a plain one is
/// woken to find it so (a PI futex's waiter gets it by `exit_handover`).
fn handle_dead_owner(tid: u32, uaddr: u64, pi: bool) {
    let Ok(word) = read_user::<u32>(uaddr) else { return };
    if word & FUTEX_TID_MASK != tid {
        return;
    }
    let new = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if write_user(uaddr, &new).is_ok() && word & FUTEX_WAITERS != 0 && !pi {
        if let Ok(key) = key_of(uaddr, false) {
            wake_key(key, 1, BITSET_MATCH_ANY);
        }
    }
}
