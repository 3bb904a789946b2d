//! Process ids: allocation, the table from pid to task, and the system
//! calls that report ids.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use core::sync::atomic::Ordering;

use abi::Errno;
use spin::Mutex;

use crate::arch::cpu::without_interrupts;
use crate::sched::current;
use crate::sched::task::{Pid, Task};

/// Linux's default /proc/sys/kernel/pid_max.
pub const PID_MAX: Pid = 32768;

struct PidTable {
    tasks: BTreeMap<Pid, Weak<Task>>,
    last: Pid,
}

static PIDS: Mutex<PidTable> = Mutex::new(PidTable { tasks: BTreeMap::new(), last: 1 });

/// The next free pid after the last one handed out, wrapping below
/// PID_MAX to 2 (pid 1 is init), as Linux allocates.
pub fn alloc_pid() -> Result<Pid, Errno> {
    without_interrupts(|| {
        let mut t = PIDS.lock();
        for _ in 0..PID_MAX {
            t.last = if t.last + 1 >= PID_MAX { 2 } else { t.last + 1 };
            let candidate = t.last;
            if let alloc::collections::btree_map::Entry::Vacant(slot) = t.tasks.entry(candidate) {
                slot.insert(Weak::new());
                return Ok(candidate);
            }
        }
        Err(Errno::EAGAIN)
    })
}

/// /proc/sys/kernel/ns_last_pid: the next pid handed out is the first
/// free one after `pid` (0 to PID_MAX - 1; the privileged only).
pub fn set_last_pid(pid: i64) -> Result<(), Errno> {
    let pid = Pid::try_from(pid).ok().filter(|&p| p < PID_MAX).ok_or(Errno::EINVAL)?;
    if !crate::sched::current().cred.lock().is_privileged() {
        return Err(Errno::EPERM);
    }
    without_interrupts(|| PIDS.lock().last = pid);
    Ok(())
}

/// The pid handed out last (/proc/loadavg's last field).
pub fn last_pid() -> Pid {
    without_interrupts(|| PIDS.lock().last)
}

/// How many tasks exist (zombies and those being made included).
pub fn count() -> usize {
    without_interrupts(|| PIDS.lock().tasks.len())
}

/// /proc/sys/kernel/threads-max; 0 until set. The default lets kernel
/// stacks (16 KiB each) take a quarter of RAM, one thread per 64 KiB:
/// twice Linux's share of an eighth, as a sleeping process here takes
/// about what Linux's does in all (so a 1 GiB machine holds its 10,000
/// processes); at least 20.
static THREADS_MAX: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
const MIN_THREADS: usize = 20;
/// FUTEX_TID_MASK: the most any setting allows.
const MAX_THREADS: usize = 0x3fff_ffff;

pub fn threads_max() -> usize {
    match THREADS_MAX.load(core::sync::atomic::Ordering::Relaxed) {
        0 => (machine::mm::frame::total_count() * 4096 / (64 * 1024)).clamp(MIN_THREADS, MAX_THREADS),
        n => n,
    }
}

/// Sets threads-max: MIN_THREADS to MAX_THREADS (EINVAL otherwise).
pub fn set_threads_max(n: i64) -> Result<(), Errno> {
    let n = usize::try_from(n).ok().filter(|n| (MIN_THREADS..=MAX_THREADS).contains(n)).ok_or(Errno::EINVAL)?;
    THREADS_MAX.store(n, core::sync::atomic::Ordering::Relaxed);
    Ok(())
}

pub fn register(task: &Arc<Task>) {
    without_interrupts(|| PIDS.lock().tasks.insert(task.pid, Arc::downgrade(task)));
}

/// Frees a reaped task's pid.
pub fn release(pid: Pid) {
    without_interrupts(|| PIDS.lock().tasks.remove(&pid));
}

pub fn find(pid: Pid) -> Option<Arc<Task>> {
    without_interrupts(|| PIDS.lock().tasks.get(&pid).and_then(Weak::upgrade))
}

/// Every live task that satisfies `pred`.
pub fn tasks_where(pred: impl Fn(&Task) -> bool) -> alloc::vec::Vec<Arc<Task>> {
    let tasks: alloc::vec::Vec<Arc<Task>> =
        without_interrupts(|| PIDS.lock().tasks.values().filter_map(Weak::upgrade).collect());
    tasks.into_iter().filter(|t| pred(t)).collect()
}

/// Up to `max` live tasks that satisfy `pred`, from pid `first` on, in
/// pid order (a directory listing resumes where it stopped). `pred` runs
/// under the pid table's lock: it must take no lock itself.
pub fn tasks_from(first: Pid, max: usize, pred: impl Fn(&Task) -> bool) -> alloc::vec::Vec<Arc<Task>> {
    without_interrupts(|| {
        let t = PIDS.lock();
        t.tasks.range(first..).filter_map(|(_, w)| w.upgrade()).filter(|task| pred(task)).take(max).collect()
    })
}

/// True when some live task satisfies `pred`.
pub fn any_task(pred: impl Fn(&Task) -> bool) -> bool {
    let tasks: alloc::vec::Vec<Arc<Task>> =
        without_interrupts(|| PIDS.lock().tasks.values().filter_map(Weak::upgrade).collect());
    tasks.iter().any(|t| pred(t))
}

pub fn sys_getpid() -> Result<usize, Errno> {
    Ok(crate::sched::current_ids().0 as usize)
}

pub fn sys_gettid() -> Result<usize, Errno> {
    Ok(crate::sched::current_ids().1 as usize)
}

pub fn sys_getppid() -> Result<usize, Errno> {
    Ok(current().ppid() as usize)
}

/// Records where to clear and wake at thread exit; returns the caller's tid.
pub fn sys_set_tid_address(tidptr: u64) -> Result<usize, Errno> {
    let task = current();
    task.clear_child_tid.store(tidptr, Ordering::Relaxed);
    Ok(task.pid as usize)
}
