//! POSIX timers (Linux's kernel/time/posix-timers.c and
//! posix-cpu-timers.c): timer_create, timer_settime, timer_gettime,
//! timer_getoverrun, timer_delete on the realtime, monotonic and boot
//! clocks and on CPU-time clocks. A timer belongs to its process (not
//! inherited by fork, gone at exec and exit). Expiries are found in
//! deferred work, before each return to user mode and when the idle CPU
//! wakes for the earliest wall-clock deadline; a CPU-time timer can only
//! expire while its process runs, so it is found then. An expiry sends
//! the timer's signal, or counts an overrun if the last one is still
//! pending.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use abi::signal::{Sigevent, SIGALRM, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID};
use abi::time::{
    CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_MONOTONIC_COARSE, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME,
    CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, TIMER_ABSTIME,
};
use abi::{Errno, ItimerSpec, Siginfo, Timespec};
use spin::Mutex;

use super::cputime::CpuClock;
use super::signal::{bump_timer_overrun, send_signal, send_thread_signal};
use crate::arch::cpu::without_interrupts;
use crate::sched::current;
use crate::sched::task::{Pid, Task};
use crate::time::{realtime_ns, uptime_ns};
use crate::uaccess::{read_user, write_user};

/// The most timers a process may have (Linux's limit is the pending
/// signals rlimit; this bounds the table the same way).
const MAX_TIMERS: usize = 1024;

enum Clock {
    Realtime,
    Monotonic,
    Cpu(CpuClock),
}

impl Clock {
    /// The clock's time now in ns (None: a CPU clock whose owner is gone).
    fn now(&self) -> Option<i64> {
        match self {
            Clock::Realtime => Some(realtime_ns()),
            Clock::Monotonic => Some(uptime_ns() as i64),
            Clock::Cpu(c) => c.read().map(|ns| ns as i64),
        }
    }
}

enum Notify {
    None,
    /// A signal to the process, or to one of its threads.
    Signal {
        signo: i32,
        thread: Option<Weak<Task>>,
    },
}

struct Timer {
    process: Weak<Task>,
    clock: Clock,
    notify: Notify,
    value: u64,
    /// The next expiry in the clock's ns; None when disarmed.
    deadline: Option<i64>,
    interval: u64,
    /// Overruns of the signal queued last (expiries while it was pending).
    overrun: i32,
    /// Overruns of the signal delivered before it (timer_getoverrun's
    /// answer while the last one is still pending).
    overrun_last: i32,
}

/// Every timer by (process id, timer id).
static TIMERS: Mutex<BTreeMap<(Pid, i32), Timer>> = Mutex::new(BTreeMap::new());
/// Armed timers: the check before each return to user mode reads this.
static ARMED: AtomicUsize = AtomicUsize::new(0);

fn count_armed(timers: &BTreeMap<(Pid, i32), Timer>) {
    ARMED.store(timers.values().filter(|t| t.deadline.is_some()).count(), Ordering::Relaxed);
}

/// Held by every operation on the table from process context: expiry and
/// timer_getoverrun take a timer out while they look at signal queues,
/// and no other CPU may find it missing (or delete it) meanwhile.
static OPS: Mutex<()> = Mutex::new(());

fn with_timers<T>(f: impl FnOnce(&mut BTreeMap<(Pid, i32), Timer>) -> T) -> T {
    without_interrupts(|| {
        let mut timers = TIMERS.lock();
        let result = f(&mut timers);
        count_armed(&timers);
        result
    })
}

impl Timer {
    /// Counts the expiry due by now, if any: moves the deadline on and
    /// returns the periods that passed unnoticed since (overruns too).
    fn expire(&mut self) -> Option<i32> {
        let (Some(deadline), Some(now)) = (self.deadline, self.clock.now()) else { return None };
        if now < deadline {
            return None;
        }
        let late = (now - deadline) as u64;
        let (next, missed) = match late.checked_div(self.interval) {
            Some(periods) => (Some(deadline + ((periods + 1) * self.interval) as i64), periods),
            None => (None, 0),
        };
        self.deadline = next;
        Some(missed.min(i32::MAX as u64) as i32)
    }

    fn current(&self) -> ItimerSpec {
        let left = match (self.deadline, self.clock.now()) {
            (Some(d), Some(now)) => (d - now).max(1) as u64,
            _ => 0,
        };
        ItimerSpec { it_interval: Timespec::from_nanos(self.interval), it_value: Timespec::from_nanos(left) }
    }
}

