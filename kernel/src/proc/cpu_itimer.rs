//! The CPU-time interval timers ITIMER_VIRTUAL (user time, SIGVTALRM) and
//! ITIMER_PROF (user and system time, SIGPROF), and RLIMIT_CPU (SIGXCPU
//! at the soft limit and every second past it, SIGKILL at the hard one).
//!
//! The timer interrupt charges the running process's ticks here with
//! atomics only (it may have interrupted a holder of any lock) and marks
//! what fell due; the signals are sent on the thread's way back to user
//! mode, where locks may be taken.

use alloc::sync::Arc;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};

use abi::signal::{SIGKILL, SIGPROF, SIGVTALRM, SIGXCPU};
use abi::Siginfo;

use crate::sched::task::Task;
use crate::time::{HZ, NSEC_PER_SEC};

const FIRED_VIRTUAL: u32 = 1;
const FIRED_PROF: u32 = 2;
/// Another second of CPU time went by: RLIMIT_CPU is to be checked.
const CHECK_LIMIT: u32 = 4;

/// Processes with something marked: the return path's one check.
static MARKED: AtomicUsize = AtomicUsize::new(0);

/// One timer: ns left (0: disarmed) and the interval to reload.
#[derive(Default)]
pub struct CpuTimer {
    value: AtomicU64,
    interval: AtomicU64,
}

impl CpuTimer {
    /// (ns left, interval).
    pub fn get(&self) -> (u64, u64) {
        (self.value.load(Ordering::Relaxed), self.interval.load(Ordering::Relaxed))
    }

    pub fn set(&self, value: u64, interval: u64) {
        self.interval.store(interval, Ordering::Relaxed);
        self.value.store(value, Ordering::Relaxed);
    }

    /// Counts `ns` down; true when the timer expired (and was reloaded
    /// with its interval, or disarmed).
    fn charge(&self, ns: u64) -> bool {
        let interval = self.interval.load(Ordering::Relaxed);
        let mut expired = false;
        let _ = self.value.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
            expired = v != 0 && v <= ns;
            match v {
                0 => None,
                v if v > ns => Some(v - ns),
                _ => Some(interval),
            }
        });
        expired
    }
}

/// A process's CPU-time timers.
#[derive(Default)]
pub struct CpuItimers {
    pub virtual_timer: CpuTimer,
    pub prof_timer: CpuTimer,
    fired: AtomicU32,
}

/// The timer interrupt's share: `ticks` of the process's CPU time, in
/// user mode or not; `total` is its CPU time in ticks before them.
pub fn charge(task: &Task, user: bool, ticks: u64, total: u64) {
    let t = &task.cpu_itimers;
    let ns = ticks * (NSEC_PER_SEC / HZ);
    let mut fired = 0;
    if user && t.virtual_timer.charge(ns) {
        fired |= FIRED_VIRTUAL;
    }
    if t.prof_timer.charge(ns) {
        fired |= FIRED_PROF;
    }
    if (total + ticks) / HZ != total / HZ {
        fired |= CHECK_LIMIT;
    }
    if fired != 0 && t.fired.fetch_or(fired, Ordering::Relaxed) == 0 {
        MARKED.fetch_add(1, Ordering::Relaxed);
    }
}

/// On the way back to user mode: the signals the ticks found due for the
/// running thread's process.
pub fn deliver() {
    if MARKED.load(Ordering::Relaxed) == 0 {
        return;
    }
    let task = crate::sched::current();
    let fired = task.cpu_itimers.fired.swap(0, Ordering::Relaxed);
    if fired == 0 {
        return;
    }
    MARKED.fetch_sub(1, Ordering::Relaxed);
    let send = |signal| super::signal::send_signal(&task, signal, Siginfo::new(signal, abi::signal::SI_KERNEL));
    if fired & FIRED_VIRTUAL != 0 {
        send(SIGVTALRM);
    }
    if fired & FIRED_PROF != 0 {
        send(SIGPROF);
    }
    if fired & CHECK_LIMIT != 0 {
        check_cpu_limit(&task, &send);
    }
}

/// The process ended: what its ticks marked goes unsent, and no longer
/// keeps the return path looking.
pub fn forget(task: &Task) {
    if task.cpu_itimers.fired.swap(0, Ordering::Relaxed) != 0 {
        MARKED.fetch_sub(1, Ordering::Relaxed);
    }
}

/// RLIMIT_CPU: SIGKILL at the hard limit; SIGXCPU at the soft one, which
/// then moves a second on so the next comes a second later (Linux).
fn check_cpu_limit(task: &Arc<Task>, send: &dyn Fn(i32)) {
    let seconds = (task.times.user.load(Ordering::Relaxed) + task.times.system.load(Ordering::Relaxed)) / HZ;
    let mut limits = task.rlimits.lock();
    let limit = limits.get(abi::RLIMIT_CPU);
    if limit.rlim_max != abi::RLIM_INFINITY && seconds >= limit.rlim_max {
        drop(limits);
        send(SIGKILL);
    } else if limit.rlim_cur != abi::RLIM_INFINITY && seconds >= limit.rlim_cur {
        if limit.rlim_cur < limit.rlim_max {
            limits.set_soft(abi::RLIMIT_CPU, limit.rlim_cur + 1);
        }
        drop(limits);
        send(SIGXCPU);
    }
}
