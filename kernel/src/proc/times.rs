//! CPU time: each timer tick is charged to the running task, as user or
//! system time by where the tick found it (Linux's tick-based accounting).
//! times(2), getrusage(2), and the rusage that wait4/waitid report.

use core::sync::atomic::{AtomicU64, Ordering};

use abi::{Errno, Rusage, Timeval, Tms, RUSAGE_CHILDREN, RUSAGE_SELF};

use crate::sched::current;
use crate::sched::task::Task;
use crate::time::HZ;
use crate::uaccess::write_user;

/// A task's CPU time in ticks, and that of its reaped children.
#[derive(Default)]
pub struct CpuTimes {
    pub user: AtomicU64,
    pub system: AtomicU64,
    pub children_user: AtomicU64,
    pub children_system: AtomicU64,
    /// CPU time (ns) of the process's threads that have exited, for
    /// CLOCK_PROCESS_CPUTIME_ID.
    pub exited_threads_ns: AtomicU64,
}

impl CpuTimes {
    /// Adds a reaped child's own and children's times (wait).
    pub fn absorb_child(&self, child: &CpuTimes) {
        let user = child.user.load(Ordering::Relaxed) + child.children_user.load(Ordering::Relaxed);
        let system = child.system.load(Ordering::Relaxed) + child.children_system.load(Ordering::Relaxed);
        self.children_user.fetch_add(user, Ordering::Relaxed);
        self.children_system.fetch_add(system, Ordering::Relaxed);
    }
}

/// Charges the running task the ticks a timer interrupt stands for (more
/// than one when it came late: the time went to what was running).
pub fn account_tick(task: &Task, in_user_mode: bool, ticks: u64) {
    let counter = if in_user_mode { &task.times.user } else { &task.times.system };
    let before = counter.fetch_add(ticks, Ordering::Relaxed);
    let other = if in_user_mode { &task.times.system } else { &task.times.user };
    super::cpu_itimer::charge(task, in_user_mode, ticks, before + other.load(Ordering::Relaxed));
}

fn ticks_to_clock_t(ticks: u64) -> i64 {
    (ticks * abi::USER_HZ / HZ) as i64
}

fn ticks_to_timeval(ticks: u64) -> Timeval {
    let us = ticks * 1_000_000 / HZ;
    Timeval { tv_sec: (us / 1_000_000) as i64, tv_usec: (us % 1_000_000) as i64 }
}

pub fn rusage_of(user: u64, system: u64) -> Rusage {
    Rusage { ru_utime: ticks_to_timeval(user), ru_stime: ticks_to_timeval(system), ..Rusage::default() }
}

/// A child's rusage as wait reports it: its own and its children's times.
pub fn child_rusage(child: &Task) -> Rusage {
    let t = &child.times;
    rusage_of(
        t.user.load(Ordering::Relaxed) + t.children_user.load(Ordering::Relaxed),
        t.system.load(Ordering::Relaxed) + t.children_system.load(Ordering::Relaxed),
    )
}

pub fn sys_times(buf: u64) -> Result<usize, Errno> {
    let task = current();
    let t = &task.times;
    if buf != 0 {
        let tms = Tms {
            tms_utime: ticks_to_clock_t(t.user.load(Ordering::Relaxed)),
            tms_stime: ticks_to_clock_t(t.system.load(Ordering::Relaxed)),
            tms_cutime: ticks_to_clock_t(t.children_user.load(Ordering::Relaxed)),
            tms_cstime: ticks_to_clock_t(t.children_system.load(Ordering::Relaxed)),
        };
        write_user(buf, &tms)?;
    }
    // Clock ticks since boot, in USER_HZ.
    Ok((crate::time::uptime_ns() / (crate::time::NSEC_PER_SEC / abi::USER_HZ)) as usize)
}

pub fn sys_getrusage(who: i32, usage: u64) -> Result<usize, Errno> {
    let task = current();
    let t = &task.times;
    let r = match who {
        RUSAGE_SELF => rusage_of(t.user.load(Ordering::Relaxed), t.system.load(Ordering::Relaxed)),
        RUSAGE_CHILDREN => {
            rusage_of(t.children_user.load(Ordering::Relaxed), t.children_system.load(Ordering::Relaxed))
        }
        // RUSAGE_THREAD: one thread per process, so the same as SELF.
        1 => rusage_of(t.user.load(Ordering::Relaxed), t.system.load(Ordering::Relaxed)),
        _ => return Err(Errno::EINVAL),
    };
    write_user(usage, &r)?;
    Ok(0)
}