/// The task whose queue holds the timer's signal, and the thread it
/// goes to if it is for one.
fn target_of(timer: &Timer) -> Option<(Arc<Task>, Option<Arc<Task>>, i32)> {
    let Notify::Signal { signo, thread } = &timer.notify else { return None };
    let process = timer.process.upgrade()?;
    let thread = thread.as_ref().and_then(Weak::upgrade);
    Some((thread.clone().unwrap_or(process), thread, *signo))
}

/// Sends a timer's signal for an expiry (with `missed` periods before
/// it), or adds them all as overruns to the signal still pending.
fn notify(id: i32, timer: &mut Timer, missed: i32) {
    let Some((holder, thread, signo)) = target_of(timer) else { return };
    if bump_timer_overrun(&holder, signo, id, missed.saturating_add(1)) {
        timer.overrun = timer.overrun.saturating_add(missed).saturating_add(1);
        return;
    }
    timer.overrun_last = timer.overrun;
    timer.overrun = missed;
    let info = Siginfo::timer(signo, id, missed, timer.value);
    match thread {
        Some(t) => send_thread_signal(&t, signo, info),
        None => send_signal(&holder, signo, info),
    }
}

/// timer_getoverrun: the overruns of the signal delivered last.
fn overruns(id: i32, timer: &Timer) -> i32 {
    match target_of(timer) {
        Some((holder, _, signo)) if bump_timer_overrun(&holder, signo, id, 0) => timer.overrun_last,
        _ => timer.overrun,
    }
}

/// Deferred work: fires the timers that expired.
pub fn run_expired() {
    if ARMED.load(Ordering::Relaxed) == 0 {
        return;
    }
    let _ops = OPS.lock();
    // Signals are sent with the table unlocked: take the due ones out.
    let due: Vec<((Pid, i32), i32)> = with_timers(|timers| {
        timers.retain(|_, t| t.process.strong_count() > 0);
        timers.iter_mut().filter_map(|(k, t)| t.expire().map(|missed| (*k, missed))).collect()
    });
    for (key, missed) in due {
        let taken = with_timers(|timers| timers.remove(&key));
        if let Some(mut timer) = taken {
            notify(key.1, &mut timer, missed);
            with_timers(|timers| {
                timers.insert(key, timer);
            });
        }
    }
}

/// The earliest wall-clock expiry, as uptime ns (for the idle CPU).
pub fn next_deadline() -> Option<u64> {
    if ARMED.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let offset = realtime_ns() - uptime_ns() as i64;
    without_interrupts(|| {
        TIMERS
            .lock()
            .values()
            .filter_map(|t| match t.clock {
                Clock::Realtime => t.deadline.map(|d| (d - offset).max(0) as u64),
                Clock::Monotonic => t.deadline.map(|d| d.max(0) as u64),
                Clock::Cpu(_) => None,
            })
            .min()
    })
}

/// A dynamic clock id (a clock behind a descriptor, as `~fd << 3 | 3`).
const CLOCKFD: i32 = 3;

fn clock_of(clock: i32) -> Result<Clock, Errno> {
    match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM => Ok(Clock::Realtime),
        CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => Ok(Clock::Monotonic),
        // Clocks that can be read but carry no timers.
        CLOCK_MONOTONIC_RAW | CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE => Err(Errno::EOPNOTSUPP),
        c if c < 0 && c & 7 == CLOCKFD => Err(Errno::EOPNOTSUPP),
        c => CpuClock::resolve(c)?.map(Clock::Cpu).ok_or(Errno::EINVAL),
    }
}

/// How the timer notifies: SIGALRM with the timer id as value without a
/// sigevent; a signal to the process or one of its threads; or nothing.
fn notify_of(event: Option<Sigevent>, id: i32, me: &Arc<Task>) -> Result<(Notify, u64), Errno> {
    let Some(ev) = event else {
        return Ok((Notify::Signal { signo: SIGALRM, thread: None }, id as u64));
    };
    let valid_signal = (1..=64).contains(&ev.sigev_signo);
    let notify = match ev.sigev_notify {
        SIGEV_NONE => Notify::None,
        // SIGEV_THREAD is the C library's: the kernel signals the process.
        SIGEV_SIGNAL | SIGEV_THREAD if valid_signal => Notify::Signal { signo: ev.sigev_signo, thread: None },
        SIGEV_THREAD_ID if valid_signal => {
            let thread = u32::try_from(ev.sigev_tid).ok().and_then(super::pid::find);
            let thread = thread.filter(|t| t.tgid == me.tgid).ok_or(Errno::EINVAL)?;
            Notify::Signal { signo: ev.sigev_signo, thread: Some(Arc::downgrade(&thread)) }
        }
        _ => return Err(Errno::EINVAL),
    };
    Ok((notify, ev.sigev_value))
}

