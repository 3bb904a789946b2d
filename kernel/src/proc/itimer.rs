//! setitimer(2) and getitimer(2) (the CPU-time timers are cpu_itimer.rs),
//! and the ITIMER_REAL interval timer with alarm(2).
//! A process's timer is its deadline and interval; the processes with one
//! armed are checked in deferred work, which sends SIGALRM.

use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};

use abi::time::*;
use abi::{Errno, ItimerVal, Timeval};
use spin::Mutex;

use crate::arch::cpu::without_interrupts;
use crate::sched::current;
use crate::sched::task::Task;
use crate::time::uptime_ns;
use crate::uaccess::{read_user, write_user};

const NS: u64 = 1_000_000_000;

/// Processes with an armed ITIMER_REAL, by their leader's pid.
static REAL_TIMERS: Mutex<BTreeMap<u32, Weak<Task>>> = Mutex::new(BTreeMap::new());

/// How many entries REAL_TIMERS holds: the check at every return to user
/// mode reads this, not the map.
static ARMED: AtomicUsize = AtomicUsize::new(0);

fn arm_real_timer(task: &Arc<Task>) {
    without_interrupts(|| {
        let mut timers = REAL_TIMERS.lock();
        timers.insert(task.pid, Arc::downgrade(task));
        ARMED.store(timers.len(), Ordering::Relaxed);
    });
}

fn disarm(key: u32) {
    without_interrupts(|| {
        let mut timers = REAL_TIMERS.lock();
        timers.remove(&key);
        ARMED.store(timers.len(), Ordering::Relaxed);
    });
}

/// Forgets `task`'s entry if its timer is disarmed, checked under the
/// table's lock: a setitimer on another CPU arms the timer before it
/// (re)inserts the entry, so an entry armed meanwhile stays.
fn disarm_if_idle(key: u32, task: &Task) {
    without_interrupts(|| {
        let mut timers = REAL_TIMERS.lock();
        if task.real_timer.lock().0 == 0 {
            timers.remove(&key);
            ARMED.store(timers.len(), Ordering::Relaxed);
        }
    });
}

/// The earliest armed ITIMER_REAL's expiry.
pub fn next_deadline() -> Option<u64> {
    if ARMED.load(Ordering::Relaxed) == 0 {
        return None;
    }
    let armed: Vec<Weak<Task>> = without_interrupts(|| REAL_TIMERS.lock().values().cloned().collect());
    armed.iter().filter_map(Weak::upgrade).map(|t| t.real_timer.lock().0).filter(|&d| d != 0).min()
}

/// Fires the expired ITIMER_REAL timers (deferred work); forgets the
/// disarmed ones and those of processes gone.
pub fn run_expired() {
    if ARMED.load(Ordering::Relaxed) == 0 {
        return;
    }
    let now = uptime_ns();
    let armed: Vec<(u32, Weak<Task>)> =
        without_interrupts(|| REAL_TIMERS.lock().iter().map(|(&k, v)| (k, v.clone())).collect());
    for (key, weak) in armed {
        let Some(task) = weak.upgrade() else {
            disarm(key);
            continue;
        };
        let fire = {
            let mut t = task.real_timer.lock();
            if t.0 != 0 && t.0 <= now {
                t.0 = if t.1 != 0 { now + t.1 } else { 0 };
                true
            } else {
                false
            }
        };
        disarm_if_idle(key, &task);
        if fire {
            let info = abi::Siginfo::new(abi::signal::SIGALRM, abi::signal::SI_KERNEL);
            super::signal::send_signal(&task, abi::signal::SIGALRM, info);
        }
    }
}

fn timeval_ns(tv: &Timeval) -> Result<u64, Errno> {
    if tv.tv_sec < 0 || !(0..1_000_000).contains(&tv.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Ok(tv.tv_sec as u64 * NS + tv.tv_usec as u64 * 1000)
}

fn ns_timeval(ns: u64) -> Timeval {
    Timeval { tv_sec: (ns / NS) as i64, tv_usec: ((ns % NS) / 1000) as i64 }
}

/// The current ITIMER_REAL as (time left, interval), in ns.
fn real_timer_value() -> (u64, u64) {
    let (deadline, interval) = *current().real_timer.lock();
    let left = if deadline == 0 { 0 } else { deadline.saturating_sub(uptime_ns()).max(1) };
    (left, interval)
}

fn set_real_timer(value: u64, interval: u64) {
    let task = current();
    let deadline = if value == 0 { 0 } else { uptime_ns() + value };
    *task.real_timer.lock() = (deadline, interval);
    if deadline != 0 {
        arm_real_timer(&task);
    }
}

/// The CPU-time timer `which` names, None for ITIMER_REAL; EINVAL for
/// others.
fn cpu_timer(task: &Task, which: i32) -> Result<Option<&super::cpu_itimer::CpuTimer>, Errno> {
    match which {
        ITIMER_REAL => Ok(None),
        ITIMER_VIRTUAL => Ok(Some(&task.cpu_itimers.virtual_timer)),
        ITIMER_PROF => Ok(Some(&task.cpu_itimers.prof_timer)),
        _ => Err(Errno::EINVAL),
    }
}

/// Timer `which`'s (time left, interval), in ns.
fn timer_value(which: i32) -> Result<(u64, u64), Errno> {
    let task = current();
    Ok(match cpu_timer(&task, which)? {
        Some(timer) => timer.get(),
        None => real_timer_value(),
    })
}

pub fn sys_getitimer(which: i32, value: u64) -> Result<usize, Errno> {
    let (left, interval) = timer_value(which)?;
    write_user(value, &ItimerVal { it_interval: ns_timeval(interval), it_value: ns_timeval(left) })?;
    Ok(0)
}

pub fn sys_setitimer(which: i32, new: u64, old: u64) -> Result<usize, Errno> {
    let (left, interval) = timer_value(which)?;
    // A null new value disarms, as Linux 6.1 still allows.
    let (value, every) = match new {
        0 => (0, 0),
        _ => {
            let v: ItimerVal = read_user(new)?;
            (timeval_ns(&v.it_value)?, timeval_ns(&v.it_interval)?)
        }
    };
    let task = current();
    match cpu_timer(&task, which)? {
        Some(timer) => timer.set(value, every),
        None => set_real_timer(value, every),
    }
    if old != 0 {
        write_user(old, &ItimerVal { it_interval: ns_timeval(interval), it_value: ns_timeval(left) })?;
    }
    Ok(0)
}

/// alarm(2): seconds left of the previous alarm, rounded to the nearest.
pub fn sys_alarm(seconds: u32) -> Result<usize, Errno> {
    let (left, _) = real_timer_value();
    set_real_timer(u64::from(seconds) * NS, 0);
    Ok(((left + NS / 2) / NS) as usize + usize::from(left > 0 && left < NS / 2))
}
