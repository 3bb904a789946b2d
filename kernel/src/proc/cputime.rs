//! The CPU-time clocks: CLOCK_THREAD_CPUTIME_ID reads the calling
//! thread's CPU time and CLOCK_PROCESS_CPUTIME_ID its process's (every
//! thread's, those that exited too), to the nanosecond, as the scheduler
//! measures them at each switch; clock_getcpuclockid and
//! pthread_getcpuclockid name another process's or thread's. Other clocks
//! are time::clock's.

use core::sync::atomic::Ordering;

use abi::time::{CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
use abi::{Errno, Timespec};

use crate::sched::current;
use alloc::sync::{Arc, Weak};

use crate::sched::task::{Pid, Task, TaskState};
use crate::time::NSEC_PER_SEC;
use crate::uaccess::write_user;

/// The CPU time (ns) of `task`'s whole process.
pub fn process_runtime(task: &Task) -> u64 {
    let threads: alloc::vec::Vec<_> = task.threads.lock().iter().filter_map(alloc::sync::Weak::upgrade).collect();
    // An exited thread other than the leader is in `exited_threads_ns`.
    let live: u64 = threads
        .iter()
        .filter(|t| t.is_leader() || t.state() != TaskState::Dead)
        .map(|t| t.sched_info().exec_runtime)
        .sum();
    live + task.times.exited_threads_ns.load(Ordering::Relaxed)
}

/// A thread's exit: its CPU time stays in its process's clock.
pub fn thread_exited(task: &Task) {
    if !task.is_leader() {
        task.times.exited_threads_ns.fetch_add(task.sched_info().exec_runtime, Ordering::Relaxed);
    }
}

/// What a CPU clock counts (Linux's CPUCLOCK_PROF, VIRT and SCHED).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Counts {
    /// User and system time.
    Prof,
    /// User time only.
    Virt,
    /// The scheduler's own CPU time, to the nanosecond.
    Sched,
}

/// A clock id made by clock_getcpuclockid or pthread_getcpuclockid:
/// (!pid << 3) | per-thread (4) | what it counts (0..2), pid 0 the caller.
fn decode(clock: i32) -> Result<(Arc<Task>, bool, Counts), Errno> {
    let counts = match clock & 3 {
        0 => Counts::Prof,
        1 => Counts::Virt,
        2 => Counts::Sched,
        _ => return Err(Errno::EINVAL),
    };
    let per_thread = clock & 4 != 0;
    let pid = !(clock >> 3) as Pid;
    let me = current();
    let task = if pid == 0 { me.clone() } else { super::pid::find(pid).ok_or(Errno::EINVAL)? };
    // A thread's clock is readable within its own process only; a
    // process's is named by its leader's id.
    let valid = if per_thread { task.tgid == me.tgid } else { task.is_leader() };
    if !valid {
        return Err(Errno::EINVAL);
    }
    Ok((task, per_thread, counts))
}

/// A CPU-time clock, resolved to the thread or process it measures (a
/// POSIX timer keeps one; it reads nothing once they are gone).
pub struct CpuClock {
    task: Weak<Task>,
    per_thread: bool,
    counts: Counts,
}

impl CpuClock {
    /// The CPU clock `clock` names, or None for a clock that is not one.
    pub fn resolve(clock: i32) -> Result<Option<CpuClock>, Errno> {
        let (task, per_thread, counts) = match clock {
            CLOCK_THREAD_CPUTIME_ID => (current(), true, Counts::Sched),
            CLOCK_PROCESS_CPUTIME_ID => (current(), false, Counts::Sched),
            c if c < 0 => decode(c)?,
            _ => return Ok(None),
        };
        Ok(Some(CpuClock { task: Arc::downgrade(&task), per_thread, counts }))
    }

    /// The CPU time it counts now, in ns.
    pub fn read(&self) -> Option<u64> {
        let task = self.task.upgrade()?;
        Some(match (self.counts, self.per_thread) {
            (Counts::Virt, true) => ticks_ns(task.utime.load(Ordering::Relaxed)),
            (Counts::Virt, false) => ticks_ns(task.times.user.load(Ordering::Relaxed)),
            (_, true) => task.sched_info().exec_runtime,
            (_, false) => process_runtime(&task),
        })
    }
}

/// The CPU time (ns) clock `clock` reads, or None for a clock that is not
/// a CPU clock.
fn cpu_clock(clock: i32) -> Result<Option<(u64, Counts)>, Errno> {
    let Some(c) = CpuClock::resolve(clock)? else { return Ok(None) };
    Ok(Some((c.read().unwrap_or(0), c.counts)))
}

fn ticks_ns(ticks: u64) -> u64 {
    ticks * (NSEC_PER_SEC / crate::time::HZ)
}

fn timespec(ns: u64) -> Timespec {
    Timespec { tv_sec: (ns / NSEC_PER_SEC) as i64, tv_nsec: (ns % NSEC_PER_SEC) as i64 }
}

pub fn sys_clock_gettime(clock: i32, tp: u64) -> Result<usize, Errno> {
    match cpu_clock(clock)? {
        Some((ns, _)) => write_user(tp, &timespec(ns)).map(|_| 0),
        None => crate::time::clock::sys_clock_gettime(clock, tp),
    }
}

/// The scheduler's clocks count nanoseconds; the user and system time
/// clocks count ticks (Linux's resolutions).
pub fn sys_clock_getres(clock: i32, tp: u64) -> Result<usize, Errno> {
    match cpu_clock(clock)? {
        Some((_, counts)) if tp != 0 => {
            let res = if counts == Counts::Sched { 1 } else { NSEC_PER_SEC / crate::time::HZ };
            write_user(tp, &timespec(res)).map(|_| 0)
        }
        Some(_) => Ok(0),
        None => crate::time::clock::sys_clock_getres(clock, tp),
    }
}
