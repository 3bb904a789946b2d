//! nanosleep(2) and clock_nanosleep(2).

use abi::time::*;
use abi::{Errno, Timespec};

use super::timer::sleep_until;
use crate::uaccess::{read_user, write_user};

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
        CLOCK_REALTIME => crate::time::realtime(),
        CLOCK_MONOTONIC | CLOCK_BOOTTIME => crate::time::monotonic(),
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
