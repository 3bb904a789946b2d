//! The CPU-time clocks: CLOCK_THREAD_CPUTIME_ID reads the calling
//! thread's CPU time and CLOCK_PROCESS_CPUTIME_ID its process's (every
//! thread's, those that exited too), to the nanosecond, as the scheduler
//! measures them at each switch. Other clocks are time::clock's.

use core::sync::atomic::Ordering;

use abi::time::{CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
use abi::{Errno, Timespec};

use crate::sched::current;
use crate::sched::task::{Task, TaskState};
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

fn cpu_clock(clock: i32) -> Option<u64> {
    match clock {
        CLOCK_THREAD_CPUTIME_ID => Some(current().sched_info().exec_runtime),
        CLOCK_PROCESS_CPUTIME_ID => Some(process_runtime(&current())),
        _ => None,
    }
}

fn timespec(ns: u64) -> Timespec {
    Timespec { tv_sec: (ns / NSEC_PER_SEC) as i64, tv_nsec: (ns % NSEC_PER_SEC) as i64 }
}

pub fn sys_clock_gettime(clock: i32, tp: u64) -> Result<usize, Errno> {
    match cpu_clock(clock) {
        Some(ns) => write_user(tp, &timespec(ns)).map(|_| 0),
        None => crate::time::clock::sys_clock_gettime(clock, tp),
    }
}

/// The CPU clocks count nanoseconds, as Linux's.
pub fn sys_clock_getres(clock: i32, tp: u64) -> Result<usize, Errno> {
    match cpu_clock(clock) {
        Some(_) if tp != 0 => write_user(tp, &timespec(1)).map(|_| 0),
        Some(_) => Ok(0),
        None => crate::time::clock::sys_clock_getres(clock, tp),
    }
}
