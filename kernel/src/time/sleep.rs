//! nanosleep(2), clock_nanosleep(2), and the ITIMER_REAL interval timer:
//! setitimer(2), getitimer(2), alarm(2).

use abi::time::*;
use abi::{Errno, ItimerVal, Timespec, Timeval};

use crate::mm::uaccess::{read_user, write_user};
use crate::sched::current;
use crate::sched::timer::{arm_real_timer, sleep_until};

const NS: u64 = 1_000_000_000;

fn timespec_ns(ts: &Timespec) -> Result<u64, Errno> {
    if ts.tv_sec < 0 || !(0..NS as i64).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok((ts.tv_sec as u64).saturating_mul(NS).saturating_add(ts.tv_nsec as u64))
}

fn ns_timespec(ns: u64) -> Timespec {
    Timespec { tv_sec: (ns / NS) as i64, tv_nsec: (ns % NS) as i64 }
}

/// Sleeps `ns`; on a signal, writes the time left to `rem` (if given).
fn relative_sleep(ns: u64, rem: u64) -> Result<usize, Errno> {
    let deadline = crate::time::uptime_ns().saturating_add(ns);
    match sleep_until(deadline) {
        Ok(()) => Ok(0),
        Err(e) => {
            if rem != 0 {
                let left = deadline.saturating_sub(crate::time::uptime_ns());
                write_user(rem, &ns_timespec(left))?;
            }
            // A handler makes it EINTR; otherwise the sleep restarts.
            Err(if e == Errno::ERESTARTSYS { Errno::ERESTARTNOHAND } else { e })
        }
    }
}

pub fn sys_nanosleep(req: u64, rem: u64) -> Result<usize, Errno> {
    let ts: Timespec = read_user(req)?;
    relative_sleep(timespec_ns(&ts)?, rem)
}

pub fn sys_clock_nanosleep(clock: i32, flags: i32, req: u64, rem: u64) -> Result<usize, Errno> {
    let ts: Timespec = read_user(req)?;
    let ns = timespec_ns(&ts)?;
    let now = match clock {
        CLOCK_REALTIME => super::realtime(),
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => super::monotonic(),
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    };
    if flags & !TIMER_ABSTIME != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & TIMER_ABSTIME != 0 {
        let now_ns = timespec_ns(&now).unwrap_or(0);
        let deadline = crate::time::uptime_ns().saturating_add(ns.saturating_sub(now_ns));
        return sleep_until(deadline).map(|_| 0).map_err(|_| Errno::ERESTARTNOHAND);
    }
    relative_sleep(ns, rem)
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
    let left = if deadline == 0 { 0 } else { deadline.saturating_sub(crate::time::uptime_ns()).max(1) };
    (left, interval)
}

fn set_real_timer(value: u64, interval: u64) {
    let task = current();
    let deadline = if value == 0 { 0 } else { crate::time::uptime_ns() + value };
    *task.real_timer.lock() = (deadline, interval);
    if deadline != 0 {
        arm_real_timer(&task);
    }
}

pub fn sys_getitimer(which: i32, value: u64) -> Result<usize, Errno> {
    if which != ITIMER_REAL {
        // ITIMER_VIRTUAL and ITIMER_PROF need CPU-time accounting.
        return Err(Errno::EINVAL);
    }
    let (left, interval) = real_timer_value();
    write_user(value, &ItimerVal { it_interval: ns_timeval(interval), it_value: ns_timeval(left) })?;
    Ok(0)
}

pub fn sys_setitimer(which: i32, new: u64, old: u64) -> Result<usize, Errno> {
    if which != ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let (left, interval) = real_timer_value();
    if new != 0 {
        let v: ItimerVal = read_user(new)?;
        set_real_timer(timeval_ns(&v.it_value)?, timeval_ns(&v.it_interval)?);
    } else {
        set_real_timer(0, 0);
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