pub fn sys_timer_create(clock: i32, sevp: u64, timerid: u64) -> Result<usize, Errno> {
    let event: Option<Sigevent> = if sevp == 0 { None } else { Some(read_user(sevp)?) };
    let clock = clock_of(clock)?;
    let me = current();
    let tgid = me.tgid;
    let _ops = OPS.lock();
    let id = with_timers(|timers| {
        let mine = timers.range((tgid, 0)..=(tgid, i32::MAX)).count();
        if mine >= MAX_TIMERS {
            return Err(Errno::EAGAIN);
        }
        Ok((0..).find(|id| !timers.contains_key(&(tgid, *id))).unwrap_or(0))
    })?;
    let (notify, value) = notify_of(event, id, &me)?;
    let process = me.leader().map(|l| Arc::downgrade(&l)).unwrap_or_else(|| Arc::downgrade(&me));
    let timer = Timer { process, clock, notify, value, deadline: None, interval: 0, overrun: 0, overrun_last: 0 };
    write_user(timerid, &id)?;
    with_timers(|timers| timers.insert((tgid, id), timer));
    Ok(0)
}

/// Runs `f` on the caller's timer `id` (EINVAL if it has none such).
fn with_timer<T>(id: i32, f: impl FnOnce(&mut Timer) -> T) -> Result<T, Errno> {
    let tgid = current().tgid;
    with_timers(|timers| timers.get_mut(&(tgid, id)).map(f)).ok_or(Errno::EINVAL)
}

pub fn sys_timer_settime(id: i32, flags: i32, new: u64, old: u64) -> Result<usize, Errno> {
    if new == 0 {
        return Err(Errno::EINVAL);
    }
    let spec: ItimerSpec = read_user(new)?;
    let (Some(value), Some(interval)) = (spec.it_value.to_nanos(), spec.it_interval.to_nanos()) else {
        return Err(Errno::EINVAL);
    };
    let ops = OPS.lock();
    let previous = with_timer(id, |t| {
        t.expire();
        let previous = t.current();
        // A disarmed timer keeps no interval (unlike a timerfd).
        t.interval = if value == 0 { 0 } else { interval };
        t.overrun = 0;
        t.overrun_last = 0;
        t.deadline = match (value, t.clock.now()) {
            (0, _) | (_, None) => None,
            (v, _) if flags & TIMER_ABSTIME != 0 => Some(v as i64),
            (v, Some(now)) => Some(now.saturating_add(v as i64)),
        };
        previous
    })?;
    drop(ops);
    if old != 0 {
        write_user(old, &previous)?;
    }
    // An expiry already due (an absolute time past) is sent at once.
    run_expired();
    Ok(0)
}

pub fn sys_timer_gettime(id: i32, curr: u64) -> Result<usize, Errno> {
    let ops = OPS.lock();
    let now = with_timer(id, |t| {
        if matches!(t.notify, Notify::None) {
            t.expire();
        }
        t.current()
    })?;
    drop(ops);
    write_user(curr, &now).map(|_| 0)
}

pub fn sys_timer_getoverrun(id: i32) -> Result<usize, Errno> {
    // The signal queue is looked at with the timer table unlocked.
    let tgid = current().tgid;
    let _ops = OPS.lock();
    let timer = with_timers(|timers| timers.remove(&(tgid, id))).ok_or(Errno::EINVAL)?;
    let n = overruns(id, &timer);
    with_timers(|timers| {
        timers.insert((tgid, id), timer);
    });
    Ok(n.max(0) as usize)
}

pub fn sys_timer_delete(id: i32) -> Result<usize, Errno> {
    let tgid = current().tgid;
    let _ops = OPS.lock();
    with_timers(|timers| timers.remove(&(tgid, id))).map(|_| 0).ok_or(Errno::EINVAL)
}

/// A process's timers go at exec and at exit.
pub fn delete_all(tgid: Pid) {
    let _ops = OPS.lock();
    with_timers(|timers| timers.retain(|k, _| k.0 != tgid));
}

/// The exit hook: the last thread's exit deletes the process's timers.
pub fn exit_hook(task: &Arc<Task>) {
    if task.live_threads.load(Ordering::Relaxed) == 0 {
        delete_all(task.tgid);
    }
}
